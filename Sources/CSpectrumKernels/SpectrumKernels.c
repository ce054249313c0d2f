#include "SpectrumKernels.h"

#if defined(__x86_64__) && defined(__clang__)
#define MULTIVERSION __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MULTIVERSION
#endif

// The taps act on I and Q alike, so on the interleaved floats the window is a contiguous
// convolution with offsets of ±2j floats; eight bins (sixteen floats) at a time, the power of
// each is the sum of its squared pair (`.even + .odd`). One loop per reach, so the taps unroll.
typedef float floats16 __attribute__((ext_vector_type(16)));
typedef float floats8 __attribute__((ext_vector_type(8)));
#define LOAD(T, p) ({ T loaded_; __builtin_memcpy(&loaded_, (p), sizeof loaded_); loaded_; })
#define STORE(p, v) do { __typeof__(v) stored_ = (v); __builtin_memcpy((p), &stored_, sizeof stored_); } while (0)

static inline __attribute__((always_inline)) void windowed(const float *restrict x, int count, const float *restrict taps,
                                                           const int reach, float *restrict row, float *restrict sum, int first) {
    float c[5] = {0, 0, 0, 0, 0};  // in registers: the stores below cannot be mistaken for the taps
    for (int j = 0; j <= reach; j++) c[j] = taps[j];
    int k = 0;
    for (; k + 8 <= count; k += 8) {
        const float *at = x + 2 * k;
        floats16 y = c[0] * LOAD(floats16, at);
        for (int j = 1; j <= reach; j++) y += c[j] * (LOAD(floats16, at - 2 * j) + LOAD(floats16, at + 2 * j));
        floats16 squares = y * y;
        floats8 power = squares.even + squares.odd;
        STORE(row + k, power);
        if (first) STORE(sum + k, power); else STORE(sum + k, LOAD(floats8, sum + k) + power);
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

MULTIVERSION
void trustband_windowed_power(const float *bins, int count, const float *taps, int reach,
                              float *row, float *sum, int first) {
    switch (reach) {
    case 0: windowed(bins, count, taps, 0, row, sum, first); break;
    case 1: windowed(bins, count, taps, 1, row, sum, first); break;
    case 2: windowed(bins, count, taps, 2, row, sum, first); break;
    case 3: windowed(bins, count, taps, 3, row, sum, first); break;
    default: windowed(bins, count, taps, 4, row, sum, first); break;
    }
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
