#!/usr/bin/env bash
# install.sh: installs the Debian packages the real node needs (containerd, runc, the CNI
# plugins, busybox-static, git and openssh-client for the images, iproute2, and openssh-server
# for the tests' SSH git server), skipping those already present. Never starts a service:
# containerd runs as the cluster's own process, and the tests start their own sshd.
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
# Package scripts may not start services (openssh-server's would start an sshd on port 22): a
# policy-rc.d refusing every start, for the length of the install, unless the machine has one.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
  { apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; }
