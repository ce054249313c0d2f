#include "ReplayFaults.hpp"
#include "SoapyReplay.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <stdexcept>

namespace replay {

static uint64_t parseCount(const SoapySDR::Kwargs &args, const char *key, uint64_t fallback) {
    auto it = args.find(key);
    if (it == args.end()) return fallback;
    try {
        size_t used = 0;
        unsigned long long value = std::stoull(it->second, &used);
        if (used != it->second.size()) throw std::invalid_argument(key);
        return value;
    } catch (const std::exception &) {
        throw std::runtime_error(std::string("replay: ") + key + "='" + it->second + "' is not a whole number");
    }
}

static double parseNumber(const SoapySDR::Kwargs &args, const char *key, double fallback) {
    auto it = args.find(key);
    if (it == args.end()) return fallback;
    try {
        size_t used = 0;
        double value = std::stod(it->second, &used);
        if (used != it->second.size() || !std::isfinite(value)) throw std::invalid_argument(key);
        return value;
    } catch (const std::exception &) {
        throw std::runtime_error(std::string("replay: ") + key + "='" + it->second + "' is not a number");
    }
}

void FaultPlan::shape(Datatype type, void *samples, size_t count, double gain, double dc) const {
    const size_t n = count * 2;
    switch (type) {
    case Datatype::CU8: {
        auto *s = static_cast<uint8_t *>(samples);
        for (size_t i = 0; i < n; ++i) s[i] = uint8_t(std::clamp(std::lround((double(s[i]) - 128) * gain + dc * 128 + 128), 0L, 255L));
        break;
    }
    case Datatype::CS8: {
        auto *s = static_cast<int8_t *>(samples);
        for (size_t i = 0; i < n; ++i) s[i] = int8_t(std::clamp(std::lround(double(s[i]) * gain + dc * 128), -128L, 127L));
        break;
    }
    case Datatype::CS16: {
        auto *s = static_cast<int16_t *>(samples);
        for (size_t i = 0; i < n; ++i) s[i] = int16_t(std::clamp(std::lround(double(s[i]) * gain + dc * 32768), -32768L, 32767L));
        break;
    }
    case Datatype::CF32: {
        auto *s = static_cast<float *>(samples);
        for (size_t i = 0; i < n; ++i) s[i] = float(double(s[i]) * gain + dc);
        break;
    }
    }
}

FaultPlan FaultPlan::fromArgs(const SoapySDR::Kwargs &args) {
    FaultPlan plan;
    plan.overflowEvery = parseCount(args, "overflow_every", 0);
    plan.overflowDrop = parseCount(args, "overflow_drop", plan.overflowDrop);
    plan.timeoutEvery = parseCount(args, "timeout_every", 0);
    plan.shortEvery = parseCount(args, "short_every", 0);
    plan.goneAfter = parseCount(args, "gone_after", 0);
    plan.goneFor = parseCount(args, "gone_for", plan.goneFor);
    plan.dropEvery = parseCount(args, "drop_every", 0);
    plan.dropSamples = parseCount(args, "drop_samples", plan.dropSamples);
    plan.gainStepEvery = parseCount(args, "gain_step_every", 0);
    plan.dcSpikeEvery = parseCount(args, "dc_spike_every", 0);
    plan.driftPpm = parseNumber(args, "drift_ppm", 0);
    plan.gainStepDb = parseNumber(args, "gain_step_db", plan.gainStepDb);
    plan.dcSpikeLevel = parseNumber(args, "dc_spike_level", plan.dcSpikeLevel);
    auto stamps = args.find("drop_timestamps");
    if (stamps != args.end()) {
        if (stamps->second == "0" || stamps->second == "false") plan.dropTimestamps = false;
        else if (stamps->second != "1" && stamps->second != "true") throw std::runtime_error("replay: drop_timestamps='" + stamps->second + "' (use 1 or 0)");
    }
    if (plan.driftPpm <= -1e6 || plan.driftPpm >= 1e6) throw std::runtime_error("replay: drift_ppm must be within ±1e6");
    auto mode = args.find("gone_mode");
    if (mode != args.end()) {
        if (mode->second == "timeout") plan.goneAsTimeout = true;
        else if (mode->second != "error") throw std::runtime_error("replay: gone_mode='" + mode->second + "' (use error or timeout)");
    }
    return plan;
}

static std::mutex &statesMutex() {
    static std::mutex mutex;
    return mutex;
}

static std::map<std::string, DeviceState> &states() {
    static std::map<std::string, DeviceState> table;
    return table;
}

DeviceState &lockedState(const std::string &key) { return states()[key]; }
void lockStates() { statesMutex().lock(); }
void unlockStates() { statesMutex().unlock(); }
void resetStates() {
    std::lock_guard<std::mutex> guard(statesMutex());
    states().clear();
}

std::string deviceKey(const SoapySDR::Kwargs &args) {
    auto file = args.find("file");
    auto serial = args.find("serial");
    return (file == args.end() ? std::string() : file->second) + "#" + (serial == args.end() ? std::string() : serial->second);
}

} // namespace replay

extern "C" void trustband_soapy_replay_reset_faults(void) { replay::resetStates(); }
