#!/usr/bin/env bash
# The fault campaign (docs/security.md, "Fault campaign"): a 4-validator devnet of real processes
# with mutual TLS and every peer link through a TCP proxy, a client offering transactions, and
# each fault in turn; prints the table. Usage: scripts/faults.sh [RUNS] [FAULT_SECONDS] [FAULT…]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/setup.sh"
ensure_swift
ensure_debian_packages "${SYSTEM_PACKAGES[@]}"
runs="${1:-3}"; seconds="${2:-8}"; shift $(( $# > 2 ? 2 : $# ))
cd "$root"
swift build -c release --product trustband >&2
faults=()
if [ "$#" -gt 0 ]; then faults=(--faults "$@"); fi
exec .build/release/trustband faults --runs "$runs" --fault-seconds "$seconds" --dir "${TMPDIR:-/tmp}/trustband-faults" "${faults[@]}"
