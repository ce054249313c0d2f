#ifndef TRUSTBAND_SOAPY_REPLAY_H
#define TRUSTBAND_SOAPY_REPLAY_H

#ifdef __cplusplus
extern "C" {
#endif

/// Makes sure the in-process replay driver (`driver=replay`) is linked and registered with
/// SoapySDR, and returns its driver key. Registration itself happens at load time, as for
/// any SoapySDR module; calling this is idempotent.
const char *trustband_soapy_replay_driver_key(void);

/// Forgets every simulated-unplug state (for tests that reuse a recording path).
void trustband_soapy_replay_reset_faults(void);

#ifdef __cplusplus
}
#endif

#endif
