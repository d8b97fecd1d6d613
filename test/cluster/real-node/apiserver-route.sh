#!/usr/bin/env bash
# real-node/apiserver-route.sh add|delete: lets pods on the real node reach the API server the
# way in-cluster clients do, through the `kubernetes` Service's address (KUBERNETES_SERVICE_HOST
# and _PORT, which the kubelet gives every container, and which the API server's certificate
# names). There is no kube-proxy here, and the API server listens on 127.0.0.1 only: one DNAT rule
# in a chain of this cluster's own sends <service IP>:443 from the node's bridge to
# 127.0.0.1:<API server port>, and route_localnet on the bridge lets such packets reach loopback.
# The chart's operator pod (ADR 16) uses it. `delete` needs no running cluster (down.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
chain=FURROW-API-$RN_ID

delete() {
  while iptables -t nat -D PREROUTING -i "$RN_BRIDGE" -j "$chain" 2>/dev/null; do :; done
  iptables -t nat -F "$chain" 2>/dev/null || true
  iptables -t nat -X "$chain" 2>/dev/null || true
}

case ${1:-} in
add)
  delete
  service_ip=$("$REPO_ROOT/bin/kubectl" --kubeconfig "$KUBECONFIG_PATH" get service kubernetes -n default \
    -o jsonpath='{.spec.clusterIP}')
  [ -n "$service_ip" ] || die "the kubernetes Service has no clusterIP"
  sysctl -qw "net.ipv4.conf.$RN_BRIDGE.route_localnet=1"
  iptables -t nat -N "$chain"
  iptables -t nat -A "$chain" -s "$RN_SUBNET" -d "$service_ip" -p tcp --dport 443 \
    -j DNAT --to-destination "127.0.0.1:$APISERVER_PORT"
  iptables -t nat -A PREROUTING -i "$RN_BRIDGE" -j "$chain"
  ;;
delete) delete ;;
*) die "usage: $0 add|delete" ;;
esac
