#!/usr/bin/env bash
# component.sh stop|start|restart NAME: stops or starts one process of the running local
# cluster (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok, object-store)
# with the same command line up.sh gave it. For tests that inject faults, e.g. an API server outage.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
action=${1:-}; name=${2:-}
[ -n "$name" ] && [ -f "$CLUSTER_DIR/pids/$name.cmd" ] || die "usage: component.sh stop|start|restart NAME (a component of the running cluster)"
pidfile="$CLUSTER_DIR/pids/$name.pid"

stop() {
  [ -f "$pidfile" ] || return 0
  local pid; pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  log "stopped $name"
}

start() {
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then return 0; fi
  local cmd; cmd=$(cat "$CLUSTER_DIR/pids/$name.cmd")
  eval "setsid $cmd >>\"$CLUSTER_DIR/logs/$name.log\" 2>&1 </dev/null &"
  echo $! > "$pidfile"
  log "started $name (pid $(cat "$pidfile"))"
}

case $action in
  stop) stop ;;
  start) start ;;
  restart) stop; start ;;
  *) die "usage: component.sh stop|start|restart NAME" ;;
esac
