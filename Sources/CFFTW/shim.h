#ifndef TRUSTBAND_CFFTW_SHIM_H
#define TRUSTBAND_CFFTW_SHIM_H
// fftw3.h must come before anything that includes <complex.h>: without <complex.h>
// fftwf_complex is float[2], which is layout-compatible with our interleaved CF32 samples.
#include <fftw3.h>

/// FFTW's version string (an array of unknown size, which Swift cannot import as it is).
static inline const char *trustband_fftwf_version(void) { return fftwf_version; }
#endif
