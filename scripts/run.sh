#!/usr/bin/env bash
# The main job on the embedded defaults: `trustband demo` — a 4-node devnet on loopback, a
# distribution round, the agent on the bundled recording (two violations), evidence delivered,
# validators' votes, convictions and slashing. Extra arguments go to `trustband demo`.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
ensure_swift
ensure_debian_packages "${SYSTEM_PACKAGES[@]}"
cd "$TRUSTBAND_ROOT"
swift build --product trustband
exec "$(swift build --show-bin-path)/trustband" demo "$@"
