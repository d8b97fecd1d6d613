#!/usr/bin/env bash
# Exits 0 when every component of the local cluster is running and the API server is ready;
# otherwise names what is missing and exits 1.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ok=0
for name in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do
  pidfile="$CLUSTER_DIR/pids/$name.pid"
  if [ ! -f "$pidfile" ] || ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "$name: not running"
    ok=1
  else
    echo "$name: running (pid $(cat "$pidfile"))"
  fi
done
if [ $ok -eq 0 ] && ! "$REPO_ROOT/bin/kubectl" --kubeconfig "$KUBECONFIG_PATH" get --raw /readyz >/dev/null 2>&1; then
  echo "kube-apiserver: not ready"
  ok=1
fi
exit $ok
