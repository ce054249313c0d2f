#!/usr/bin/env bash
# Benchmarks in a release build, each printing our figure beside a peer's on the same input.
# Usage: scripts/bench.sh [convert|psd|contract|ed25519|ledger|agent] [options…]
set -euo pipefail
source "$(dirname "$0")/setup.sh"
ensure_everything
swift build -c release --product trustband
if [ "${1:-}" = agent ]; then
    # The steady-state agent on a live (replayed, real-time) source: CPU and RSS over time.
    shift
    TRUSTBAND_BIN="$(swift build -c release --show-bin-path)/trustband" exec "$TRUSTBAND_ROOT/bench/agent_steady_state.sh" "$@"
fi
exec "$(swift build -c release --show-bin-path)/trustband" bench "${@:-convert}"
