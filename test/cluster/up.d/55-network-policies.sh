#!/usr/bin/env bash
# cluster-up hook: the real node's NetworkPolicy engine (real-node/network-policies.sh, ADR 15).
#   FURROW_REAL_NODE_NETWORK_POLICIES=1  try it after the real node; failing to run fails cluster-up
#   unset or 0                           off: this VM's kernel has no nft_queue, which the engine
#                                        needs, so on it the engine can't run (ADR 15)
set -euo pipefail
source "$(dirname "$0")/../real-node/lib.sh"
[ "${FURROW_REAL_NODE_NETWORK_POLICIES:-0}" = 1 ] || exit 0
[ "${FURROW_REAL_NODE:-auto}" != 0 ] || die "FURROW_REAL_NODE_NETWORK_POLICIES=1 needs the real node"
exec "$REAL_NODE_SCRIPTS/network-policies.sh"
