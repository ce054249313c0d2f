// The SoapySDR device `driver=replay`: serves a recording through the real stream API.
//
// Args: file=PATH (.sigmf-meta, .sigmf-data or raw), format=, rate=, center=, offset=,
// realtime=1 (pace at the sample rate), loop=1, start_ns= (time of sample 0), mtu=,
// serial=, and the fault plan (overflow_every, overflow_drop, timeout_every, short_every,
// gone_after, gone_for, gone_mode). When the recording ends (and loop is off) the last read
// carries SOAPY_SDR_END_BURST and further reads time out.
#include "ReplayFaults.hpp"
#include "ReplayRecording.hpp"
#include "SoapyReplay.h"

#include <SoapySDR/Device.hpp>
#include <SoapySDR/Formats.hpp>
#include <SoapySDR/Registry.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

namespace replay {

class ReplayDevice final : public SoapySDR::Device {
public:
    ReplayDevice(const SoapySDR::Kwargs &args)
        : _args(args), _info(describeRecording(args)), _faults(FaultPlan::fromArgs(args)), _key(deviceKey(args)) {
        _file = std::fopen(_info.dataPath.c_str(), "rb");
        if (!_file) throw std::runtime_error("replay: cannot open '" + _info.dataPath + "': " + std::strerror(errno));
        _realtime = flag("realtime");
        _loop = flag("loop");
        if (args.count("start_ns")) _startNs = std::stoll(args.at("start_ns"));
        if (args.count("mtu")) _mtu = std::max<size_t>(1, std::stoull(args.at("mtu")));
        _frequency = _info.centerKnown ? _info.centerHz : 0;
        _bandwidth = _info.sampleRate;
    }

    ~ReplayDevice() override {
        if (_file) std::fclose(_file);
    }

    std::string getDriverKey() const override { return "replay"; }
    std::string getHardwareKey() const override { return "replay:" + soapyFormat(_info.datatype); }
    SoapySDR::Kwargs getHardwareInfo() const override {
        SoapySDR::Kwargs info;
        info["file"] = _info.dataPath;
        info["samples"] = std::to_string(_info.sampleCount);
        return info;
    }

    size_t getNumChannels(const int direction) const override { return direction == SOAPY_SDR_RX ? 1 : 0; }

    // ---- stream formats -------------------------------------------------------------
    std::vector<std::string> getStreamFormats(const int, const size_t) const override {
        std::vector<std::string> formats{soapyFormat(_info.datatype)};
        if (_info.datatype != Datatype::CF32) formats.push_back(SOAPY_SDR_CF32);
        return formats;
    }
    std::string getNativeStreamFormat(const int, const size_t, double &fullScaleOut) const override {
        fullScaleOut = fullScale(_info.datatype);
        return soapyFormat(_info.datatype);
    }

    // ---- tuning: only what the recording holds can be "tuned" ------------------------
    void setFrequency(const int, const size_t, const double frequency, const SoapySDR::Kwargs &) override {
        if (_info.centerKnown && std::fabs(frequency - _info.centerHz) > 1.0)
            throw std::runtime_error("replay: the recording is centred at " + std::to_string(_info.centerHz) +
                                     " Hz; cannot tune to " + std::to_string(frequency) + " Hz");
        _frequency = frequency;
    }
    double getFrequency(const int, const size_t) const override { return _frequency; }
    SoapySDR::RangeList getFrequencyRange(const int, const size_t) const override {
        if (_info.centerKnown) return {SoapySDR::Range(_info.centerHz, _info.centerHz)};
        return {SoapySDR::Range(0, 100e9)};
    }

    void setSampleRate(const int, const size_t, const double rate) override {
        if (std::fabs(rate - _info.sampleRate) > 1e-6 * _info.sampleRate)
            throw std::runtime_error("replay: the recording is at " + std::to_string(_info.sampleRate) +
                                     " S/s; cannot set " + std::to_string(rate) + " S/s");
    }
    double getSampleRate(const int, const size_t) const override { return _info.sampleRate; }
    std::vector<double> listSampleRates(const int, const size_t) const override { return {_info.sampleRate}; }
    SoapySDR::RangeList getSampleRateRange(const int, const size_t) const override {
        return {SoapySDR::Range(_info.sampleRate, _info.sampleRate)};
    }

    void setBandwidth(const int, const size_t, const double bw) override { _bandwidth = bw; }
    double getBandwidth(const int, const size_t) const override { return _bandwidth; }

    std::vector<std::string> listGains(const int, const size_t) const override { return {"REPLAY"}; }
    bool hasGainMode(const int, const size_t) const override { return true; }
    void setGainMode(const int, const size_t, const bool automatic) override { _agc = automatic; }
    bool getGainMode(const int, const size_t) const override { return _agc; }
    void setGain(const int, const size_t, const double value) override { _gain = value; }
    void setGain(const int, const size_t, const std::string &, const double value) override { _gain = value; }
    double getGain(const int, const size_t) const override { return _gain; }
    SoapySDR::Range getGainRange(const int, const size_t) const override { return SoapySDR::Range(0, 50, 1); }

