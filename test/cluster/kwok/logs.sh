#!/usr/bin/env bash
# logs.sh DIR: writes the log that kwok serves for every container of every pod on its nodes,
# DIR/container.log, and prints the kwok ClusterLogs resource that points at it (up.sh passes
# it to kwok with --config). Without it the API server's pods/log on a kwok node fails, and so
# does the operator's log archive (ADR 12) in e2e tests, `make up` and the benchmark.
#
# The file is in the CRI log format that kwok reads (k8s.io/cri-client/pkg/logs, as the kubelet
# reads containerd's): "<RFC 3339 time> <stdout|stderr> <F: full line|P: partial> <text>".
# Its times are those of cluster-up, so a `timestamps=true` read returns them. ClusterLogs
# can't template a file per pod: every container of every pod reads the same one.
set -euo pipefail
dir=${1:?usage: logs.sh DIR}
mkdir -p "$dir"
file=$dir/container.log
now=$(date -u +%Y-%m-%dT%H:%M:%S)
{
  printf '%s.100000000Z stdout F kwok simulated container log\n' "$now"
  printf '%s.200000000Z stdout F step output 1 of 3\n' "$now"
  printf '%s.300000000Z stderr F step output 2 of 3 (on stderr)\n' "$now"
  printf '%s.400000000Z stdout F step output 3 of 3\n' "$now"
} >"$file"

cat <<YAML
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata:
  name: furrow-container-log
spec:
  # No selector: every pod, every namespace. No containers: every container.
  logs:
  - logsFile: $file
YAML
