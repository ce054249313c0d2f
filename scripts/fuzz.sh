#!/usr/bin/env bash
# libFuzzer on every decoder that reads bytes from outside (docs/security.md, "Fuzzing").
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET…]    default 300 s, every target
# Builds Fuzz/ with -sanitize=fuzzer,address (scratch .build-fuzz), runs each target from its
# seed corpus (Fuzz/corpus/TARGET, kept read-only; new inputs go to .build-fuzz/corpus/TARGET),
# prints executions per second and coverage per target, and stops at the first crash: the input
# is copied to Fuzz/regressions/TARGET/ (replayed by the tests from then on) and the script fails.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-300}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(sigmf-meta raw-samples transaction consensus evidence-record grants scenario genesis peer-frames sigmf-archive evidence-bundle tx-body node-config agent-config); fi
scratch="$PWD/.build-fuzz"
echo "building the fuzzer (swift build -c debug, -sanitize=fuzzer,address)…"
(cd Fuzz && swift build -c debug --scratch-path "$scratch" -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -use-ld=lld 2>&1 | tail -3)
binary="$scratch/debug/TrustbandFuzz"
[ -x "$binary" ] || { echo "fuzz: the build did not produce $binary" >&2; exit 1; }
printf '\n%-16s %8s %12s %10s %8s %8s\n' target seconds executions "execs/s" cov ft
failed=0
for target in "${targets[@]}"; do
  corpus="$scratch/corpus/$target"
  mkdir -p "$corpus" "$scratch/artifacts/$target"
  log="$scratch/$target.log"
  set +e
  TRUSTBAND_FUZZ_TARGET="$target" "$binary" "$corpus" "Fuzz/corpus/$target" -max_total_time="$seconds" -print_final_stats=1 \
    -rss_limit_mb=4096 -timeout=10 -artifact_prefix="$scratch/artifacts/$target/" > "$log" 2>&1
  status=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  rate=$(grep -o 'exec/s: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo 0)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo 0)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo 0)
  printf '%-16s %8s %12s %10s %8s %8s\n' "$target" "$seconds" "${execs:-0}" "${rate:-0}" "${cov:-0}" "${ft:-0}"
  if [ $status -ne 0 ]; then
    crash=$(ls -t "$scratch/artifacts/$target/" 2>/dev/null | head -1 || true)
    echo "fuzz: $target failed (exit $status); log $log" >&2
    grep -m 5 -E 'ERROR|Fatal error|SUMMARY|panic|Precondition' "$log" >&2 || true
    if [ -n "$crash" ]; then
      mkdir -p "Fuzz/regressions/$target"
      cp "$scratch/artifacts/$target/$crash" "Fuzz/regressions/$target/$crash"
      echo "fuzz: the input is in Fuzz/regressions/$target/$crash (commit it with the fix)" >&2
    fi
    failed=1
  fi
done
exit $failed
