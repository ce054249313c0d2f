#!/usr/bin/env bash
# Runs the whole test suite, with the Python oracles (numpy, scipy, sigmf), headless Chromium
# and the real recordings in ../shared/data/real required: a missing oracle fails rather than skips.
# Extra arguments go to `swift test` (e.g. --filter RadioTests).
set -euo pipefail
source "$(dirname "$0")/setup.sh"
ensure_everything
ensure_debian_packages "${BROWSER_PACKAGES[@]}"
export TRUSTBAND_REQUIRE_ORACLES=1
# Load only our built-in replay driver, never the system's SoapySDR modules.
export SOAPY_SDR_ROOT=/nonexistent SOAPY_SDR_PLUGIN_PATH=/nonexistent
swift test "$@"
