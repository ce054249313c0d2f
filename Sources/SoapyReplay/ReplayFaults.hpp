// Fault injection for the replay driver, and the process-global "is the device plugged in"
// state that lets a test unplug a replayed device and watch a source reconnect to it.
#pragma once
#include "ReplayRecording.hpp"
#include <SoapySDR/Types.hpp>
#include <cstdint>
#include <string>

namespace replay {

/// Which faults a device injects, from its args. Zero disables a fault.
struct FaultPlan {
    uint64_t overflowEvery = 0;  ///< every N-th read reports SOAPY_SDR_OVERFLOW…
    uint64_t overflowDrop = 4096; ///< …and loses this many samples
    uint64_t timeoutEvery = 0;   ///< every N-th read times out (no samples lost)
    uint64_t shortEvery = 0;     ///< every N-th read returns half of what was asked
    uint64_t goneAfter = 0;      ///< after this many samples the device vanishes (once)…
    uint64_t goneFor = 3;        ///< …and the next N make() calls fail before it is back
    bool goneAsTimeout = false;  ///< vanish as endless timeouts instead of stream errors
    double driftPpm = 0;         ///< the sample clock runs this many ppm fast (+) or slow (-): timestamps drift
    uint64_t dropEvery = 0;      ///< every N-th read silently loses samples (no overflow reported)…
    uint64_t dropSamples = 4096; ///< …this many…
    bool dropTimestamps = true;  ///< …with timestamps that show the gap (false: they carry on as if nothing was lost)
    uint64_t gainStepEvery = 0;  ///< every N-th read the gain steps (up, then back down at the next step)…
    double gainStepDb = 6;       ///< …by this much
    uint64_t dcSpikeEvery = 0;   ///< every N-th read carries a DC offset…
    double dcSpikeLevel = 0.25;  ///< …of this fraction of full scale (I and Q)

    /// Applies the gain and DC faults to `count` native samples in place (clipped to the format).
    void shape(Datatype type, void *samples, size_t count, double gain, double dc) const;

    static FaultPlan fromArgs(const SoapySDR::Kwargs &args);
};

/// Process-global state of one replayed device (keyed by its file and serial): where its
/// stream is, and whether it is currently unplugged. It survives unmake/make, as a real
/// device's presence on the bus does.
struct DeviceState {
    uint64_t position = 0;      ///< next sample index in the recording
    bool unplugged = false;
    bool goneTriggered = false;
    uint64_t makeFailuresLeft = 0;
};

/// Runs `body` with the state for `key` locked.
template <typename Body> auto withDeviceState(const std::string &key, Body body) -> decltype(body(std::declval<DeviceState &>()));

DeviceState &lockedState(const std::string &key);
void lockStates();
void unlockStates();
void resetStates();

template <typename Body> auto withDeviceState(const std::string &key, Body body) -> decltype(body(std::declval<DeviceState &>())) {
    lockStates();
    struct Unlock { ~Unlock() { unlockStates(); } } unlock;
    return body(lockedState(key));
}

/// The key of a device's global state: its data file and optional serial.
std::string deviceKey(const SoapySDR::Kwargs &args);

} // namespace replay
