#!/usr/bin/env bash
# Installs Trustband on a Debian 12 host: the binary, a dedicated user, the systemd unit and an
# example configuration for the agent, the node, or both. Run as root from a checkout:
#   deploy/install.sh agent        # beside an SDR
#   deploy/install.sh node         # a ledger validator
# Then edit /etc/trustband/ROLE.json and `systemctl enable --now trustband-ROLE`.
# Real SDRs also need their SoapySDR module, e.g. apt-get install --no-install-recommends soapysdr0.8-module-rtlsdr.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
roles=("$@")
[ "${#roles[@]}" -gt 0 ] || { echo "usage: $0 agent|node ..." >&2; exit 2; }
for role in "${roles[@]}"; do
    case "$role" in agent|node) ;; *) echo "install: unknown role '$role' (agent, node)" >&2; exit 2 ;; esac
done
[ "$(id -u)" -eq 0 ] || { echo "install: run as root" >&2; exit 1; }

source "$root/scripts/setup.sh"
ensure_swift
ensure_debian_packages "${SYSTEM_PACKAGES[@]}"
(cd "$root" && swift build -c release --product trustband)
install -m 0755 "$root/.build/release/trustband" /usr/local/bin/trustband
install -d -m 0755 /etc/trustband /usr/local/share/doc/trustband
install -m 0644 "$root"/docs/*.md "$root/docs/openapi.yaml" /usr/local/share/doc/trustband/

for role in "${roles[@]}"; do
    user="trustband-$role"
    if ! id -u "$user" >/dev/null 2>&1; then
        useradd --system --no-create-home --home-dir "/var/lib/$user" --shell /usr/sbin/nologin "$user"
    fi
    # USB SDRs are group plugdev on Debian.
    if [ "$role" = agent ] && getent group plugdev >/dev/null; then usermod -a -G plugdev "$user"; fi
    install -m 0644 "$root/deploy/trustband-$role.service" /etc/systemd/system/
    if [ ! -e "/etc/trustband/$role.json" ]; then
        install -m 0640 -g "$user" "$root/deploy/$role.example.json" "/etc/trustband/$role.json"
        echo "install: wrote /etc/trustband/$role.json from the example; edit it before starting"
    fi
done
if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
install -d -m 0750 /etc/trustband/tls
echo "install: done. Keys: trustband keygen --out /etc/trustband/keys (then chgrp the private keys to the service's group, mode 0640)."
echo "install: TLS: copy the consortium CA certificate to /etc/trustband/tls/ca.crt and this host's certificate and key, issued by the"
echo "         consortium (trustband certs issue --ca CA_DIR --validator ID --dns HOST --out DIR, or --account SENSOR for an agent),"
echo "         to /etc/trustband/tls/{node,sensor}.{crt,key}; docs/security.md, \"Transport\", explains rotation."
