#include "SpectrumKernels.h"

#if defined(__x86_64__) && defined(__clang__)
#define MULTIVERSION __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MULTIVERSION
#endif

// The taps act on I and Q alike, so on the interleaved floats the window is a contiguous
// convolution with offsets of ±2j floats. Sixteen bins (two vectors of sixteen floats) at a
// time: the power of each is the sum of its squared pair, gathered from both vectors by one
// two-source permute for the evens and one for the odds (per eight bins, splitting one vector
// took an extract, a horizontal add and a cross-lane permute). One loop per reach and per
// `first`, so the taps unroll and the loop holds no branch.
typedef float floats16 __attribute__((ext_vector_type(16)));
#define LOAD(T, p) ({ T loaded_; __builtin_memcpy(&loaded_, (p), sizeof loaded_); loaded_; })
#define STORE(p, v) do { __typeof__(v) stored_ = (v); __builtin_memcpy((p), &stored_, sizeof stored_); } while (0)

static inline __attribute__((always_inline)) void windowed(const float *restrict x, int count, const float *restrict taps,
                                                           const int reach, float *restrict row, float *restrict sum, const int first) {
    float c[5] = {0, 0, 0, 0, 0};  // in registers: the stores below cannot be mistaken for the taps
    for (int j = 0; j <= reach; j++) c[j] = taps[j];
    int k = 0;
    for (; k + 16 <= count; k += 16) {
        floats16 y[2];  // bins k … k+7 and k+8 … k+15, interleaved
        for (int h = 0; h < 2; h++) {
            const float *at = x + 2 * k + 16 * h;
            y[h] = c[0] * LOAD(floats16, at);
            for (int j = 1; j <= reach; j++) y[h] += c[j] * (LOAD(floats16, at - 2 * j) + LOAD(floats16, at + 2 * j));
        }
        floats16 a = y[0] * y[0], b = y[1] * y[1];
        floats16 power = __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30)
                       + __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
        STORE(row + k, power);
        STORE(sum + k, first ? power : LOAD(floats16, sum + k) + power);
    }
    for (; k < count; k++) {
        float re = c[0] * x[2 * k], im = c[0] * x[2 * k + 1];
        for (int j = 1; j <= reach; j++) {
            re += c[j] * (x[2 * (k - j)] + x[2 * (k + j)]);
            im += c[j] * (x[2 * (k - j) + 1] + x[2 * (k + j) + 1]);
        }
        row[k] = re * re + im * im;
        sum[k] = first ? row[k] : sum[k] + row[k];
    }
}

// One instance per reach (0–4), so that the taps unroll.
#define BY_REACH(KERNEL) do { \
    switch (reach) { \
    case 0: KERNEL(0); break; \
    case 1: KERNEL(1); break; \
    case 2: KERNEL(2); break; \
    case 3: KERNEL(3); break; \
    default: KERNEL(4); break; \
    } \
} while (0)

#define WINDOWED(reach) (first ? windowed(bins, count, taps, reach, row, sum, 1) : windowed(bins, count, taps, reach, row, sum, 0))

MULTIVERSION
void trustband_windowed_power(const float *bins, int count, const float *taps, int reach,
                              float *row, float *sum, int first) {
    BY_REACH(WINDOWED);
}

// Without rows, the squares of I and Q are summed apart (the pair is added once per spectrum,
// `trustband_pair_sum`), so no lane crosses another: the neighbours X[k±j] are the vector of
// sixteen floats at k shifted by 2j, taken from it and its two neighbours by one two-source
// permute each, every float loaded once (unaligned loads at ±2j took a quarter longer). Whole
// vectors are loaded either side, so 8 complex values each side of the bins must be readable.
// The first neighbours' tap is 1 (the caller has divided the taps by c₁ and scales the sums by
// c₁²): Hann's y = c₀X + (X₋₁ + X₊₁) is one add and one fused multiply-add a vector, not a
// multiply besides (1024 bins here: 148 ns, 173 with the multiply).
// The vector at x + k shifted by s floats, from it and the vector before (BEFORE) or after it.
#define BEFORE(p, c, s) __builtin_shufflevector(p, c, 16 - s, 17 - s, 18 - s, 19 - s, 20 - s, 21 - s, 22 - s, 23 - s, \
                                                24 - s, 25 - s, 26 - s, 27 - s, 28 - s, 29 - s, 30 - s, 31 - s)
#define AFTER(c, n, s) __builtin_shufflevector(c, n, s, s + 1, s + 2, s + 3, s + 4, s + 5, s + 6, s + 7, s + 8, s + 9, \
                                               s + 10, s + 11, s + 12, s + 13, s + 14, s + 15)

static inline __attribute__((always_inline)) void squares(const float *restrict x, int count, const float *restrict taps,
                                                          const int reach, float *restrict sum2, const int first) {
    float c[5] = {0, 0, 0, 0, 0};
    for (int j = 0; j <= reach; j++) c[j] = taps[j];
    const int floats = 2 * count;
    int k = 0;
    if (floats >= 16) {
        floats16 previous = LOAD(floats16, x - 16), current = LOAD(floats16, x);
        for (; k + 16 <= floats; k += 16) {
            floats16 next = LOAD(floats16, x + k + 16);
            // One expression, so that the multiply and the add fuse.
            floats16 y = reach >= 1 ? BEFORE(previous, current, 2) + AFTER(current, next, 2) + c[0] * current : c[0] * current;
            if (reach >= 2) y += c[2] * (BEFORE(previous, current, 4) + AFTER(current, next, 4));
            if (reach >= 3) y += c[3] * (BEFORE(previous, current, 6) + AFTER(current, next, 6));
            if (reach >= 4) y += c[4] * (BEFORE(previous, current, 8) + AFTER(current, next, 8));
            STORE(sum2 + k, first ? y * y : LOAD(floats16, sum2 + k) + y * y);
            previous = current;
            current = next;
        }
    }
    for (; k < floats; k++) {
        float v = c[0] * x[k];
        for (int j = 1; j <= reach; j++) v += (j == 1 ? 1 : c[j]) * (x[k - 2 * j] + x[k + 2 * j]);
        sum2[k] = first ? v * v : sum2[k] + v * v;
    }
}

#define SQUARES(reach) (first ? squares(bins, count, taps, reach, sum2, 1) : squares(bins, count, taps, reach, sum2, 0))

MULTIVERSION
void trustband_windowed_squares(const float *bins, int count, const float *taps, int reach, float *sum2, int first) {
    BY_REACH(SQUARES);
}

MULTIVERSION
void trustband_pair_sum(const float *restrict sum2, int count, float *restrict out, float factor) {
    for (int k = 0; k < count; k++) out[k] = (sum2[2 * k] + sum2[2 * k + 1]) * factor;
}

MULTIVERSION
void trustband_extremes(const float *restrict row, int count, float *restrict high, float *restrict low) {
    for (int k = 0; k < count; k++) {
        high[k] = high[k] > row[k] ? high[k] : row[k];
        low[k] = low[k] < row[k] ? low[k] : row[k];
    }
}

MULTIVERSION
void trustband_scale(float *values, int count, float factor) {
    for (int k = 0; k < count; k++) values[k] *= factor;
}

const char *trustband_kernel_isa(void) {
#if defined(__x86_64__) && defined(__clang__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return "avx512f";
    if (__builtin_cpu_supports("avx2")) return "avx2";
#endif
    return "baseline";
}
