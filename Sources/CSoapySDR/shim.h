#ifndef TRUSTBAND_CSOAPYSDR_SHIM_H
#define TRUSTBAND_CSOAPYSDR_SHIM_H
// SoapySDR's C API only: the C++ API is used by the replay driver, never from Swift.
#include <SoapySDR/Device.h>
#include <SoapySDR/Errors.h>
#include <SoapySDR/Formats.h>
#include <SoapySDR/Logger.h>
#include <SoapySDR/Modules.h>
#include <SoapySDR/Types.h>
#include <SoapySDR/Version.h>
#endif
