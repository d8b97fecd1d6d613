#!/usr/bin/env bash
# real-node/up.sh: adds the real node to the running local cluster: containerd (Debian's) with
# runc and the CNI bridge, the images of images.sh imported into its k8s.io namespace, and a
# kubelet (built from the same k8s.io/kubernetes module as the control plane) registered as
# $REAL_NODE_NAME with the labels furrow.dev/class=peasant and furrow.dev/runtime=real and the
# taint furrow.dev/runtime=real:NoSchedule. Waits until the node is Ready.
# Replaces a real node this cluster already has (its processes, containers and state go first).
# Exits non-zero with the reason when it can't; the caller (up.d/50-real-node.sh) decides
# whether that fails cluster-up. What it started stays for inspection until real-node/down.sh
# (or cluster-down) removes it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
kubectl() { "$REPO_ROOT/bin/kubectl" --kubeconfig "$KUBECONFIG_PATH" "$@"; }
[ -f "$KUBECONFIG_PATH" ] || die "no local cluster at $CLUSTER_DIR (run test/cluster/up.sh)"

if ! why=$("$REAL_NODE_SCRIPTS/check.sh"); then
  die "this machine can't run the real node: ${why//$'\n'/; }"
fi
start_time=$SECONDS
"$REAL_NODE_SCRIPTS/down.sh"
"$CLUSTER_SCRIPTS/build.sh" kubelet
images=$("$REAL_NODE_SCRIPTS/images.sh")
mkdir -p "$RN_DIR" "$CLUSTER_DIR"/{pids,logs} "$POD_LOGS" "$KUBELET_ROOT"

# start NAME COMMAND...: detached in its own session, log in logs/NAME.log, pid in pids/NAME.pid
# (down.sh stops kubelet and containerd by these pid files).
start() {
  local name=$1
  shift
  setsid "$@" >>"$CLUSTER_DIR/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$CLUSTER_DIR/pids/$name.pid"
}
# wait_for NAME SECONDS COMMAND...: polls COMMAND; fails with NAME's last log lines when NAME
# exits or the time is up.
wait_for() {
  local name=$1 secs=$2
  shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ] || ! kill -0 "$(cat "$CLUSTER_DIR/pids/$name.pid")" 2>/dev/null; then
      log "$name did not come up within ${secs}s; last lines of $CLUSTER_DIR/logs/$name.log:"
      tail -n 25 "$CLUSTER_DIR/logs/$name.log" | cut -c1-400 >&2 || true
      return 1
    fi
    sleep 0.3
  done
}

# The network: a bridge holding the node's address (host-only), pods attached to it by CNI.
ip link add name "$RN_BRIDGE" type bridge
ip addr add "$NODE_IP/${RN_SUBNET#*/}" dev "$RN_BRIDGE"
ip link set "$RN_BRIDGE" up
# In-cluster clients (the chart's operator pod) reach the API server as the kubernetes Service.
"$REAL_NODE_SCRIPTS/apiserver-route.sh" add
mkdir -p "$RN_DIR/cni"
cat >"$RN_DIR/cni/10-furrow.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "$RN_CNI_NETWORK",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$RN_BRIDGE",
      "isGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$RN_SUBNET", "gateway": "$NODE_IP" }]],
        "routes": [{ "dst": "0.0.0.0/0", "gw": "$NODE_IP" }],
        "dataDir": "$RN_DIR/cni-ipam"
      }
    }
  ]
}
JSON

# The cgroup root the kubelet puts kubepods/ under: one per cluster directory, so two kubelets
# on this machine never see (and clean up) each other's pods.
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
  mkdir -p "/sys/fs/cgroup$RN_CGROUP_ROOT"
  read -r -a controllers </sys/fs/cgroup/cgroup.subtree_control
  for c in "${controllers[@]}"; do
    echo "+$c" >"/sys/fs/cgroup$RN_CGROUP_ROOT/cgroup.subtree_control" 2>/dev/null || true
  done
