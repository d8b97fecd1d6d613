# Settings of the local cluster's real node (kubelet + containerd + runc + CNI). Sourced, not
# executed. Everything it writes lives under $CLUSTER_DIR/real-node, and every name that other
# processes on the machine could see (cgroups, the bridge, the pod subnet, CNI cache entries) is
# derived from the cluster directory, so two local clusters on one machine never collide.
# shellcheck shell=bash
# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
REAL_NODE_SCRIPTS="$CLUSTER_SCRIPTS/real-node"

# Images the node imports into containerd (built by images.sh from Debian packages; no registry).
# Pods must name them exactly, with imagePullPolicy Never or IfNotPresent.
REAL_NODE_BUSYBOX_IMAGE=furrow.local/busybox:1.35
REAL_NODE_GIT_IMAGE=furrow.local/git:2.39
REAL_NODE_PAUSE_IMAGE=furrow.local/pause:1.0

REAL_NODE_NAME=${FURROW_REAL_NODE_NAME:-real-0}
RN_DIR="$CLUSTER_DIR/real-node"

# A short, stable id of this cluster directory: names the bridge, the cgroup root, the CNI network.
RN_ID=$(printf '%s' "$CLUSTER_DIR" | sha256sum | cut -c1-8)
RN_BRIDGE=${FURROW_REAL_NODE_BRIDGE:-frw$RN_ID}
RN_CGROUP_ROOT=/furrow-$RN_ID
RN_CNI_NETWORK=furrow-$RN_ID
# The pod subnet: a /24 in 10.89.0.0/16 picked by the id unless given. The bridge holds its first
# address, which is also the node's InternalIP: host-only, stable whatever the VM's own network,
# and reachable both from the API server (kubectl logs/exec) and from pods (services the tests
# serve on the host, such as a git daemon).
RN_SUBNET=${FURROW_REAL_NODE_SUBNET:-10.89.$((16#${RN_ID:0:2})).0/24}
RN_PREFIX=${RN_SUBNET%.*}
NODE_IP=${RN_PREFIX}.1

KUBELET_PORT=${FURROW_KUBELET_PORT:-10250}
KUBELET_HEALTHZ_PORT=${FURROW_KUBELET_HEALTHZ_PORT:-10248}

CONTAINERD_SOCK="$RN_DIR/containerd/containerd.sock"
CONTAINERD_ROOT="$RN_DIR/containerd/root"
CONTAINERD_STATE="$RN_DIR/containerd/state"
RUNC_ROOT="$RN_DIR/runc"
KUBELET_ROOT="$RN_DIR/kubelet"
POD_LOGS="$RN_DIR/pod-logs"

# Debian packages the node needs: command or file to look for, and the package providing it.
REAL_NODE_PACKAGES=(
  /usr/bin/containerd:containerd
  /usr/bin/ctr:containerd
  /usr/sbin/runc:runc
  /usr/lib/cni/bridge:containernetworking-plugins
  /bin/busybox:busybox-static
  /usr/bin/git:git
  /usr/bin/ssh:openssh-client
  # Not for the node: the end-to-end tests' SSH git server (sshd on the node's address).
  /usr/sbin/sshd:openssh-server
  /usr/sbin/ip:iproute2
  # The route from pods to the API server (apiserver-route.sh).
  /usr/sbin/iptables:iptables
)

ctr_k8s() { ctr --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"; }
