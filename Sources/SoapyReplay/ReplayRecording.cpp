#include "ReplayRecording.hpp"

#include <nlohmann/json.hpp>

#include <cstring>
#include <fstream>
#include <stdexcept>
#include <sys/stat.h>

namespace replay {

size_t bytesPerSample(Datatype type) {
    switch (type) {
    case Datatype::CU8: return 2;
    case Datatype::CS8: return 2;
    case Datatype::CS16: return 4;
    case Datatype::CF32: return 8;
    }
    return 0;
}

std::string soapyFormat(Datatype type) {
    switch (type) {
    case Datatype::CU8: return "CU8";
    case Datatype::CS8: return "CS8";
    case Datatype::CS16: return "CS16";
    case Datatype::CF32: return "CF32";
    }
    return "";
}

double fullScale(Datatype type) {
    switch (type) {
    case Datatype::CU8: return 128.0;
    case Datatype::CS8: return 128.0;
    case Datatype::CS16: return 32768.0;
    case Datatype::CF32: return 1.0;
    }
    return 1.0;
}

static bool endsWith(const std::string &s, const std::string &suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

static Datatype parseDatatype(const std::string &name, const std::string &where) {
    if (name == "cu8") return Datatype::CU8;
    if (name == "ci8" || name == "cs8") return Datatype::CS8;
    if (name == "ci16_le" || name == "cs16" || name == "ci16") return Datatype::CS16;
    if (name == "cf32_le" || name == "cf32") return Datatype::CF32;
    throw std::runtime_error("replay: " + where + " datatype '" + name +
                             "' is not served (use cu8, ci8, ci16_le or cf32_le)");
}

static double parsePositive(const std::string &text, const std::string &key) {
    try {
        size_t used = 0;
        double value = std::stod(text, &used);
        if (used != text.size() || !(value > 0)) throw std::invalid_argument(key);
        return value;
    } catch (const std::exception &) {
        throw std::runtime_error("replay: " + key + "='" + text + "' is not a positive number");
    }
}

static uint64_t fileSize(const std::string &path) {
    struct stat info;
    if (stat(path.c_str(), &info) != 0) throw std::runtime_error("replay: cannot open '" + path + "': " + std::strerror(errno));
    return static_cast<uint64_t>(info.st_size);
}

static void readSigMF(const std::string &metaPath, RecordingInfo &info) {
    std::ifstream in(metaPath);
    if (!in) throw std::runtime_error("replay: cannot open '" + metaPath + "'");
    nlohmann::json meta;
    try {
        in >> meta;
        const auto &global = meta.at("global");
        info.datatype = parseDatatype(global.at("core:datatype").get<std::string>(), metaPath);
        if (global.contains("core:sample_rate")) info.sampleRate = global.at("core:sample_rate").get<double>();
        if (meta.contains("captures") && !meta["captures"].empty()) {
            const auto &first = meta["captures"][0];
            if (first.contains("core:frequency")) {
                info.centerHz = first.at("core:frequency").get<double>();
                info.centerKnown = true;
            }
            if (first.contains("core:header_bytes")) info.headerBytes = first.at("core:header_bytes").get<uint64_t>();
        }
    } catch (const nlohmann::json::exception &e) {
        throw std::runtime_error("replay: '" + metaPath + "' is not usable SigMF metadata: " + e.what());
    }
    info.dataPath = metaPath.substr(0, metaPath.size() - std::strlen(".sigmf-meta")) + ".sigmf-data";
}

RecordingInfo describeRecording(const SoapySDR::Kwargs &args) {
    auto file = args.find("file");
    if (file == args.end() || file->second.empty()) throw std::runtime_error("replay: the 'file' argument is required");
    RecordingInfo info;
    std::string path = file->second;
    if (endsWith(path, ".sigmf-data")) path = path.substr(0, path.size() - std::strlen(".sigmf-data")) + ".sigmf-meta";
    if (endsWith(path, ".sigmf-meta")) {
        readSigMF(path, info);
    } else {
        info.dataPath = path;
        auto format = args.find("format");
        std::string name;
        if (format != args.end()) name = format->second;
        else {
            auto dot = path.rfind('.');
            name = dot == std::string::npos ? "" : path.substr(dot + 1);
        }
        if (name.empty()) throw std::runtime_error("replay: raw file '" + path + "' needs format=");
        info.datatype = parseDatatype(name, "'" + path + "'");
    }
    if (args.count("format") && endsWith(file->second, ".sigmf-meta"))
        info.datatype = parseDatatype(args.at("format"), "format=");
    if (args.count("rate")) info.sampleRate = parsePositive(args.at("rate"), "rate");
    if (args.count("center")) {
        info.centerHz = std::stod(args.at("center"));
        info.centerKnown = true;
    }
    if (args.count("offset")) info.headerBytes = std::stoull(args.at("offset"));
    if (!(info.sampleRate > 0)) throw std::runtime_error("replay: '" + path + "' has no sample rate; pass rate=");
    const uint64_t size = fileSize(info.dataPath);
    if (size < info.headerBytes) throw std::runtime_error("replay: '" + info.dataPath + "' is shorter than its header");
    info.sampleCount = (size - info.headerBytes) / bytesPerSample(info.datatype);
    return info;
}

void convertToCF32(Datatype type, const void *in, float *out, size_t count) {
    const size_t components = count * 2;
    switch (type) {
    case Datatype::CU8: {
        const auto *src = static_cast<const uint8_t *>(in);
        for (size_t i = 0; i < components; ++i) out[i] = (float(src[i]) - 128.0f) * (1.0f / 128.0f);
        break;
    }
    case Datatype::CS8: {
        const auto *src = static_cast<const int8_t *>(in);
        for (size_t i = 0; i < components; ++i) out[i] = float(src[i]) * (1.0f / 128.0f);
        break;
    }
    case Datatype::CS16: {
        const auto *src = static_cast<const int16_t *>(in);
        for (size_t i = 0; i < components; ++i) out[i] = float(src[i]) * (1.0f / 32768.0f);
        break;
    }
    case Datatype::CF32:
        std::memcpy(out, in, components * sizeof(float));
        break;
    }
}

} // namespace replay