    std::vector<std::string> listAntennas(const int, const size_t) const override { return {"RX"}; }
    std::string getAntenna(const int, const size_t) const override { return "RX"; }

    bool hasHardwareTime(const std::string &what) const override { return what.empty(); }
    long long getHardwareTime(const std::string &) const override { return timeOf(currentPosition()); }

    // ---- streaming -----------------------------------------------------------------
    SoapySDR::Stream *setupStream(const int direction, const std::string &format, const std::vector<size_t> &channels,
                                  const SoapySDR::Kwargs &) override {
        if (direction != SOAPY_SDR_RX) throw std::runtime_error("replay: transmit is not supported");
        if (channels.size() > 1 || (channels.size() == 1 && channels[0] != 0))
            throw std::runtime_error("replay: only channel 0 exists");
        if (format == soapyFormat(_info.datatype)) _convert = false;
        else if (format == SOAPY_SDR_CF32) _convert = true;
        else throw std::runtime_error("replay: stream format " + format + " not supported (use " +
                                      soapyFormat(_info.datatype) + " or CF32)");
        _scratch.resize(_mtu * bytesPerSample(_info.datatype));
        return reinterpret_cast<SoapySDR::Stream *>(this);
    }
    void closeStream(SoapySDR::Stream *) override { _active = false; }
    size_t getStreamMTU(SoapySDR::Stream *) const override { return _mtu; }

    int activateStream(SoapySDR::Stream *, const int, const long long, const size_t) override {
        _active = true;
        _paceStart = std::chrono::steady_clock::now();
        _pacePosition = currentPosition();
        return 0;
    }
    int deactivateStream(SoapySDR::Stream *, const int, const long long) override {
        _active = false;
        return 0;
    }

    int readStream(SoapySDR::Stream *, void *const *buffs, const size_t numElems, int &flags, long long &timeNs,
                   const long timeoutUs) override {
        flags = 0;
        if (!_active) return SOAPY_SDR_STREAM_ERROR;
        const uint64_t call = ++_reads;
        bool vanish = false;
        int gone = withDeviceState(_key, [&](DeviceState &state) {
            if (state.unplugged) return 1;
            if (_faults.goneAfter && !state.goneTriggered && state.position >= _faults.goneAfter) {
                state.goneTriggered = true;
                state.unplugged = true;
                state.makeFailuresLeft = _faults.goneFor;
                vanish = true;
                return 1;
            }
            return 0;
        });
        if (gone) {
            (void)vanish;
            if (_faults.goneAsTimeout) {
                std::this_thread::sleep_for(std::chrono::microseconds(std::min<long>(timeoutUs, 1000)));
                return SOAPY_SDR_TIMEOUT;
            }
            return SOAPY_SDR_STREAM_ERROR;
        }
        if (_faults.timeoutEvery && call % _faults.timeoutEvery == 0) return SOAPY_SDR_TIMEOUT;
        if (_faults.dropEvery && call % _faults.dropEvery == 0) {
            // Lost without a word (a USB packet dropped): the position jumps; the timestamps show
            // it or, without hardware timestamps, carry on as if nothing was lost.
            withDeviceState(_key, [&](DeviceState &state) {
                const uint64_t lost = std::min<uint64_t>(_faults.dropSamples, endPosition() - state.position);
                state.position += lost;
                if (!_faults.dropTimestamps) _hiddenLoss += lost;
                return 0;
            });
        }
        if (_faults.gainStepEvery && call % _faults.gainStepEvery == 0) _gainStepped = !_gainStepped;
        if (_faults.overflowEvery && call % _faults.overflowEvery == 0) {
            withDeviceState(_key, [&](DeviceState &state) {
                state.position = std::min<uint64_t>(state.position + _faults.overflowDrop, endPosition());
                return 0;
            });
            return SOAPY_SDR_OVERFLOW;
        }
        uint64_t position = currentPosition();
        if (position >= _info.sampleCount) {
            if (_loop && _info.sampleCount > 0) {
                position = 0;
                setPosition(0);
                _pacePosition = 0;
                _paceStart = std::chrono::steady_clock::now();
            } else {
                // The recording has ended: said at once the first time (a reader that stops there
                // waits for nothing), and after a wait when polled again, so that a reader that
                // keeps polling does not spin.
                if (_endReported)
                    std::this_thread::sleep_for(std::chrono::microseconds(std::min<long>(timeoutUs, 10000)));
                _endReported = true;
                flags |= SOAPY_SDR_END_BURST;
                return SOAPY_SDR_TIMEOUT;
            }
        }
        size_t want = std::min<size_t>(numElems, _mtu);
        if (_faults.shortEvery && call % _faults.shortEvery == 0) want = std::max<size_t>(1, want / 2);
        if (_faults.goneAfter && position < _faults.goneAfter)
            want = std::min<uint64_t>(want, _faults.goneAfter - position);
        want = std::min<uint64_t>(want, _info.sampleCount - position);
        const bool spike = _faults.dcSpikeEvery && call % _faults.dcSpikeEvery == 0;
        const size_t got = readSamples(position, want, buffs[0], _gainStepped ? std::pow(10.0, _faults.gainStepDb / 20) : 1.0,
                                       spike ? _faults.dcSpikeLevel : 0.0);
        if (got == 0) return SOAPY_SDR_STREAM_ERROR;
        pace(position + got);
        setPosition(position + got);
        timeNs = timeOf(position);
        flags |= SOAPY_SDR_HAS_TIME;
        if (position + got >= _info.sampleCount && !_loop) flags |= SOAPY_SDR_END_BURST;
        return static_cast<int>(got);
    }

private:
    bool flag(const char *key) const {
        auto it = _args.find(key);
        return it != _args.end() && (it->second == "1" || it->second == "true" || it->second == "yes");
    }
    uint64_t endPosition() const { return _info.sampleCount; }
    uint64_t currentPosition() const {
        return withDeviceState(_key, [](DeviceState &state) { return state.position; });
    }
    void setPosition(uint64_t position) {
        withDeviceState(_key, [&](DeviceState &state) {
            state.position = position;
            return 0;
        });
    }
    /// The device's timestamp of a sample: its clock runs `drift_ppm` off, and samples it lost
    /// without knowing (`drop_timestamps=0`) are missing from its count.
    long long timeOf(uint64_t position) const {
        const double counted = double(position - std::min(position, _hiddenLoss));
        return _startNs + static_cast<long long>(std::llround(counted * 1e9 / (_info.sampleRate * (1 + _faults.driftPpm * 1e-6))));
    }
    size_t readSamples(uint64_t position, size_t count, void *out, double gain = 1, double dc = 0) {
        const size_t width = bytesPerSample(_info.datatype);
        const off_t offset = static_cast<off_t>(_info.headerBytes + position * width);
        if (fseeko(_file, offset, SEEK_SET) != 0) return 0;
        void *target = _convert ? static_cast<void *>(_scratch.data()) : out;
        const size_t got = std::fread(target, width, count, _file);
        if (gain != 1 || dc != 0) _faults.shape(_info.datatype, target, got, gain, dc);
        if (_convert) convertToCF32(_info.datatype, _scratch.data(), static_cast<float *>(out), got);
        return got;
    }
    void pace(uint64_t endPosition) {
        if (!_realtime) return;
        const double seconds = double(endPosition - _pacePosition) / _info.sampleRate;
        std::this_thread::sleep_until(_paceStart + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                       std::chrono::duration<double>(seconds)));
    }

