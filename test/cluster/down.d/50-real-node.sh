#!/usr/bin/env bash
# cluster-down hook: removes the real node's containers, shims, mounts, cgroups and bridge, also
# after a crash (real-node/down.sh). Runs whatever FURROW_REAL_NODE says: cleanup is always due.
exec "$(dirname "$0")/../real-node/down.sh"
