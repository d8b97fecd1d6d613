#!/usr/bin/env bash
# component.sh stop|start|restart NAME: stops or starts one process of the running local
# cluster (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok, object-store)
# with the same command line up.sh gave it. For tests that inject faults, e.g. an API server outage.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
action=${1:-}; name=${2:-}
[ -n "$name" ] && [ -f "$CLUSTER_DIR/pids/$name.cmd" ] || die "usage: component.sh stop|start|restart NAME (a component of the running cluster)"
pidfile="$CLUSTER_DIR/pids/$name.pid"

# Whether the process runs. kill -0 succeeds on a zombie too, one that has exited and waits for
# its reaper: a stopped component is reparented to pid 1, which on these VMs reaps late, so stop
# used to wait its full 10 s for an API server that had exited at once (outages 10 s longer
# than a test planned).
running() {
  kill -0 "$1" 2>/dev/null || return 1
  local state; state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

stop() {
  [ -f "$pidfile" ] || return 0
  local pid; pid=$(cat "$pidfile")
  if running "$pid"; then
    kill -TERM "$pid"
    for _ in $(seq 1 50); do running "$pid" || break; sleep 0.2; done
    # Gone when stop returns, even when it took SIGKILL.
    if running "$pid"; then
      kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 1 25); do running "$pid" || break; sleep 0.2; done
    fi
  fi
  rm -f "$pidfile"
  log "stopped $name"
}

start() {
  if [ -f "$pidfile" ] && running "$(cat "$pidfile")"; then return 0; fi
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