    SoapySDR::Kwargs _args;
    RecordingInfo _info;
    FaultPlan _faults;
    uint64_t _hiddenLoss = 0;
    bool _gainStepped = false;
    std::string _key;
    std::FILE *_file = nullptr;
    bool _realtime = false, _loop = false, _convert = false, _active = false, _agc = false, _endReported = false;
    long long _startNs = 0;
    size_t _mtu = 8192;
    double _frequency = 0, _bandwidth = 0, _gain = 0;
    uint64_t _reads = 0;
    std::vector<unsigned char> _scratch;
    std::chrono::steady_clock::time_point _paceStart;
    uint64_t _pacePosition = 0;
};

/// One attempt to reach the device (find or make): while it is unplugged, each attempt
/// counts down its absence, and the attempt after the last failure finds it plugged back in.
static bool attemptToReach(const std::string &key) {
    return withDeviceState(key, [](DeviceState &state) {
        if (!state.unplugged) return true;
        if (state.makeFailuresLeft > 0) {
            --state.makeFailuresLeft;
            return false;
        }
        state.unplugged = false;
        return true;
    });
}

static SoapySDR::KwargsList findReplay(const SoapySDR::Kwargs &args) {
    if (!args.count("file")) return {};
    try {
        const RecordingInfo info = describeRecording(args);
        if (!attemptToReach(deviceKey(args))) return {};
        SoapySDR::Kwargs found = args;
        found["driver"] = "replay";
        found["label"] = "Replay of " + info.dataPath;
        return {found};
    } catch (const std::exception &) {
        return {};
    }
}

static SoapySDR::Device *makeReplay(const SoapySDR::Kwargs &args) {
    if (!attemptToReach(deviceKey(args))) throw std::runtime_error("replay: device is unplugged");
    return new ReplayDevice(args);
}

static SoapySDR::Registry registerReplay("replay", &findReplay, &makeReplay, SOAPY_SDR_ABI_VERSION);

} // namespace replay

extern "C" const char *trustband_soapy_replay_driver_key(void) { return "replay"; }
