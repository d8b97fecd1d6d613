#!/usr/bin/env bash
# Builds the local cluster's binaries from the Go module proxy into the cache (lib.sh's
# FURROW_CACHE), skipping any that are already there.
# Usage: build.sh [kubernetes|kubelet|etcd|kwok|versitygw|kube-network-policies]...
# With no arguments it builds the control plane, etcd, kwok and versitygw (not the kubelet, nor
# the real node's NetworkPolicy engine).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# Writes to a temporary directory and renames it into place, so an interrupted build never
# leaves a half-filled cache entry that a later run would trust.
build_into() {
  local dir=$1 module=$2 ldflags=$3; shift 3
  local tmp="$dir.tmp.$$" start=$SECONDS
  rm -rf "$tmp"; mkdir -p "$tmp"
  log "building $* (cold builds take minutes; output in $dir)"
  (cd "$CLUSTER_SCRIPTS/go/$module" && go build -trimpath -tags selinux,notest \
    -ldflags "-s -w $ldflags" -o "$tmp/" "$@")
  mkdir -p "$dir"
  mv "$tmp"/* "$dir"/ && rmdir "$tmp"
  log "built $* in $((SECONDS - start))s"
}

kube_ldflags() {
  local minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
  local date; date=$(date -u +%Y-%m-%dT%H:%M:%SZ) f=""
  # Without these, /version reports v0.0.0-master+$Format:%H$ and Helm's kubeVersion checks fail.
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    f+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    f+=" -X $pkg.gitTreeState=clean -X $pkg.gitCommit=module-proxy -X $pkg.buildDate=$date"
  done
  printf '%s' "$f"
}

build_kubernetes() {
  local dir; dir=$(bin_dir kubernetes "$KUBE_VERSION")
  [ -x "$dir/kube-apiserver" ] && [ -x "$dir/kube-controller-manager" ] && [ -x "$dir/kube-scheduler" ] && return
  build_into "$dir" kubernetes "$(kube_ldflags)" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler
}

build_kubelet() {
  local dir; dir=$(bin_dir kubernetes "$KUBE_VERSION")
  [ -x "$dir/kubelet" ] && return
  build_into "$dir" kubernetes "$(kube_ldflags)" k8s.io/kubernetes/cmd/kubelet
}

build_etcd() {
  local dir; dir=$(bin_dir etcd "$ETCD_VERSION")
  [ -x "$dir/etcd" ] && return
  # The server's main package is the module root; name the output explicitly.
  local tmp="$dir.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  log "building etcd $ETCD_VERSION"
  (cd "$CLUSTER_SCRIPTS/go/etcd" && go build -trimpath -ldflags "-s -w" -o "$tmp/etcd" go.etcd.io/etcd/server/v3)
  mkdir -p "$dir"; mv "$tmp/etcd" "$dir/etcd"; rmdir "$tmp"
}

build_kwok() {
  local dir; dir=$(bin_dir kwok "$KWOK_VERSION")
  [ -x "$dir/kwok" ] && return
  build_into "$dir" kwok "-X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok
}

build_versitygw() {
  local dir; dir=$(bin_dir versitygw "$VERSITYGW_VERSION")
  [ -x "$dir/versitygw" ] && return
  build_into "$dir" versitygw "" github.com/versity/versitygw/cmd/versitygw
}

# The package is named cmd: name the binary explicitly (a cold build takes about 2 minutes here).
build_kube_network_policies() {
  local dir; dir=$(bin_dir kube-network-policies "$KUBE_NETWORK_POLICIES_VERSION")
  [ -x "$dir/kube-network-policies" ] && return
  build_into "$dir" kube-network-policies "" sigs.k8s.io/kube-network-policies/cmd
  mv "$dir/cmd" "$dir/kube-network-policies"
}

components=("$@")
[ ${#components[@]} -gt 0 ] || components=(etcd kwok kubernetes versitygw)
for c in "${components[@]}"; do
  case $c in
    kubernetes|kubelet|etcd|kwok|versitygw) "build_$c" ;;
    kube-network-policies) build_kube_network_policies ;;
    *) die "unknown component '$c' (kubernetes, kubelet, etcd, kwok, versitygw, kube-network-policies)" ;;
  esac
done
