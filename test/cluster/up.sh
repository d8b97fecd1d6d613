#!/usr/bin/env bash
# Brings up the local cluster: etcd, kube-apiserver, kube-controller-manager, kube-scheduler
# and kwok as processes on 127.0.0.1, with one patrician and PEASANTS (default 3) peasant
# kwok nodes. Reuses a cluster that is already up; recovers from a crashed one.
# Prints the admin kubeconfig's path on stdout (everything else goes to stderr).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
PEASANTS=${FURROW_PEASANT_NODES:-3}

"$CLUSTER_SCRIPTS/build.sh" kubernetes etcd kwok
"$CLUSTER_SCRIPTS/install-tools.sh"
kubectl() { "$REPO_ROOT/bin/kubectl" --kubeconfig "$KUBECONFIG_PATH" "$@"; }

if "$CLUSTER_SCRIPTS/status.sh" >/dev/null 2>&1; then
  log "cluster already up"
  echo "$KUBECONFIG_PATH"
  exit 0
fi
# Whatever is left of an earlier cluster (dead processes, stale pid files, data) goes first.
"$CLUSTER_SCRIPTS/down.sh"

mkdir -p "$CLUSTER_DIR"/{pids,logs,etcd,config}
"$CLUSTER_SCRIPTS/pki.sh"
for user in admin controller-manager scheduler kwok; do
  "$CLUSTER_SCRIPTS/kubeconfig.sh" "$user" > "$CLUSTER_DIR/config/$user.kubeconfig"
done
cp "$CLUSTER_DIR/config/admin.kubeconfig" "$KUBECONFIG_PATH"
pki="$CLUSTER_DIR/pki"

port_free() { ! ss -Hltn "sport = :$1" | grep -q .; }
# start NAME BINARY ARGS...: runs detached (own session, so Ctrl-C in the caller's terminal
# doesn't reach it), logs to logs/NAME.log, pid in pids/NAME.pid.
start() {
  local name=$1; shift
  # The command line is kept so component.sh can restart the process (fault-injection tests).
  printf '%q ' "$@" > "$CLUSTER_DIR/pids/$name.cmd"
  setsid "$@" >>"$CLUSTER_DIR/logs/$name.log" 2>&1 </dev/null &
  echo $! > "$CLUSTER_DIR/pids/$name.pid"
}
# wait_for WHAT SECONDS COMMAND...: polls until COMMAND succeeds; on timeout shows the log.
wait_for() {
  local what=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      log "$what did not come up within ${secs}s; last lines of its log:"
      tail -n 30 "$CLUSTER_DIR/logs/$what.log" | tr -d "\000" | cut -c1-400 >&2 || true
      "$CLUSTER_SCRIPTS/down.sh"
      die "$what failed to start"
    fi
    if [ -f "$CLUSTER_DIR/pids/$what.pid" ] && ! kill -0 "$(cat "$CLUSTER_DIR/pids/$what.pid")" 2>/dev/null; then
      log "$what exited; last lines of its log:"
      tail -n 30 "$CLUSTER_DIR/logs/$what.log" | tr -d "\000" | cut -c1-400 >&2 || true
      "$CLUSTER_SCRIPTS/down.sh"
      die "$what failed to start"
    fi
    sleep 0.3
  done
}

for p in $ETCD_CLIENT_PORT $ETCD_PEER_PORT $APISERVER_PORT $CONTROLLER_MANAGER_PORT $SCHEDULER_PORT $KWOK_PORT; do
  port_free "$p" || die "port $p on 127.0.0.1 is taken by: $(ss -Hltnp "sport = :$p" | sed 's/.*users://')"
done

start_time=$SECONDS
log "starting etcd $ETCD_VERSION"
# --unsafe-no-fsync: a throwaway cluster; durability across power loss is not worth the latency.
start etcd "$(etcd_bin)" --name furrow-local --data-dir "$CLUSTER_DIR/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "furrow-local=http://127.0.0.1:$ETCD_PEER_PORT" \
  --unsafe-no-fsync --quota-backend-bytes=8589934592 --log-level=warn
wait_for etcd 30 curl -fsS "http://127.0.0.1:$ETCD_CLIENT_PORT/health"

log "starting kube-apiserver $KUBE_VERSION"
# Aggregated APIs (furrow-api): the front-proxy flags, and routing to the APIService's endpoint
# addresses rather than its Service IP, as no kube-proxy runs here.
# Admission: TaintNodesByCondition (which taints every new node not-ready) is off because no node-lifecycle controller would ever lift
# its not-ready taint. ServiceAccount admission stays on: the service-account controllers run.
# No --kubelet-certificate-authority: kubelets' serving certs go unverified (the API server's
# default without one), as both serve self-signed certs: the real node's kubelet, and kwok.
start kube-apiserver "$(kube_bin kube-apiserver)" \
  --etcd-servers "http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --client-ca-file "$pki/ca.crt" \
  --kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" \
  --kubelet-client-key "$pki/apiserver-kubelet-client.key" \
  --kubelet-preferred-address-types InternalIP,Hostname \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --service-cluster-ip-range 10.96.0.0/16 \
  --authorization-mode Node,RBAC \
  --disable-admission-plugins TaintNodesByCondition \
  --allow-privileged=true --profiling=false \
  --audit-policy-file "$CLUSTER_SCRIPTS/audit-policy.yaml" --audit-log-path "$CLUSTER_DIR/logs/audit.log" \
  --audit-log-maxsize 200 --audit-log-maxbackup 1 \
  --requestheader-client-ca-file "$pki/front-proxy-ca.crt" --requestheader-allowed-names front-proxy-client \
  --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
  --requestheader-extra-headers-prefix X-Remote-Extra- \
  --proxy-client-cert-file "$pki/front-proxy-client.crt" --proxy-client-key-file "$pki/front-proxy-client.key" \
  --enable-aggregator-routing=true \
  ${FURROW_APISERVER_EXTRA_ARGS:-}
