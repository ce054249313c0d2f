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
dir="$(mktemp -d)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
"$binary" devnet --nodes 1 --dir "$dir" --base-port "$port" > "$dir/devnet.out" 2>&1 &
devnet=$!
trap 'kill $devnet 2>/dev/null; wait $devnet 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do python3 -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "http://127.0.0.1:$port/healthz" 2>/dev/null && break; sleep 0.2; done
"$venv/bin/schemathesis" run docs/openapi.yaml --url "http://127.0.0.1:$port" --max-examples "$examples" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
