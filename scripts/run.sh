#!/usr/bin/env bash
# The main job on the embedded defaults: replays the bundled recording through the SoapySDR
# replay driver and prints what it contains. Extra arguments go to `trustband replay`.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
ensure_swift
ensure_debian_packages "${SYSTEM_PACKAGES[@]}"
cd "$TRUSTBAND_ROOT"
swift build --product trustband
exec "$(swift build --show-bin-path)/trustband" replay Fixtures/recordings/demo.sigmf-meta "$@"
