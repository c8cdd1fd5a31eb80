#!/usr/bin/env bash
# A short load run, as CI does it (.ci/run): builds redset and redset-load, starts
# `redset serve --demo` on two free loopback ports (the system picks them), waits for /readyz,
# drives it with redset-load and stops the server by its PID. Exits non-zero when the server
# does not become ready in time or the run reports an error; the server's log is printed then.
# Run from anywhere in the repository; arguments are passed on to redset-load
# (e.g. scripts/load-smoke.sh -max-p99-failover 20ms).
#
# Environment (defaults in brackets):
#   CLIENTS    concurrent clients [200]
#   DURATION   how long the load runs [10s]
#   SETS       sets redset-load creates and fails over [20]
#   PROBE_RATE failovers per second of the probe process (-probe-rate) [10]
set -euo pipefail
cd "$(dirname "$0")/.."

dir=$(mktemp -d /tmp/redset-load.XXXXXX)
server_pid=""

stop_server() { # SIGTERM, then SIGKILL when it has not ended within 10 s
  [ -n "$server_pid" ] || return 0
  kill "$server_pid" 2>/dev/null || return 0
  for _ in $(seq 100); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

finish() {
  local status=$?
  stop_server
  if [ "$status" -ne 0 ] && [ -f "$dir/server.log" ]; then
    echo "--- the server's log (last 200 lines)"
    tail -n 200 "$dir/server.log"
  fi
  rm -rf "$dir"
  exit "$status"
}
trap finish EXIT

go build -o "$dir/redset" ./cmd/redset
go build -o "$dir/redset-load" ./cmd/redset-load

export REDSET_ADMIN_PASSWORD="load-$RANDOM-$RANDOM"
"$dir/redset" serve --demo --data "$dir/data" --listen 127.0.0.1:0 --listen 127.0.0.1:0 >"$dir/server.log" 2>&1 &
server_pid=$!

addr=""
for _ in $(seq 300); do # at most about 30 s
  kill -0 "$server_pid" 2>/dev/null || { echo "the server exited before it was ready"; exit 1; }
  addr=$(sed -n 's/.* is serving on \([0-9.]*:[0-9]*\).*/\1/p' "$dir/server.log" | head -n 1)
  if [ -n "$addr" ] && curl -fsS -o /dev/null "http://$addr/readyz" 2>/dev/null; then
    break
  fi
  addr=""
  sleep 0.1
done
if [ -z "$addr" ]; then
  echo "the server was not ready within 30 s"
  exit 1
fi

REDSET_PASSWORD="$REDSET_ADMIN_PASSWORD" "$dir/redset-load" -server "http://$addr" -user admin \
  -clients "${CLIENTS:-200}" -duration "${DURATION:-10s}" -sets "${SETS:-20}" -probe-rate "${PROBE_RATE:-10}" -max-errors 0 "$@"