wait_for kube-apiserver 90 kubectl get --raw /readyz

# The garbage collector reads API discovery at start (then every 30 s): registering Furrow's
# CRDs first lets ownerReference cascades work for them at once.
if compgen -G "$REPO_ROOT/crds/*.yaml" >/dev/null; then
  kubectl apply --server-side -f "$REPO_ROOT/crds/" >&2
  kubectl wait --for condition=Established --timeout=30s -f "$REPO_ROOT/crds/" >&2
fi

log "starting kube-controller-manager and kube-scheduler"
cm_kubeconfig="$CLUSTER_DIR/config/controller-manager.kubeconfig"
start kube-controller-manager "$(kube_bin kube-controller-manager)" \
  --kubeconfig "$cm_kubeconfig" \
  --authentication-kubeconfig "$cm_kubeconfig" --authorization-kubeconfig "$cm_kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$CONTROLLER_MANAGER_PORT" \
  --leader-elect=false --use-service-account-credentials=true \
  --controllers "${FURROW_CONTROLLERS:-garbage-collector-controller,namespace-controller,job-controller,ttl-after-finished-controller,serviceaccount-controller,serviceaccount-token-controller,pod-garbage-collector-controller,deployment-controller,replicaset-controller,root-ca-certificate-publisher-controller,disruption-controller,clusterrole-aggregation-controller}" \
  --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
  --cluster-name furrow-local \
  ${FURROW_CONTROLLER_MANAGER_EXTRA_ARGS:-}

cat > "$CLUSTER_DIR/config/scheduler.yaml" <<YAML
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  kubeconfig: $CLUSTER_DIR/config/scheduler.kubeconfig
leaderElection:
  leaderElect: false
YAML
sched_kubeconfig="$CLUSTER_DIR/config/scheduler.kubeconfig"
start kube-scheduler "$(kube_bin kube-scheduler)" --config "$CLUSTER_DIR/config/scheduler.yaml" \
  --authentication-kubeconfig "$sched_kubeconfig" --authorization-kubeconfig "$sched_kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$SCHEDULER_PORT"

log "starting kwok $KWOK_VERSION"
# kwok also plays the kubelets' server: pods/log on a kwok node reaches it because its nodes
# report --node-ip as their InternalIP and --node-port as their kubelet port (node-stages.yaml),
# and it serves the log that kwok/logs.sh writes.
"$CLUSTER_SCRIPTS/kwok/logs.sh" "$CLUSTER_DIR/kwok" >"$CLUSTER_DIR/config/kwok-logs.yaml"
start kwok "$(kwok_bin)" --kubeconfig "$CLUSTER_DIR/config/kwok.kubeconfig" \
  --config "$CLUSTER_SCRIPTS/kwok/node-stages.yaml" --config "$CLUSTER_SCRIPTS/kwok/pod-stages.yaml" \
  --config "$CLUSTER_DIR/config/kwok-logs.yaml" \
  --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
  --cidr 10.244.0.0/16 --node-ip 127.0.0.1 --node-port "$KWOK_PORT" \
  --server-address "127.0.0.1:$KWOK_PORT"

wait_for kube-controller-manager 60 curl -fsSk "https://127.0.0.1:$CONTROLLER_MANAGER_PORT/healthz"
wait_for kube-scheduler 60 curl -fsSk "https://127.0.0.1:$SCHEDULER_PORT/healthz"
wait_for kwok 60 curl -fsS "http://127.0.0.1:$KWOK_PORT/healthz"

log "creating 1 patrician and $PEASANTS peasant nodes"
"$CLUSTER_SCRIPTS/kwok/nodes.sh" "$PEASANTS" | kubectl apply -f - >&2
wait_for kwok 60 kubectl wait --for condition=Ready --timeout=1s node --all
# Pods are refused in a namespace until the service-account controller made its default SA.
wait_for kube-controller-manager 60 kubectl get serviceaccount default -n default

# Optional parts (the real node) start from hooks, each with its own cleanup in down.d/.
for hook in "$CLUSTER_SCRIPTS"/up.d/*.sh; do
  [ -x "$hook" ] || continue
  "$hook" || { "$CLUSTER_SCRIPTS/down.sh"; die "$(basename "$hook") failed"; }
done

log "cluster up in $((SECONDS - start_time))s"
echo "$KUBECONFIG_PATH"
