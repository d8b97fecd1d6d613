#!/usr/bin/env bash
# The operator process `make up` runs beside the local cluster stops with the cluster, also on
# `make cluster-down` without `make down` (which stops it first).
set -euo pipefail
# shellcheck source=../../../scripts/up-settings.sh
source "$(dirname "$0")/../../../scripts/up-settings.sh"
stop_operator
