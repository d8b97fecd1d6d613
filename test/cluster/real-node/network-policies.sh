#!/usr/bin/env bash
# real-node/network-policies.sh: tries the real node's NetworkPolicy engine,
# sigs.k8s.io/kube-network-policies (the one kind uses), as a host process for $REAL_NODE_NAME.
# It only takes in-cluster configuration, so it runs in a private mount namespace where a
# ServiceAccount token and the cluster CA sit at the in-cluster path (nothing is written
# outside the cluster directory). Waits a few seconds: exits 0 when it is still running and has
# installed its rules, non-zero with its last log lines when it died (ADR 15: on a kernel without
# nft_queue it does, at its first rule sync).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
kubectl() { "$REPO_ROOT/bin/kubectl" --kubeconfig "$KUBECONFIG_PATH" "$@"; }
"$CLUSTER_SCRIPTS/build.sh" kube-network-policies
bin=$(kube_network_policies_bin)
name=kube-network-policies
dir="$RN_DIR/$name"
mkdir -p "$dir/secrets" "$CLUSTER_DIR"/{pids,logs}

kubectl apply -f - >/dev/null <<YAML
apiVersion: v1
kind: ServiceAccount
metadata: {name: $name, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: $name}
rules:
  - apiGroups: [""]
    resources: [pods, namespaces]
    verbs: [list, watch]
  - apiGroups: [networking.k8s.io]
    resources: [networkpolicies]
    verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: $name}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: $name}
subjects: [{kind: ServiceAccount, name: $name, namespace: kube-system}]
YAML
kubectl -n kube-system create token "$name" --duration 24h >"$dir/secrets/token"
cp "$CLUSTER_DIR/pki/ca.crt" "$dir/secrets/ca.crt"
printf 'kube-system' >"$dir/secrets/namespace"

# /var/run/secrets does not exist on the host: a tmpfs on /var/run (private to the namespace)
# holds it, and the host's /var/run is untouched.
setsid unshare --mount --propagation private sh -c '
  mount -t tmpfs none /var/run && mkdir -p /var/run/secrets/kubernetes.io/serviceaccount &&
  mount --bind "$1" /var/run/secrets/kubernetes.io/serviceaccount && shift && exec "$@"' sh \
  "$dir/secrets" env KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT="$APISERVER_PORT" \
  "$bin" --hostname-override "$REAL_NODE_NAME" --disable-nri --nfqueue-id "${FURROW_NFQUEUE_ID:-$((100 + 16#${RN_ID:0:2}))}" \
  --metrics-bind-address 127.0.0.1:0 -v 2 \
  >>"$CLUSTER_DIR/logs/$name.log" 2>&1 </dev/null &
echo $! >"$CLUSTER_DIR/pids/$name.pid"
sleep "${FURROW_NETWORK_POLICIES_SETTLE:-8}"
if ! kill -0 "$(cat "$CLUSTER_DIR/pids/$name.pid")" 2>/dev/null || grep -q "failed to sync nftables\|could not add\|operation not supported\|no such file or directory" "$CLUSTER_DIR/logs/$name.log"; then
  log "$name can't enforce NetworkPolicy here; last lines of $CLUSTER_DIR/logs/$name.log:"
  tail -n 15 "$CLUSTER_DIR/logs/$name.log" | cut -c1-400 >&2
  kill "$(cat "$CLUSTER_DIR/pids/$name.pid")" 2>/dev/null || true
  rm -f "$CLUSTER_DIR/pids/$name.pid"
  exit 1
fi
log "$name is enforcing NetworkPolicy on $REAL_NODE_NAME"
