#!/usr/bin/env bash
# `make down`: undoes `make up`, from what scripts/up.sh wrote to its state directory.
#  - If `make up` started the local cluster: stops the operator process and the cluster.
#  - Otherwise, on the cluster it used: deletes the runner namespace (and the PipelineRuns in
#    it) and the NodePool while the operator still runs, so that it takes its taints and labels
#    off the nodes; stops the operator process; helm uninstall; deletes the release namespace
#    and the simulated nodes `make up` added. The cluster itself keeps running.
# The CRDs stay: deleting them would delete every PipelineRun in the cluster. Safe to repeat.
set -euo pipefail
# shellcheck source=up-settings.sh
source "$(dirname "$0")/up-settings.sh"

if [ ! -f "$state/settings" ]; then
  stop_operator
  log "nothing to undo: no $state/settings (make up has not run, or make down already ran)"
  exit 0
fi
started_cluster=0 created_nodes=
# shellcheck source=/dev/null
source "$state/settings"
export KUBECONFIG

if [ "$started_cluster" = 1 ]; then
  stop_operator
  log "stopping the local cluster, which make up started"
  "$repo/test/cluster/down.sh"
  rm -rf "$state"
  exit 0
fi

if ! kubectl --request-timeout=5s get --raw /readyz >/dev/null 2>&1; then
  stop_operator
  rm -rf "$state"
  log "the cluster ($KUBECONFIG) does not answer: stopped the operator process, left the cluster alone"
  exit 0
fi
# The namespaces go in the background (the namespace controller takes seconds); waited for last.
log "deleting namespace $runs_namespace (the demo's PipelineRuns) and NodePool $pool"
kubectl delete namespace "$runs_namespace" --ignore-not-found --wait=false >/dev/null
if ! kubectl delete nodepool "$pool" --ignore-not-found --timeout=30s >/dev/null; then
  log "the operator did not release NodePool $pool: lifting its finalizer (its nodes may keep Furrow's taint)"
  kubectl patch nodepool "$pool" --type merge -p '{"metadata":{"finalizers":null}}' >/dev/null || true
fi
# Runner pods carry the logs finalizer, which the operator lifts once their logs are archived
# (ADR 12): the runs namespace must go while the operator still runs.
kubectl wait --for=delete "namespace/$runs_namespace" --timeout=60s >/dev/null 2>&1 ||
  log "namespace $runs_namespace is still terminating (its runner pods wait for their logs' archive)"
stop_operator
log "helm uninstall $release -n $namespace"
helm uninstall "$release" -n "$namespace" --ignore-not-found --wait >/dev/null
kubectl delete namespace "$namespace" --ignore-not-found --wait=false >/dev/null
for node in $created_nodes; do
  kubectl delete node "$node" --ignore-not-found >/dev/null
done
kubectl wait --for=delete "namespace/$runs_namespace" "namespace/$namespace" --timeout=120s >/dev/null 2>&1 ||
  log "namespaces $runs_namespace and $namespace are still terminating: kubectl get namespaces"
rm -rf "$state"
log "done; Furrow's CRDs stay (kubectl delete crd pipelineruns.furrow.dev nodepools.furrow.dev removes them, and every PipelineRun)"
