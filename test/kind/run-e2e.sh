#!/usr/bin/env bash
# Runs Furrow's end-to-end suite against a kind cluster (needs Docker and kind on PATH).
# Creates the cluster from kind-config.yaml unless it exists, then runs `make test-e2e` with
# FURROW_E2E_KUBECONFIG pointing at it. Tests that need kwok's simulated nodes skip themselves.
#   KIND_CLUSTER   cluster name (default: furrow)
#   KEEP_CLUSTER=1 leave the cluster running afterwards
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
name=${KIND_CLUSTER:-furrow}
command -v kind >/dev/null || { echo "kind is not installed: https://kind.sigs.k8s.io/" >&2; exit 1; }
command -v docker >/dev/null && docker info >/dev/null 2>&1 || { echo "Docker is not running" >&2; exit 1; }

created=0
if ! kind get clusters | grep -qx "$name"; then
  kind create cluster --name "$name" --config "$here/kind-config.yaml" --wait 120s
  created=1
fi
kubeconfig=$(mktemp)
cleanup() {
  rm -f "$kubeconfig"
  if [ "$created" = 1 ] && [ "${KEEP_CLUSTER:-0}" != 1 ]; then kind delete cluster --name "$name"; fi
}
trap cleanup EXIT
kind get kubeconfig --name "$name" > "$kubeconfig"
# Real nodes run the test image for real; preload it so tests don't wait on a registry.
image=${FURROW_TEST_IMAGE:-busybox:1.37}
docker pull -q "$image" >/dev/null && kind load docker-image --name "$name" "$image"
FURROW_E2E_KUBECONFIG=$kubeconfig FURROW_TEST_IMAGE=$image make -C "$repo" test-e2e
