#!/usr/bin/env bash
# real-node/down.sh: removes the real node of this cluster directory and everything it left on
# the machine, whether it stopped cleanly or crashed: the kubelet and containerd, the pods'
# containers (through runc, which needs no containerd) and their shims, the mounts under the
# node's directory, its cgroups, its bridge, CNI cache entries and log links, then its state.
# Safe to run when nothing is there. Deletes the Node object when the API server still answers.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# pids of processes whose command line contains $1 (never this script or its pipeline).
pids_with() { pgrep -f -- "$1" | grep -vx "$$" || true; }

stop() {
  local name=$1 pids=("${@:2}") deadline p alive
  [ ${#pids[@]} -gt 0 ] || return 0
  log "stopping $name (${pids[*]})"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  deadline=$((SECONDS + 10))
  while [ $SECONDS -lt $deadline ]; do
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && return 0
    sleep 0.2
  done
  kill -KILL "${pids[@]}" 2>/dev/null || true
}

[ -d "$RN_DIR" ] || [ -e "/sys/class/net/$RN_BRIDGE" ] || exit 0

if [ -f "$KUBECONFIG_PATH" ]; then
  "$REPO_ROOT/bin/kubectl" --kubeconfig "$KUBECONFIG_PATH" --request-timeout=5s \
    delete node "$REAL_NODE_NAME" --ignore-not-found --wait=false >/dev/null 2>&1 || true
fi

# The kubelet first (it would restart what we kill), then containerd: by pid file when the pid
# still is ours, and any leftover naming this node's directory.
for name in kubelet containerd; do
  pidfile="$CLUSTER_DIR/pids/$name.pid"
  pids=()
  if [ -f "$pidfile" ] && grep -qF -- "$RN_DIR/" "/proc/$(cat "$pidfile")/cmdline" 2>/dev/null; then
    pids+=("$(cat "$pidfile")")
  fi
  case $name in
    kubelet) mapfile -t -O ${#pids[@]} pids < <(pids_with "--root-dir $KUBELET_ROOT") ;;
    containerd) mapfile -t -O ${#pids[@]} pids < <(pids_with "--config $RN_DIR/containerd.toml") ;;
  esac
  mapfile -t pids < <(printf '%s\n' "${pids[@]}" | grep . | sort -u)
  stop "$name" "${pids[@]}"
  rm -f "$pidfile"
done

# Containers: runc works from its state directory alone.
if [ -d "$RUNC_ROOT" ]; then
  for ns in "$RUNC_ROOT"/*/; do
    [ -d "$ns" ] || continue
    for id in $(runc --root "$ns" list -q 2>/dev/null); do
      runc --root "$ns" delete --force "$id" >/dev/null 2>&1 || true
    done
  done
fi
# Anything still in the node's cgroups (a container runc had lost track of).
procs() {
  local base
  if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then base=/sys/fs/cgroup; else base=/sys/fs/cgroup/memory; fi
  [ -d "$base$RN_CGROUP_ROOT" ] && find "$base$RN_CGROUP_ROOT" -name cgroup.procs -exec cat {} + 2>/dev/null
  true
}
mapfile -t left < <(procs)
if [ ${#left[@]} -gt 0 ]; then
  log "killing ${#left[@]} leftover container processes"
  kill -KILL "${left[@]}" 2>/dev/null || true
  sleep 0.5
fi
# The shims (one per pod), and the sockets they leave in containerd's fixed /run/containerd/s.
mapfile -t shims < <(pids_with "-address $CONTAINERD_SOCK")
stop containerd-shims "${shims[@]}"
for task in "$CONTAINERD_STATE"/io.containerd.runtime.v2.task/*/*/; do
  [ -d "$task" ] || continue
  ns=$(basename "$(dirname "$task")")
  rm -f "/run/containerd/s/$(printf '%s' "$CONTAINERD_SOCK/$ns/$(basename "$task")" | sha256sum | cut -d' ' -f1)"
done

# Mounts under the node's directory (rootfs overlays, netns, shm, volumes), deepest first.
mapfile -t mounts < <(awk -v d="$RN_DIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
for m in "${mounts[@]}"; do
  umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "warning: could not unmount $m"
done

for h in /sys/fs/cgroup/ /sys/fs/cgroup/*/; do
  [ -d "$h${RN_CGROUP_ROOT#/}" ] || continue
  find "$h${RN_CGROUP_ROOT#/}" -depth -type d -exec rmdir {} + 2>/dev/null ||
    log "warning: could not remove cgroup $h${RN_CGROUP_ROOT#/}"
done
"$REAL_NODE_SCRIPTS/apiserver-route.sh" delete
if [ -e "/sys/class/net/$RN_BRIDGE" ]; then ip link del "$RN_BRIDGE"; fi
# libcni's cache of each sandbox's results (ours and the loopback's).
rm -f /var/lib/cni/results/"$RN_CNI_NETWORK"-*
for sandbox in "$CONTAINERD_ROOT"/io.containerd.grpc.v1.cri/sandboxes/* \
  "$CONTAINERD_STATE"/io.containerd.grpc.v1.cri/sandboxes/*; do
  if [ -e "$sandbox" ]; then rm -f "/var/lib/cni/results/cni-loopback-$(basename "$sandbox")-lo"; fi
done
find /var/log/containers -maxdepth 1 -type l -lname "$POD_LOGS/*" -delete 2>/dev/null || true
# Paths the kubelet, libcni and the shims hard-code outside the node's directory: the kubelet's
# device-plugin socket when no other kubelet runs, then whichever of these directories is empty.
if ! pgrep -x kubelet >/dev/null; then rm -f /var/lib/kubelet/device-plugins/kubelet.sock; fi
for d in /var/lib/kubelet/device-plugins /var/lib/kubelet /var/lib/cni/results /var/lib/cni \
  /var/log/containers /run/containerd/s /run/containerd; do
  rmdir "$d" 2>/dev/null || true
done
# --one-file-system: never follow a mount that refused to go.
rm -rf --one-file-system "$RN_DIR"
log "real node $REAL_NODE_NAME removed"
