#!/usr/bin/env bash
# images.sh: builds the real node's images without a registry, as OCI archives that
# `ctr images import` reads, and prints the directory holding them. Built from what Debian
# installed on this machine, and cached in $FURROW_CACHE/images/ keyed by this script, the pause
# source and the Debian package versions, so a warm cluster-up only imports them.
#   busybox.tar  furrow.local/busybox:1.35  busybox-static: /bin/sh and ~270 applets (nc, wget, ...)
#   git.tar      furrow.local/git:2.39      the busybox layer + Debian's git and openssh-client's
#                                           ssh (for SSH URLs) and the libraries they link
#   pause.tar    furrow.local/pause:1.0     the pod sandbox (pause/main.go, static Go binary)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

debs=(busybox-static git openssh-client libc6)
key=$(
  {
    cat "$REAL_NODE_SCRIPTS/images.sh" "$REAL_NODE_SCRIPTS/lib.sh" "$REAL_NODE_SCRIPTS"/pause/*
    dpkg-query -W -f '${Package}=${Version}\n' "${debs[@]}"
  } | sha256sum | cut -c1-12
)
out="$FURROW_CACHE/images/real-node-$key"
if [ -f "$out/busybox.tar" ] && [ -f "$out/git.tar" ] && [ -f "$out/pause.tar" ]; then
  # Its mtime says when it was last used: builds unused for a day are removed below.
  touch "$out"
  echo "$out"
  exit 0
fi

start=$SECONDS
work="$out.tmp.$$"
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }

# tar_layer DIR FILE [PATHS...]: a reproducible, uncompressed layer of DIR (all of it, or PATHS
# relative to it). Uncompressed: content never leaves the machine, and import is faster.
tar_layer() {
  local dir=$1 file=$2
  shift 2
  [ $# -gt 0 ] || set -- .
  tar -C "$dir" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    --no-recursion -cf "$file" "$@"
}

# blob FILE: moves FILE into the layout's blobs and prints its digest.
blob() {
  local digest
  digest=$(sha "$1")
  mv "$1" "$layout/blobs/sha256/$digest"
  echo "$digest"
}

# oci_archive NAME REF CONFIG_JSON_CONFIG LAYER_TAR...: writes $work/NAME.tar, an OCI image layout
# whose index names the image REF (containerd reads the io.containerd.image.name annotation).
oci_archive() {
  local name=$1 ref=$2 imgconfig=$3
  shift 3
  layout="$work/$name.layout"
  rm -rf "$layout"
  mkdir -p "$layout/blobs/sha256"
  local layers=() diff_ids=() l digest
  for l in "$@"; do
    cp "$l" "$work/layer.tmp"
    digest=$(blob "$work/layer.tmp")
    diff_ids+=("\"sha256:$digest\"")
    layers+=("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:$digest\",\"size\":$(size "$layout/blobs/sha256/$digest")}")
  done
  local IFS=,
  printf '{"architecture":"amd64","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":[%s]}}' \
    "$imgconfig" "${diff_ids[*]}" > "$work/config.json"
  local config_size config_digest manifest_digest manifest_size
  config_size=$(size "$work/config.json")
  config_digest=$(blob "$work/config.json")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
    "$config_digest" "$config_size" "${layers[*]}" > "$work/manifest.json"
  manifest_size=$(size "$work/manifest.json")
  manifest_digest=$(blob "$work/manifest.json")
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$manifest_digest" "$manifest_size" "$ref" "${ref##*:}" > "$layout/index.json"
  echo '{"imageLayoutVersion":"1.0.0"}' > "$layout/oci-layout"
  tar -C "$layout" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$work/$name.tar" .
  rm -rf "$layout"
}

path_env='"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]'

# busybox: a merged-/usr root (like Debian's), every applet linked in /usr/bin.
root="$work/busybox"
mkdir -p "$root"/usr/{bin,sbin,lib,lib64} "$root"/{etc,root,tmp,var/tmp,home,proc,sys,dev,run}
for d in bin sbin lib lib64; do ln -s "usr/$d" "$root/$d"; done
cp /bin/busybox "$root/usr/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/usr/bin/$applet"
done
chmod 1777 "$root/tmp" "$root/var/tmp"
chmod 700 "$root/root"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
mapfile -t entries < <(cd "$root" && find . -mindepth 1 | sed 's|^\./||' | sort)
tar_layer "$root" "$work/busybox-layer.tar" "${entries[@]}"
oci_archive busybox "$REAL_NODE_BUSYBOX_IMAGE" "{$path_env,\"Cmd\":[\"sh\"]}" "$work/busybox-layer.tar"

# git: Debian's git (the command, its helpers and templates), openssh-client's ssh (git runs it
# for ssh:// and scp-like URLs) and every library they link, as a layer over busybox. Paths are
# taken from dpkg and resolved to their merged-/usr location; tar keeps git's hard links (most
# helpers are one binary).
files=()
while IFS= read -r f; do
  case $f in
    /usr/bin/git* | /usr/lib/git-core/* | /usr/share/git-core/*) [ -d "$f" ] || files+=("$f") ;;
  esac
done < <(dpkg -L git)
files+=(/usr/bin/ssh)
libs=()
for f in "${files[@]}"; do
  if [ ! -f "$f" ] || [ -L "$f" ]; then continue; fi
  while read -r lib; do libs+=("$lib"); done < <(ldd "$f" 2>/dev/null | grep -o '/[^ ]*' || true)
done
paths=()
for f in "${files[@]}" $(printf '%s\n' "${libs[@]}" | sort -u); do
  # A library named through /lib or /lib64 is stored at its merged-/usr path, and so is the file
  # a symlink points to.
  p="$(realpath "$(dirname "$f")")/$(basename "$f")"
  paths+=("${p#/}")
  if [ -L "$p" ]; then
    r=$(realpath "$p")
    paths+=("${r#/}")
  fi
done
# Parent directories first (under usr/, which the busybox layer has), then the files.
mapfile -t entries < <(
  for p in "${paths[@]}"; do
    d=$(dirname "$p")
    while [ "$d" != . ] && [ "$d" != usr ]; do echo "$d"; d=$(dirname "$d"); done
  done | sort -u
  printf '%s\n' "${paths[@]}" | sort -u
)
tar_layer / "$work/git-layer.tar" "${entries[@]}"
oci_archive git "$REAL_NODE_GIT_IMAGE" "{$path_env,\"Cmd\":[\"sh\"]}" \
  "$work/busybox-layer.tar" "$work/git-layer.tar"

# pause: one static binary.
root="$work/pause"
mkdir -p "$root"
(cd "$REAL_NODE_SCRIPTS/pause" && go build -trimpath -ldflags "-s -w" -o "$root/pause" .)
tar_layer "$root" "$work/pause-layer.tar" pause
oci_archive pause "$REAL_NODE_PAUSE_IMAGE" '{"Entrypoint":["/pause"]}' "$work/pause-layer.tar"

mkdir -p "$out"
mv "$work"/{busybox,git,pause}.tar "$out"/
# Earlier builds (other Debian versions, older scripts) go once unused for a day. Not at once:
# another checkout of the repository (another version of this script) shares the cache, and a
# cluster-up there may be between its images.sh and its import. A running cluster needs none of
# them: its containerd imported the images into its own root when it started. Abandoned
# partial builds go too.
find "$FURROW_CACHE/images" -maxdepth 1 -name 'real-node-*' ! -name "real-node-$key" -mmin +1440 \
  -exec rm -rf {} +
log "built the real node's images in $((SECONDS - start))s ($(du -sh "$out" | cut -f1)): $out"
echo "$out"
