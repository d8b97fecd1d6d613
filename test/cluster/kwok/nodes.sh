#!/usr/bin/env bash
# nodes.sh [PEASANTS] [PREFIX] [CLASS]: prints Node manifests for kwok. One patrician node for
# the platform's own workloads, and PEASANTS (default 3) nodes PREFIX-0.. (default peasant) of
# class CLASS (label furrow.dev/class, default peasant) for NodePools to select; the patrician
# only with the default prefix. Sized like real worker nodes. kwok manages them because of the
# kwok.x-k8s.io/node annotation.
set -euo pipefail
peasants=${1:-3}
prefix=${2:-peasant}
class=${3:-peasant}
node() {
  local name=$1 class=$2
  cat <<YAML
---
apiVersion: v1
kind: Node
metadata:
  name: $name
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/os: linux
    kubernetes.io/hostname: $name
    type: kwok
    furrow.dev/class: $class
status:
  allocatable: {cpu: "8", memory: 32Gi, pods: "110", ephemeral-storage: 100Gi}
  capacity: {cpu: "8", memory: 32Gi, pods: "110", ephemeral-storage: 100Gi}
YAML
}
[ "$prefix" = peasant ] && node patrician-0 patrician
for i in $(seq 0 $((peasants - 1))); do node "$prefix-$i" "$class"; done
