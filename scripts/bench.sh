#!/usr/bin/env bash
# Benchmarks in a release build, each printing our figure beside a peer's on the same input.
# Usage: scripts/bench.sh [convert] [options…]
set -euo pipefail
source "$(dirname "$0")/setup.sh"
ensure_everything
swift build -c release --product trustband
exec "$(swift build -c release --show-bin-path)/trustband" bench "${@:-convert}"
