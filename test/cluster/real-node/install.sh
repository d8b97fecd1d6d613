#!/usr/bin/env bash
# install.sh: installs the Debian packages the real node needs (containerd, runc, the CNI
# plugins, busybox-static and git for the images, iproute2), skipping those already present.
# Never starts a service: containerd runs as the cluster's own process, not as a daemon.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
missing=()
for pair in "${REAL_NODE_PACKAGES[@]}"; do
  [ -x "${pair%%:*}" ] || missing+=("${pair#*:}")
done
[ ${#missing[@]} -gt 0 ] || exit 0
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
[ "$(id -u)" = 0 ] || die "installing ${missing[*]} needs root"
command -v apt-get >/dev/null || die "no apt-get: install ${missing[*]} yourself"
log "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
  { apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; }
