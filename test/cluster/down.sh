#!/usr/bin/env bash
# Stops every process the local cluster started (by pid file, and any leftover whose command
# line points at this cluster's state directory), then removes the cluster's state.
# Safe to run when nothing is up.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# pids of leftover cluster processes: a binary from the cache whose command line names this
# cluster's state directory. (A pid file can be stale and its pid reused: never kill on trust.)
ours() {
  local pid
  for pid in $(pgrep -f -- "$CLUSTER_DIR/" || true); do
    case $(readlink "/proc/$pid/exe" 2>/dev/null) in
      "$FURROW_CACHE"/*) echo "$pid" ;;
    esac
  done
}

stop_pids() {
  local pids=("$@") deadline
  [ ${#pids[@]} -gt 0 ] || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  deadline=$((SECONDS + 10))
  while [ $SECONDS -lt $deadline ]; do
    local alive=()
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive+=("$p"); done
    [ ${#alive[@]} -eq 0 ] && return 0
    sleep 0.2
  done
  kill -KILL "${pids[@]}" 2>/dev/null || true
}

# Dependents first, etcd last, so nothing logs a storm of connection errors on the way down.
for name in object-store kubelet containerd kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
  pidfile="$CLUSTER_DIR/pids/$name.pid"
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null && grep -qF -- "$CLUSTER_DIR/" "/proc/$pid/cmdline" 2>/dev/null; then
    log "stopping $name (pid $pid)"
    stop_pids "$pid"
  fi
  rm -f "$pidfile"
done
mapfile -t leftovers < <(ours)
if [ ${#leftovers[@]} -gt 0 ]; then
  log "stopping leftover processes: ${leftovers[*]}"
  stop_pids "${leftovers[@]}"
fi

# Hooks for optional parts (the real node) that need their own cleanup, such as unmounting.
for hook in "$CLUSTER_SCRIPTS"/down.d/*.sh; do
  [ -x "$hook" ] && "$hook"
done

if [ -d "$CLUSTER_DIR" ]; then
  rm -rf "$CLUSTER_DIR"
  log "cluster down; state removed"
fi
