#!/usr/bin/env bash
# A three-server redset cluster on one machine, as README.md's "Running a
# cluster" describes it: three etcd members, three redset servers on loopback
# ports sharing them, a set, then kill -9 of the leader: another server leads
# and the set is unaffected. It exits non-zero when a step does not hold (3
# when the servers run but not in cluster mode), and stops everything it
# started (by PID) when it ends.
#
# Environment (defaults in brackets):
#   REDSET            the redset binary [./redset]
#   ETCD              the etcd binary [etcd]
#   DIR               working directory for data, configuration and logs [a new one under /tmp]
#   ETCD_PORTS        client ports of the three etcd members [2379 12379 22379]
#   ETCD_PEER_PORTS   their peer ports [2380 12380 22380]
#   REDSET_PORTS      the three servers' ports [17001 17002 17003]
#   FRONTEND_PORT     the port of the set's frontend [15432]
#   LEASE_TTL         cluster.leaseTTL [3s]
set -euo pipefail

REDSET=${REDSET:-./redset}
ETCD=${ETCD:-etcd}
DIR=${DIR:-$(mktemp -d /tmp/redset-cluster.XXXXXX)}
read -r -a etcd_ports <<<"${ETCD_PORTS:-2379 12379 22379}"
read -r -a peer_ports <<<"${ETCD_PEER_PORTS:-2380 12380 22380}"
read -r -a redset_ports <<<"${REDSET_PORTS:-17001 17002 17003}"
FRONTEND_PORT=${FRONTEND_PORT:-15432}
LEASE_TTL=${LEASE_TTL:-3s}
export REDSET_USER=admin REDSET_PASSWORD=secret

