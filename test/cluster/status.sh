#!/usr/bin/env bash
# Exits 0 when every component of the local cluster is running and the API server is ready;
# otherwise names what is missing and exits 1.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ok=0
for name in etcd kube-apiserver kube-controller-manager kube-scheduler kwok object-store; do
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
# Where the object store answers (up.d/60-object-store.sh writes it; its keys are beside it).
if [ -f "$CLUSTER_DIR/object-store/settings.env" ]; then
  sed -n 's/^FURROW_OBJECT_STORE_\(ENDPOINT\|BUCKET\|POD_ENDPOINT\)=\(..*\)/object-store: \L\1\E \2/p' \
    "$CLUSTER_DIR/object-store/settings.env"
fi
exit $ok
