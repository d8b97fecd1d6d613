# Shared settings for the local cluster scripts. Sourced, not executed.
# shellcheck shell=bash
CLUSTER_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$CLUSTER_SCRIPTS/../.." && pwd)
# shellcheck source=versions.env
source "$CLUSTER_SCRIPTS/versions.env"

# Built binaries live outside the repo so every clone on the machine reuses them.
FURROW_CACHE=${FURROW_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/furrow}
# Runtime state of the cluster (pki, kubeconfig, pids, logs, etcd data): git-ignored.
# A relative FURROW_CLUSTER_DIR (test/cluster/e2e.env's) is relative to the repo, whatever the
# current directory: the real node derives its names from this path.
CLUSTER_DIR=${FURROW_CLUSTER_DIR:-$REPO_ROOT/.cluster}
case $CLUSTER_DIR in /*) ;; *) CLUSTER_DIR=$REPO_ROOT/$CLUSTER_DIR ;; esac

export GOWORK=off CGO_ENABLED=0 GOFLAGS=-mod=readonly

log() { printf '[cluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Cache key: component, version, and a hash of the wrapper module's go.sum, so a change
# to the pinned dependencies never reuses a stale binary.
bin_dir() {
  local component=$1 version=$2 sum
  sum=$(sha256sum "$CLUSTER_SCRIPTS/go/$component/go.sum" | cut -c1-12)
  printf '%s/bin/%s-%s-%s' "$FURROW_CACHE" "$component" "$version" "$sum"
}
kube_bin() { printf '%s/%s' "$(bin_dir kubernetes "$KUBE_VERSION")" "$1"; }
etcd_bin() { printf '%s/etcd' "$(bin_dir etcd "$ETCD_VERSION")"; }
kwok_bin() { printf '%s/kwok' "$(bin_dir kwok "$KWOK_VERSION")"; }
versitygw_bin() { printf '%s/versitygw' "$(bin_dir versitygw "$VERSITYGW_VERSION")"; }
kube_network_policies_bin() {
  printf '%s/kube-network-policies' "$(bin_dir kube-network-policies "$KUBE_NETWORK_POLICIES_VERSION")"
}
tools_dir() { printf '%s/bin/kubectl-layer' "$FURROW_CACHE"; }

# Ports on 127.0.0.1. Chosen away from the defaults so a developer's other cluster doesn't collide.
ETCD_CLIENT_PORT=${FURROW_ETCD_PORT:-12379}
ETCD_PEER_PORT=${FURROW_ETCD_PEER_PORT:-12380}
APISERVER_PORT=${FURROW_APISERVER_PORT:-16443}
CONTROLLER_MANAGER_PORT=${FURROW_CONTROLLER_MANAGER_PORT:-20257}
SCHEDULER_PORT=${FURROW_SCHEDULER_PORT:-20259}
KWOK_PORT=${FURROW_KWOK_PORT:-20247}
S3_PORT=${FURROW_S3_PORT:-20300} # the object store (versitygw; up.d/60-object-store.sh)
KUBECONFIG_PATH="$CLUSTER_DIR/kubeconfig"
# furrow-api where the local cluster runs it as a process (make up: 127.0.0.1:8088, and the host
# address below, which the API server's aggregator dials: APIService endpoints can't be loopback).
FURROW_API_PORT=${FURROW_API_PORT:-8088}
# The host's primary address (its default route's source), for endpoints the API server dials.
host_address() { ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p'; }
