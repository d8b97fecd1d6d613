# Settings and helpers that scripts/up.sh and scripts/down.sh share. Sourced, not executed.
# Every setting is an environment variable with a default; tests (test/e2e/make-up.test.ts)
# override them to run beside other things on a shared cluster.
# shellcheck shell=bash disable=SC2034 # the variables are for the scripts that source this
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Node 24, kubectl and helm of this repository (npm ci and `make tools` put them there).
export PATH="$repo/node_modules/.bin:$repo/bin:$PATH"
cluster_dir=${FURROW_CLUSTER_DIR:-$repo/.cluster}
case $cluster_dir in /*) ;; *) cluster_dir=$repo/$cluster_dir ;; esac
local_kubeconfig=$cluster_dir/kubeconfig

release=${FURROW_UP_RELEASE:-furrow}                 # Helm release
namespace=${FURROW_UP_NAMESPACE:-furrow-system}      # its namespace
runs_namespace=${FURROW_UP_RUNS_NAMESPACE:-furrow-runs} # the chart's runner namespace
pool=${FURROW_UP_POOL:-}                              # the NodePool (default: see up.sh)
node_class=${FURROW_UP_NODE_CLASS:-}                  # it selects furrow.dev/class=<this>
health_port=${FURROW_UP_HEALTH_PORT:-18081}           # the operator process's ports
metrics_port=${FURROW_UP_METRICS_PORT:-18080}
api_port=${FURROW_API_PORT:-8088}                     # furrow-api's HTTPS port (and the host's)
timeout=${FURROW_UP_TIMEOUT:-120}                    # seconds to wait for the demo run
# What up.sh did (settings, operator pid, log and kubeconfig), for down.sh.
state=${FURROW_UP_STATE:-$cluster_dir/furrow-up}

log() { printf '==> %s\n' "$*"; }
die() { printf 'make up: error: %s\n' "$*" >&2; exit 1; }

# Stops a process up.sh started, if it still runs: SIGTERM, SIGKILL after 15 s. Checks the pid
# is still that process (its command line names the entry point), never trusting a stale pid file.
stop_process() {
  local name=$1 pidfile=$2 entry=$3 pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null && grep -qF "$entry" "/proc/$pid/cmdline" 2>/dev/null; then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid"
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# The operator (it releases its Lease on SIGTERM) and furrow-api, where up.sh runs them here.
stop_operator() {
  stop_process "the operator" "$state/operator.pid" "$repo/src/main.ts"
  stop_process furrow-api "$state/furrow-api.pid" "$repo/src/api/main.ts"
  stop_process "the port-forward to furrow-api" "$state/port-forward.pid" port-forward
}

# api_endpoints SERVICE ADDRESS PORT: where the API server's aggregator finds furrow-api when
# make up runs it (a process on the host's address, or a pod whose IP the local cluster's
# controller-manager, which runs no endpoint controllers, would not publish): an EndpointSlice
# and the older Endpoints.
api_endpoints() {
  kubectl apply -f - >/dev/null <<YAML
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: $1-make-up
  namespace: $namespace
  labels: {kubernetes.io/service-name: $1, endpointslice.kubernetes.io/managed-by: make-up.furrow.dev}
addressType: IPv4
endpoints: [{addresses: ["$2"], conditions: {ready: true}}]
ports: [{name: https, port: $3, protocol: TCP}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: $1, namespace: $namespace}
subsets: [{addresses: [{ip: "$2"}], ports: [{name: https, port: $3}]}]
YAML
}
