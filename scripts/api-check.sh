#!/usr/bin/env bash
# schemathesis (PyPI) against docs/openapi.yaml on a running node: no 5xx, and every status
# code, content type, header and body conforms to the document. Used by CI after the tests.
#   scripts/api-check.sh [MAX_EXAMPLES]    (default 50 per operation)
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-50}"
venv="$PWD/.venv-schema"
if ! "$venv/bin/schemathesis" --version >/dev/null 2>&1; then
  echo "api-check: creating $venv with schemathesis" >&2
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis>=4.0"
fi
binary="${TRUSTBAND_BINARY:-$PWD/.build/debug/trustband}"
[ -x "$binary" ] || swift build --product trustband
checks=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
devnet=""
dirs=()
trap 'if [ -n "$devnet" ]; then kill $devnet 2>/dev/null; wait $devnet 2>/dev/null; fi; rm -rf "${dirs[@]}"' EXIT

# A one-node devnet (with --tls: TLS 1.3, its own CA); waits until it answers.
start_devnet() {
  dir="$(mktemp -d)"; dirs+=("$dir")
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  "$binary" devnet --nodes 1 --dir "$dir" --base-port "$port" "$@" > "$dir/devnet.out" 2>&1 &
  devnet=$!
  for _ in $(seq 1 150); do
    curl -s -o /dev/null ${1:+--cacert "$dir/tls/ca.crt"} "$scheme://127.0.0.1:$port/healthz" && return 0
    sleep 0.2
  done
  echo "api-check: the devnet did not answer; its output:" >&2; cat "$dir/devnet.out" >&2; exit 1
}

stop_devnet() { kill $devnet 2>/dev/null; wait $devnet 2>/dev/null || true; devnet=""; }

# Plain HTTP on loopback.
scheme=http
start_devnet
"$venv/bin/schemathesis" run docs/openapi.yaml --url "http://127.0.0.1:$port" --max-examples "$examples" --checks "$checks"
stop_devnet

# The same API over TLS, as deployed, with a client certificate naming an account (its 403s
# are in the document too).
scheme=https
start_devnet --tls
"$binary" certs issue --ca "$dir/tls" --account user-0 --out "$dir/client" > /dev/null
"$venv/bin/schemathesis" run docs/openapi.yaml --url "https://127.0.0.1:$port" --max-examples "$(( (examples + 1) / 2 ))" --checks "$checks" \
  --tls-verify "$dir/tls/ca.crt" --request-cert "$dir/client/user-0.crt" --request-cert-key "$dir/client/user-0.key"
stop_devnet
