#!/usr/bin/env bash
# cluster-down hook: stops the real node's NetworkPolicy engine if it runs (before the node goes;
# its nftables table goes with it, as it removes it on exit).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
pidfile="$CLUSTER_DIR/pids/kube-network-policies.pid"
[ -f "$pidfile" ] || exit 0
kill "$(cat "$pidfile")" 2>/dev/null || true
rm -f "$pidfile"
