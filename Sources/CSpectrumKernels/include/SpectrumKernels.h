#ifndef TRUSTBAND_SPECTRUM_KERNELS_H
#define TRUSTBAND_SPECTRUM_KERNELS_H
// The per-bin arithmetic of the Welch estimator, in C so that each kernel is compiled for
// several instruction sets (AVX-512, AVX2, baseline x86-64) and the dynamic loader picks
// the one the CPU runs, as FFTW picks its codelets: Swift itself targets baseline x86-64.

#ifdef __cplusplus
extern "C" {
#endif

/// Power of `count` bins of a cosine-sum window applied in the frequency domain:
/// y[k] = taps[0]·X[k] + Σ_{j=1…reach} taps[j]·(X[k−j] + X[k+j]), row[k] = |y[k]|².
/// `bins` is interleaved complex; X[k−reach] … X[k+count−1+reach] must be readable.
/// `sum[k]` becomes row[k] when `first`, sum[k] + row[k] otherwise. reach ≤ 4.
void trustband_windowed_power(const float *bins, int count, const float *taps, int reach,
                              float *row, float *sum, int first);

/// The same window without rows: sum2[2k] and sum2[2k+1] accumulate the squares of y[k]'s real
/// and imaginary parts (stored when `first`), for `trustband_pair_sum` to add once per spectrum.
/// When reach ≥ 1, taps[1] is taken as 1 whatever it holds (one multiply fewer a vector): the
/// caller passes the taps divided by the true c₁ and scales the pair sums by c₁².
/// X[k−reach] … X[k+count−1+reach] must hold the neighbours, and the 8 complex values either
/// side of the `count` bins must be readable (whole vectors are loaded; only neighbours count).
void trustband_windowed_squares(const float *bins, int count, const float *taps, int reach, float *sum2, int first);

/// out[k] = (sum2[2k] + sum2[2k+1]) × factor.
void trustband_pair_sum(const float *sum2, int count, float *out, float factor);

/// high[k] = max(high[k], row[k]), low[k] = min(low[k], row[k]).
void trustband_extremes(const float *row, int count, float *high, float *low);

/// values[k] ×= factor.
void trustband_scale(float *values, int count, float factor);

/// The instruction set the kernels run with here ("avx512f", "avx2", "baseline").
const char *trustband_kernel_isa(void);

#ifdef __cplusplus
}
#endif
#endif
