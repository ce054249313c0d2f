#!/usr/bin/env bash
# Steady-state agent on a live source: `trustband agent` on SoapySDR's driver=replay, paced at the
# recording's rate (realtime=1, loop=1), as a radio would deliver it; prints the agent's CPU (% of
# one core) and RSS every INTERVAL seconds for DURATION seconds, and the segments it captured,
# audited and dropped. Usage: bench/agent_steady_state.sh [DURATION_S=120] [RATE=10e6] [INTERVAL_S=10]
# (run by `scripts/bench.sh agent`, which builds the release binary first).
set -euo pipefail
duration="${1:-120}"; rate="${2:-10e6}"; interval="${3:-10}"
bin="${TRUSTBAND_BIN:?set TRUSTBAND_BIN to the trustband executable}"
python="${TRUSTBAND_PYTHON:-python3}"
work="$(mktemp -d /tmp/trustband-agent-bench.XXXXXX)"
trap 'kill -TERM "${pid:-0}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

# One second of a licensed carrier inside its grant (compliant: the steady state of a site).
cat > "$work/scene.json" <<SCENE
{"sample_rate": $rate, "center_hz": 3560000000, "duration_s": 1, "seed": 5, "start_time": "2026-12-01T00:00:00Z",
 "noise_dbfs": -60,
 "emitters": [{"kind": "carrier", "label": "licensed", "offset_hz": -1000000, "bandwidth_hz": 2000000, "psd_dbfs_per_mhz": -35, "subcarriers": 128}]}
SCENE
"$bin" synth "$work/scene.json" --out "$work/source.sigmf-meta" --datatype ci16_le > /dev/null
"$bin" keygen --out "$work/keys" > /dev/null
"$python" - "$work" <<'PY'
import datetime, json, sys
now = datetime.datetime.now(datetime.timezone.utc)
iso = lambda d: (now + datetime.timedelta(seconds=d)).strftime("%Y-%m-%dT%H:%M:%SZ")
json.dump({"grants": [{"id": "licensed", "holder": "pbs-1", "mno": "mno-a", "freq_low_hz": 3557500000, "freq_high_hz": 3560500000,
                       "max_psd_dbm_per_mhz": -20, "oob_max_psd_dbm_per_mhz": -45,
                       "windows": [{"start": iso(-3600), "end": iso(86400)}], "max_occupancy_s": 86400 * 2}]},
          open(sys.argv[1] + "/grants.json", "w"))
PY
port=$(( 20000 + RANDOM % 20000 ))
cat > "$work/agent.json" <<CONFIG
{"sensor": {"account": "sensor-1", "key": "keys/sensor.ed25519"},
 "source": {"device": "driver=replay,file=$work/source.sigmf-meta,realtime=1,loop=1", "frequency": 3560000000, "rate": $rate, "segment_s": 2},
 "grants": {"file": "grants.json"}, "ledger": {"nodes": ["http://127.0.0.1:1"]}, "data_dir": "data",
 "http": {"listen": "127.0.0.1:$port"}}
CONFIG
SOAPY_SDR_ROOT=/nonexistent SOAPY_SDR_PLUGIN_PATH=/nonexistent TRUSTBAND_LOG_LEVEL=warning "$bin" agent --config "$work/agent.json" &
pid=$!
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
health() { "$python" -c "import json,sys,urllib.request; h=json.load(urllib.request.urlopen('http://127.0.0.1:$port/healthz', timeout=2)); print(h['segments'], h['segments_dropped'], h['violations'])" 2>/dev/null || echo "? ? ?"; }
sleep 3
echo "agent on driver=replay at $rate S/s (realtime, looped), 2 s segments; $(nproc) cores; sampling every ${interval} s for ${duration} s"
echo "    t s   CPU % of one core   RSS MB   segments  dropped  violations"
last=$(cpu); start=$(date +%s.%N); t0=$start; first_rss=""
while :; do
    sleep "$interval"
    now=$(date +%s.%N); used=$(cpu); kb=$(rss)
    pct=$(awk -v a="$used" -v b="$last" -v t="$ticks" -v dt="$(awk -v x="$now" -v y="$start" 'BEGIN{print x-y}')" 'BEGIN{printf "%.1f", (a-b)/t/dt*100}')
    elapsed=$(awk -v x="$now" -v y="$t0" 'BEGIN{printf "%.0f", x-y}')
    read -r segments dropped violations <<< "$(health)"
    printf "%7s   %17s   %6.1f   %8s  %7s  %10s\n" "$elapsed" "$pct" "$(awk -v k="$kb" 'BEGIN{print k/1024}')" "$segments" "$dropped" "$violations"
    [ -n "$first_rss" ] || first_rss=$kb
    last=$used; start=$now
    [ "$elapsed" -lt "$duration" ] || break
done
echo "RSS first sample $(awk -v k="$first_rss" 'BEGIN{printf "%.1f", k/1024}') MB, last $(awk -v k="$kb" 'BEGIN{printf "%.1f", k/1024}') MB"
