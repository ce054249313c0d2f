#include "ReplayFaults.hpp"
#include "SoapyReplay.h"

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

FaultPlan FaultPlan::fromArgs(const SoapySDR::Kwargs &args) {
    FaultPlan plan;
    plan.overflowEvery = parseCount(args, "overflow_every", 0);
    plan.overflowDrop = parseCount(args, "overflow_drop", plan.overflowDrop);
    plan.timeoutEvery = parseCount(args, "timeout_every", 0);
    plan.shortEvery = parseCount(args, "short_every", 0);
    plan.goneAfter = parseCount(args, "gone_after", 0);
    plan.goneFor = parseCount(args, "gone_for", plan.goneFor);
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
