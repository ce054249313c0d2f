#!/usr/bin/env bash
# Benchmarks in a release build, each printing our figure beside a peer's on the same input.
# Usage: scripts/bench.sh [convert|psd|sweep|contract|ed25519|ledger|agent] [options…]
set -euo pipefail
source "$(dirname "$0")/setup.sh"
ensure_everything
swift build -c release --product trustband
if [ "${1:-}" = agent ]; then
    # The steady-state agent on a live (replayed, real-time) source: CPU and RSS over time.
    shift
    TRUSTBAND_BIN="$(swift build -c release --show-bin-path)/trustband" exec "$TRUSTBAND_ROOT/bench/agent_steady_state.sh" "$@"
fi
if [ "${1:-}" = sweep ]; then
    # soapy_power (PyPI) needs Debian's SoapySDR bindings; our replay driver as a loadable module.
    shift
    ensure_debian_packages python3-soapysdr python3-venv
    venv="$TRUSTBAND_ROOT/.venv-sweep"
    if ! "$venv/bin/python" -c "import soapypower, SoapySDR" 2>/dev/null; then
        /usr/bin/python3 -m venv --system-site-packages "$venv"
        "$venv/bin/pip" install -q soapy_power
    fi
    swift build -c release --product SoapyReplayModule
    bin="$(swift build -c release --show-bin-path)"
    module="$(mktemp -d)"
    cp "$bin/libSoapyReplayModule.so" "$module/"
    SOAPY_SDR_ROOT=/nonexistent SOAPY_SDR_PLUGIN_PATH=/nonexistent exec "$bin/trustband" bench sweep \
        --soapy-power "$venv/bin/soapy_power" --python "$venv/bin/python" --module "$module" "$@"
fi
exec "$(swift build -c release --show-bin-path)/trustband" bench "${@:-convert}"