etcd_pids=() server_pids=()
stop_all() { # SIGTERM to each PID (SIGCONT first, should one be stopped), then wait for them
  for pid in "$@"; do kill -CONT "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; done
  for pid in "$@"; do wait "$pid" 2>/dev/null || true; done
}
cleanup() { # the servers first, while etcd still answers them
  stop_all "${server_pids[@]}"
  stop_all "${etcd_pids[@]}"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
fail() { echo "cluster-demo: $*" >&2; exit 1; }

# wait_for TRIES CMD...: run CMD every 0.2 s until it succeeds, at most TRIES times.
wait_for() {
  local tries=$1; shift
  for _ in $(seq "$tries"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  return 1
}

step "three etcd members (data and logs in $DIR)"
initial=""
for i in 0 1 2; do initial+="${initial:+,}e$i=http://127.0.0.1:${peer_ports[$i]}"; done
for i in 0 1 2; do
  "$ETCD" --name "e$i" --data-dir "$DIR/e$i" \
    --listen-client-urls "http://127.0.0.1:${etcd_ports[$i]}" --advertise-client-urls "http://127.0.0.1:${etcd_ports[$i]}" \
    --listen-peer-urls "http://127.0.0.1:${peer_ports[$i]}" --initial-advertise-peer-urls "http://127.0.0.1:${peer_ports[$i]}" \
    --initial-cluster "$initial" --initial-cluster-token redset-demo --initial-cluster-state new \
    >"$DIR/e$i.log" 2>&1 &
  etcd_pids+=($!)
done
endpoints=""
for i in 0 1 2; do endpoints+="${endpoints:+,}127.0.0.1:${etcd_ports[$i]}"; done

step "three redset servers on etcd://$endpoints/redset"
declare -A server_pid
for i in 0 1 2; do
  name="node-$i" port=${redset_ports[$i]}
  cat >"$DIR/$name.yaml" <<YAML
store: etcd://$endpoints/redset
listen: [127.0.0.1:$port]
data: $DIR/$name
cluster:
  name: $name
  advertise: http://127.0.0.1:$port
  leaseTTL: $LEASE_TTL
  secret: "demo-cluster-secret"
YAML
  echo "$DIR/$name.yaml:"; sed 's/^/  /' "$DIR/$name.yaml"
  REDSET_ADMIN_PASSWORD=secret "$REDSET" serve --config "$DIR/$name.yaml" >"$DIR/$name.log" 2>&1 &
  server_pids+=($!); server_pid[$name]=$!
  # one after another: each ready (/readyz) before the next starts
  wait_for 300 curl -fsS "http://127.0.0.1:$port/readyz" || fail "$name not ready; see $DIR/$name.log"
done

mode=$(curl -fsS -u admin:secret "http://127.0.0.1:${redset_ports[0]}/api/v1/cluster" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["mode"])') || mode=none
if [ "$mode" != etcd ]; then
  echo "cluster-demo: the servers are not in cluster mode (GET /api/v1/cluster: mode $mode)" >&2
  exit 3
fi

export REDSET_SERVER=http://127.0.0.1:${redset_ports[0]}
step "redset cluster status"
"$REDSET" cluster status

step "a set of two members (their probes: stand-ins that always succeed)"
"$REDSET" member add app-a --type exec --command /bin/true --interval 1s
"$REDSET" member add app-b --type exec --command /bin/true --interval 1s
"$REDSET" set create app --type sparing --min 1 --member app-a
"$REDSET" set add-member app app-b --role spare
member_ok() { curl -fsS -u admin:secret "$REDSET_SERVER/api/v1/members/$1" |
  python3 -c 'import json,sys; sys.exit(json.load(sys.stdin)["health"]["state"] != "OK")'; }
wait_for 100 member_ok app-a && wait_for 100 member_ok app-b || fail "app-a and app-b are not OK"
"$REDSET" failover app --from app-a --to app-b

leader_of() { # the leader's name as the server on port $1 sees it
  curl -fsS -u admin:secret "http://127.0.0.1:$1/api/v1/cluster" |
    python3 -c 'import json,sys; print((json.load(sys.stdin)["leader"] or {}).get("name",""))'
}
roles() { "$REDSET" --server "http://127.0.0.1:$1" set get app -o json |
  python3 -c 'import json,sys; print(" ".join(sorted(m["name"]+"="+m["role"] for m in json.load(sys.stdin)["members"])))'; }
leader=$(leader_of "${redset_ports[0]}")
[ -n "$leader" ] || fail "no leader"
before=$(roles "${redset_ports[0]}")
echo "leader: $leader; set app: $before"

step "kill -9 the leader ($leader, pid ${server_pid[$leader]})"
kill -9 "${server_pid[$leader]}"
survivor=""
for i in 0 1 2; do [ "node-$i" = "$leader" ] || survivor=${redset_ports[$i]}; done
new_leader() { l=$(leader_of "$survivor") && [ -n "$l" ] && [ "$l" != "$leader" ]; }
wait_for 100 new_leader || fail "no new leader after killing $leader"
export REDSET_SERVER=http://127.0.0.1:$survivor
"$REDSET" cluster status
after=$(roles "$survivor")
echo "set app: $after"
[ "$before" = "$after" ] || fail "the set changed: $before -> $after"
"$REDSET" failover app --from app-b --to app-a
echo "cluster-demo: the leader was killed; $(leader_of "$survivor") leads and the set is unaffected"

step "a frontend for app: every server runs it, and on one machine only one can hold its port"
"$REDSET" set edit app --frontend-listen "127.0.0.1:$FRONTEND_PORT"
front_states() { # "server=state" of each FrontendChanged record of app, in order
  curl -fsS -u admin:secret "$REDSET_SERVER/api/v1/history?kind=FrontendChanged&setId=redset:app" |
    python3 -c 'import json,sys; print(" ".join(e["frontend"]["server"]+"="+e["frontend"]["state"] for e in json.load(sys.stdin)["events"]))'
}
one_listens_one_fails() { s=$(front_states) && [[ $s == *=listening* && $s == *=failed* ]]; }
wait_for 100 one_listens_one_fails || fail "the history lacks a server listening and one failing: $(front_states)"
"$REDSET" history --kind FrontendChanged
echo "cluster-demo: both servers' frontend changes are in the history: $(front_states)"
