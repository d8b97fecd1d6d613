#!/usr/bin/env bash
# cluster-up hook: adds the real node (kubelet + containerd + runc + CNI; real-node/up.sh).
#   FURROW_REAL_NODE unset  on where the machine can run it; otherwise says why and skips, and
#                           a real node that fails to start is removed without failing cluster-up
#   FURROW_REAL_NODE=1      required: any failure fails cluster-up
#   FURROW_REAL_NODE=0      off
# Missing Debian packages are installed (as root with apt-get) unless FURROW_REAL_NODE_INSTALL=0.
set -euo pipefail
source "$(dirname "$0")/../real-node/lib.sh"
mode=${FURROW_REAL_NODE:-auto}
[ "$mode" = 0 ] && exit 0

skip() {
  [ "$mode" = 1 ] && die "real node required (FURROW_REAL_NODE=1): $*"
  log "no real node: $* (FURROW_REAL_NODE=0 silences this)"
  exit 0
}

if [ "${FURROW_REAL_NODE_INSTALL:-1}" != 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  "$REAL_NODE_SCRIPTS/install.sh" || skip "installing its Debian packages failed"
fi
why=$("$REAL_NODE_SCRIPTS/check.sh") || skip "${why//$'\n'/; }"
if ! "$REAL_NODE_SCRIPTS/up.sh"; then
  "$REAL_NODE_SCRIPTS/down.sh" || true
  skip "it failed to start (logs above; $CLUSTER_DIR/logs/kubelet.log, containerd.log)"
fi
