// A recording on disk as the replay driver serves it: raw samples of one datatype at one
// rate, optionally described by a SigMF `.sigmf-meta` file.
#pragma once
#include <SoapySDR/Types.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace replay {

/// The sample formats the driver can serve natively, with their SoapySDR names.
enum class Datatype { CU8, CS8, CS16, CF32 };

/// Bytes per complex sample of a datatype.
size_t bytesPerSample(Datatype type);
/// The SoapySDR stream format name (SOAPY_SDR_CU8, …) of a datatype.
std::string soapyFormat(Datatype type);
/// Full scale of the native format as SoapySDR reports it.
double fullScale(Datatype type);

/// What the driver knows about the file it serves.
struct RecordingInfo {
    std::string dataPath;
    Datatype datatype = Datatype::CF32;
    double sampleRate = 0;
    double centerHz = 0;
    bool centerKnown = false;
    uint64_t headerBytes = 0;
    uint64_t sampleCount = 0;
};

/// Resolves `file=` (a `.sigmf-meta`, a `.sigmf-data` or a raw file) and the `format=`,
/// `rate=`, `center=` and `offset=` args into a RecordingInfo. Throws std::runtime_error
/// with a message naming the problem.
RecordingInfo describeRecording(const SoapySDR::Kwargs &args);

/// Converts `count` native samples at `in` to interleaved CF32 with the SigMF scaling
/// (unsigned: (x - 2^(n-1)) / 2^(n-1); signed: x / 2^(n-1)).
void convertToCF32(Datatype type, const void *in, float *out, size_t count);

} // namespace replay
