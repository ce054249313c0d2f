#include "SpectrumKernels.h"

#if defined(__x86_64__) && defined(__clang__)
#define MULTIVERSION __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MULTIVERSION
#endif

// One loop per window reach, so that the taps unroll. The taps act on I and Q alike, so on
// the interleaved floats the filter is a contiguous convolution with offsets of ±2j floats
// (which vectorises straight), squared; each bin's power is then the sum of a pair.
enum { CHUNK = 128 };

static inline __attribute__((always_inline)) void windowed(const float *restrict x, int count,
                                                           const float *restrict c, const int reach,
                                                           float *restrict row, float *restrict sum, int first) {
    float squares[2 * CHUNK];
    for (int start = 0; start < count; start += CHUNK) {
        const int bins = count - start < CHUNK ? count - start : CHUNK;
        const float *restrict at = x + 2 * start;
        for (int i = 0; i < 2 * bins; i++) {
            float y = c[0] * at[i];
            for (int j = 1; j <= reach; j++) y += c[j] * (at[i - 2 * j] + at[i + 2 * j]);
            squares[i] = y * y;
        }
        float *restrict r = row + start, *restrict s = sum + start;
        if (first) {
            for (int k = 0; k < bins; k++) { r[k] = squares[2 * k] + squares[2 * k + 1]; s[k] = r[k]; }
        } else {
            for (int k = 0; k < bins; k++) { r[k] = squares[2 * k] + squares[2 * k + 1]; s[k] += r[k]; }
        }
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