else
  for h in /sys/fs/cgroup/*/; do
    [ -f "$h/cgroup.procs" ] || continue
    mkdir -p "$h${RN_CGROUP_ROOT#/}"
  done
  # A new cpuset cgroup starts with no cpus and no memory nodes: copy the root's.
  cat /sys/fs/cgroup/cpuset/cpuset.cpus >"/sys/fs/cgroup/cpuset$RN_CGROUP_ROOT/cpuset.cpus"
  cat /sys/fs/cgroup/cpuset/cpuset.mems >"/sys/fs/cgroup/cpuset$RN_CGROUP_ROOT/cpuset.mems"
fi

# containerd: every path under the cluster directory, network namespaces included.
cat >"$RN_DIR/containerd.toml" <<TOML
version = 2
root = "$CONTAINERD_ROOT"
state = "$CONTAINERD_STATE"
# opt would install into /opt/containerd.
disabled_plugins = ["io.containerd.internal.v1.opt"]

[grpc]
  address = "$CONTAINERD_SOCK"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$REAL_NODE_PAUSE_IMAGE"
  netns_mounts_under_state_dir = true
  # These VMs withhold CAP_SYS_RESOURCE even from root, so no process may lower its OOM score
  # below its parent's: runc fails the pause container's -998 ("can't get final child's PID from
  # pipe: EOF"). Clamp every score to containerd's own instead.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$RN_DIR/cni"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "/usr/sbin/runc"
        Root = "$RUNC_ROOT"
        SystemdCgroup = false
TOML
log "starting containerd $(containerd --version | cut -d' ' -f3) for the real node $REAL_NODE_NAME"
start containerd containerd --config "$RN_DIR/containerd.toml"
wait_for containerd 30 ctr --address "$CONTAINERD_SOCK" version

import_start=$SECONDS
for image in pause busybox git; do
  ctr_k8s images import "$images/$image.tar" >/dev/null
done
log "imported $REAL_NODE_PAUSE_IMAGE $REAL_NODE_BUSYBOX_IMAGE $REAL_NODE_GIT_IMAGE in $((SECONDS - import_start))s"

# The kubelet's identity: system:node:<name> in system:nodes, so the Node authorizer lets it
# read its pods' secrets and config maps and nothing more.
pki="$CLUSTER_DIR/pki"
if [ ! -f "$RN_DIR/kubelet.crt" ]; then
  openssl req -newkey rsa:2048 -nodes -keyout "$RN_DIR/kubelet.key" -out "$RN_DIR/kubelet.csr" \
    -subj "/O=system:nodes/CN=system:node:$REAL_NODE_NAME" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' >"$RN_DIR/kubelet.ext"
  openssl x509 -req -in "$RN_DIR/kubelet.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -out "$RN_DIR/kubelet.crt" -days 3650 -extfile "$RN_DIR/kubelet.ext" 2>/dev/null
  rm -f "$RN_DIR/kubelet.csr" "$RN_DIR/kubelet.ext"
  chmod 600 "$RN_DIR/kubelet.key"
fi
cat >"$RN_DIR/kubelet.kubeconfig" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: furrow-local
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority: $pki/ca.crt
users:
- name: kubelet
  user:
    client-certificate: $RN_DIR/kubelet.crt
    client-key: $RN_DIR/kubelet.key
contexts:
- name: furrow-local
  context: {cluster: furrow-local, user: kubelet}
current-context: furrow-local
YAML

# failCgroupV1: these VMs mount cgroup v1, which 1.35+ refuses by default. Image GC is off (100%)
# and eviction thresholds are low: the imported images can't be pulled again, and a shared VM's
# disk must not evict the tests' pods.
cat >"$RN_DIR/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: $NODE_IP
healthzPort: $KUBELET_HEALTHZ_PORT
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization:
  mode: Webhook
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
imageServiceEndpoint: unix://$CONTAINERD_SOCK
cgroupDriver: cgroupfs
cgroupRoot: $RN_CGROUP_ROOT
failCgroupV1: false
failSwapOn: false
# No CAP_SYS_RESOURCE (see containerd's restrict_oom_score_adj): keep the kubelet's score at 0.
oomScoreAdj: 0
# Flex volume drivers would be looked for (and the directory made) under /usr/libexec.
volumePluginDir: $KUBELET_ROOT/volume-plugins
# No kube-proxy here: the kubelet's KUBE-FIREWALL and canary chains would only change the host.
makeIPTablesUtilChains: false
podLogsDir: $POD_LOGS
# pods/log reads only a container's current log file: Furrow archives a finished container's
# log (ADR 12), so a file rotated at the default 10Mi would lose a chatty step's start. Pool
# nodes need a limit above their largest step log (docs/operations.md); the tests print 200 MB.
containerLogMaxSize: 400Mi
registerWithTaints:
- {key: furrow.dev/runtime, value: real, effect: NoSchedule}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  nodefs.inodesFree: 1%
  imagefs.available: 1%
  imagefs.inodesFree: 1%
resolvConf: /etc/resolv.conf
rotateCertificates: false
serverTLSBootstrap: false
YAML
log "starting kubelet $KUBE_VERSION ($REAL_NODE_NAME, $NODE_IP:$KUBELET_PORT)"
start kubelet "$(kube_bin kubelet)" --config "$RN_DIR/kubelet.yaml" \
  --kubeconfig "$RN_DIR/kubelet.kubeconfig" --root-dir "$KUBELET_ROOT" --cert-dir "$KUBELET_ROOT/pki" \
  --hostname-override "$REAL_NODE_NAME" --node-ip "$NODE_IP" \
  --node-labels furrow.dev/class=peasant,furrow.dev/runtime=real --v=1
wait_for kubelet 90 kubectl wait --for condition=Ready --timeout=1s "node/$REAL_NODE_NAME"
log "real node $REAL_NODE_NAME Ready in $((SECONDS - start_time))s"
