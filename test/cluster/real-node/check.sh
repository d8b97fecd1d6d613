#!/usr/bin/env bash
# check.sh: exits 0 when this machine can run the real node, else prints why on stdout (one
# line per reason) and exits 1. Fast (no process is started): cluster-up runs it first.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
why=()

[ "$(uname -s)" = Linux ] || why+=("not Linux")
[ "$(id -u)" = 0 ] || why+=("not root: the kubelet and containerd need root (mounts, cgroups, network namespaces)")
for pair in "${REAL_NODE_PACKAGES[@]}"; do
  [ -x "${pair%%:*}" ] || why+=("${pair%%:*} is missing (Debian package ${pair#*:}; test/cluster/real-node/install.sh installs it)")
done
grep -qw overlay /proc/filesystems || why+=("the kernel has no overlay filesystem (containerd's overlayfs snapshotter)")
case $(stat -f -c %T /sys/fs/cgroup 2>/dev/null) in
  cgroup2fs) ;;
  tmpfs) [ -d /sys/fs/cgroup/memory ] && [ -d /sys/fs/cgroup/cpu ] && [ -d /sys/fs/cgroup/pids ] ||
    why+=("cgroup v1 without the memory, cpu and pids hierarchies") ;;
  *) why+=("no cgroup filesystem at /sys/fs/cgroup") ;;
esac
# The pod subnet must not already be routed elsewhere (another cluster's bridge, a VPN).
if command -v ip >/dev/null; then
  route=$(ip -4 route show "$RN_SUBNET" 2>/dev/null || true)
  if [ -n "$route" ] && ! grep -q "dev $RN_BRIDGE" <<<"$route"; then
    why+=("the pod subnet $RN_SUBNET is already routed ($route); set FURROW_REAL_NODE_SUBNET")
  fi
fi
if [ ${#why[@]} -gt 0 ]; then
  printf '%s\n' "${why[@]}"
  exit 1
fi
