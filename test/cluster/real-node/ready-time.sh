#!/usr/bin/env bash
# ready-time.sh: measures how long the real node takes to become Ready from cluster-up: starts
# the local cluster (this FURROW_CLUSTER_DIR and ports; it must be down, so a shared cluster is
# never restarted under other people's tests), then prints the seconds from cluster-up's start
# to the control plane being up, to the kubelet's start, and to the node's Ready condition.
# Leaves the cluster up. Example, on a separate cluster:
#   FURROW_CLUSTER_DIR=/tmp/furrow-measure FURROW_APISERVER_PORT=26443 FURROW_ETCD_PORT=22379 \
#   FURROW_ETCD_PEER_PORT=22380 FURROW_CONTROLLER_MANAGER_PORT=30257 FURROW_SCHEDULER_PORT=30259 \
#   FURROW_KWOK_PORT=30247 test/cluster/real-node/ready-time.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
if "$CLUSTER_SCRIPTS/status.sh" >/dev/null 2>&1; then
  die "the cluster at $CLUSTER_DIR is up: take it down first, or measure on a separate one (see the header)"
fi
"$CLUSTER_SCRIPTS/build.sh" kubernetes etcd kwok kubelet
"$REAL_NODE_SCRIPTS/images.sh" >/dev/null

t0=$(date +%s.%N)
FURROW_REAL_NODE=1 "$CLUSTER_SCRIPTS/up.sh" >/dev/null
t_up=$(date +%s.%N)

# Process start times in seconds since the epoch, from /proc (boot time + start ticks).
started() {
  local ticks boot
  ticks=$(awk '{print $22}' "/proc/$1/stat")
  boot=$(awk '/^btime/ {print $2}' /proc/stat)
  echo "$boot $ticks $(getconf CLK_TCK)" | awk '{printf "%.2f", $1 + $2 / $3}'
}
t_apiserver=$(started "$(cat "$CLUSTER_DIR/pids/kube-apiserver.pid")")
t_containerd=$(started "$(cat "$CLUSTER_DIR/pids/containerd.pid")")
t_kubelet=$(started "$(cat "$CLUSTER_DIR/pids/kubelet.pid")")
ready=$("$REPO_ROOT/bin/kubectl" --kubeconfig "$KUBECONFIG_PATH" get node "$REAL_NODE_NAME" \
  -o jsonpath='{.status.conditions[?(@.type=="Ready")].lastTransitionTime}')
t_ready=$(date -d "$ready" +%s)

awk -v t0="$t0" -v a="$t_apiserver" -v c="$t_containerd" -v k="$t_kubelet" -v r="$t_ready" -v u="$t_up" 'BEGIN {
  printf "kube-apiserver started      +%5.1fs\n", a - t0
  printf "containerd started          +%5.1fs\n", c - t0
  printf "kubelet started             +%5.1fs\n", k - t0
  printf "real node Ready             +%5.1fs (1 s resolution; %.1fs after the kubelet started)\n", r - t0, r - k
  printf "cluster-up returned         +%5.1fs\n", u - t0
}'
