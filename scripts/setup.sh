#!/usr/bin/env bash
# Installs what Trustband needs on Debian 12, only when it is missing. Sourced by run.sh and
# test.sh; safe to run again. Needs root (or sudo) the first time.
set -euo pipefail

TRUSTBAND_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SYSTEM_PACKAGES=(pkg-config libsoapysdr-dev libfftw3-dev libsqlite3-dev libsodium-dev nlohmann-json3-dev)
ORACLE_PACKAGES=(python3 python3-venv)
# Tests only: headless Chromium judges whether evidence pictures (SVG) render;
# systemd-analyze checks the units in deploy/; curl and openssl probe TLS nodes from outside
# (and openssl is the oracle for the certificates we issue).
BROWSER_PACKAGES=(chromium systemd curl openssl)

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# apt-get install --no-install-recommends, for the packages not yet installed.
ensure_debian_packages() {
    local missing=()
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "setup: installing ${missing[*]}" >&2
        as_root apt-get update -qq
        # libsoapysdr0.8 recommends every SDR driver module (UHD, Lime…): we need none of them.
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    fi
}

ensure_swift() {
    if ! command -v swift >/dev/null; then
        echo "setup: Swift 6.1 or newer is required (https://www.swift.org/install/linux/) and was not found on PATH" >&2
        exit 1
    fi
}

# Python with numpy, scipy and sigmf: the independent oracles the tests compare against.
# Uses python3 as it is when it already has them, otherwise a venv in .venv-oracles.
ensure_oracles() {
    local check="import numpy, scipy, sigmf"
    if command -v python3 >/dev/null && python3 -c "$check" 2>/dev/null; then
        TRUSTBAND_PYTHON="$(command -v python3)"
    else
        ensure_debian_packages "${ORACLE_PACKAGES[@]}"
        local venv="$TRUSTBAND_ROOT/.venv-oracles"
        if ! "$venv/bin/python" -c "$check" 2>/dev/null; then
            echo "setup: creating $venv with numpy, scipy and sigmf" >&2
            /usr/bin/python3 -m venv "$venv"
            "$venv/bin/pip" install -q "numpy>=1.26" "scipy>=1.11" "sigmf>=1.2"
        fi
        TRUSTBAND_PYTHON="$venv/bin/python"
    fi
    export TRUSTBAND_PYTHON
}

# Swift, the system packages and the oracles; then cd to the repository.
ensure_everything() {
    ensure_swift
    ensure_debian_packages "${SYSTEM_PACKAGES[@]}"
    ensure_oracles
    cd "$TRUSTBAND_ROOT"
}
