#!/usr/bin/env bash
# real-node/operator-image.sh: the operator image, built without Docker from this checkout
# (scripts/image/build.ts: the Dockerfile's runtime stage from the npm `node` package's Node 24,
# dist/ compiled by tsc and the production node_modules; cached, ADR 16), imported into the real
# node's containerd. Prints the image reference, for the chart's image.repository and image.tag
# (with image.pullPolicy=Never: there is no registry). Fails with the reason when the local
# cluster has no real node.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ -S "$CONTAINERD_SOCK" ] || die "no real node in the local cluster at $CLUSTER_DIR (its containerd socket $CONTAINERD_SOCK is missing): FURROW_REAL_NODE=1 make cluster-up, or make real-node-up"
start=$SECONDS
built=$("$REPO_ROOT/node_modules/.bin/node" "$REPO_ROOT/scripts/image/build.ts")
archive=$(printf '%s' "$built" | sed -n 's/.*"archive":"\([^"]*\)".*/\1/p')
image=$(printf '%s' "$built" | sed -n 's/.*"image":"\([^"]*\)".*/\1/p')
# A warm cluster has it already: importing 230 MB again costs seconds of this machine's 2 cores.
if ! ctr_k8s images ls -q | grep -qxF "$image"; then
  ctr_k8s images import "$archive" >/dev/null
  log "imported $image into $REAL_NODE_NAME's containerd in $((SECONDS - start))s"
fi
echo "$image"
