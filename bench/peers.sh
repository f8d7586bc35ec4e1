#!/usr/bin/env bash
# Install what `make bench` measures against: nginx and wrk from Debian, Datasette and
# sqlite-utils (plus matplotlib for the plot) in their own venv. Idempotent; needs root for apt.
set -euo pipefail
cd "$(dirname "$0")/.."
PEERS=var/bench/peers
missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
if [ ${#missing[@]} -gt 0 ]; then
    echo "bench: installing ${missing[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ ! -x "$PEERS/bin/datasette" ] || [ bench/requirements-peers.txt -nt "$PEERS/.installed" ]; then
    echo "bench: installing Datasette, sqlite-utils and matplotlib into $PEERS"
    python3 -m venv "$PEERS"
    "$PEERS/bin/python" -m pip install --quiet --upgrade pip
    "$PEERS/bin/python" -m pip install --quiet -r bench/requirements-peers.txt
    touch "$PEERS/.installed"
fi
