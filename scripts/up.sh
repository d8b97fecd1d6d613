#!/usr/bin/env bash
# shellcheck disable=SC2034 # some variables are only written to the settings file, by name
# `make up`: a working Furrow on this machine, shown by a PipelineRun that succeeds.
#  1. The cluster: the one $KUBECONFIG names, if it answers and is not the local cluster;
#     otherwise the local cluster (test/cluster/up.sh), reused when it runs already.
#  2. Furrow's CRDs, then the Helm chart: release furrow in namespace furrow-system, with the
#     runner namespace furrow-runs, the one namespace whose PipelineRuns the operator runs.
#     - The local cluster with its real node Ready (the default where the machine can run it,
#       ADR 16): the chart's Deployments run the operator and furrow-api on the real node, from
#       the image built without Docker (scripts/up-in-cluster.sh); furrow-api answers on
#       127.0.0.1:8088 through kubectl port-forward. The demo's runs use simulated nodes.
#     - Otherwise, simulated nodes (the local cluster: kwok runs no image): the chart with replicas 0, and
#       the operator here, as a background process with a token of the chart's ServiceAccount
#       and the settings of the chart's Deployment: exactly the chart's permissions. Two
#       simulated nodes of its own (demo-0, demo-1) keep the demo off the nodes tests use.
#     - Real nodes (kind, any cluster): the operator image runs in the cluster. On kind it is
#       built and loaded first; elsewhere FURROW_IMAGE must name an image the nodes can pull.
#  3. The example NodePool and a PipelineRun (nodejs-postgres.yaml on simulated nodes, each
#     container "running" 0.3 s; hello.yaml on real ones), then `kubectl get pipelineruns -w`
#     until the run finishes. Exits 0 when it succeeded.
# scripts/down.sh undoes it. Settings: scripts/up-settings.sh; also FURROW_UP_HELM_ARGS (more
# helm flags) and FURROW_IMAGE (the operator image on real nodes).
set -euo pipefail
# shellcheck source=up-settings.sh
source "$(dirname "$0")/up-settings.sh"
# shellcheck source=up-in-cluster.sh
source "$(dirname "$0")/up-in-cluster.sh"
start=$SECONDS

# 1. The cluster. A second `make up` keeps knowing that the first one started it.
started_cluster=0
if [ -f "$state/settings" ]; then started_cluster=$(sed -n 's/^started_cluster=//p' "$state/settings"); fi
other_kubeconfig=0
if [ -n "${KUBECONFIG:-}" ] && [ "$KUBECONFIG" != "$local_kubeconfig" ]; then other_kubeconfig=1; fi
if [ $other_kubeconfig = 1 ] && kubectl --request-timeout=5s get --raw /readyz >/dev/null 2>&1; then
  cluster=external
  started_cluster=0
  log "using the cluster of KUBECONFIG=$KUBECONFIG (context $(kubectl config current-context))"
else
  [ $other_kubeconfig = 0 ] || log "KUBECONFIG=$KUBECONFIG does not answer: using the local cluster"
  cluster=local
  if ! "$repo/test/cluster/status.sh" >/dev/null 2>&1; then
    log "starting the local cluster (the first time, it is built from source: about 6 minutes)"
    started_cluster=1
  fi
  "$repo/test/cluster/up.sh" >/dev/null
  export KUBECONFIG=$local_kubeconfig
fi

# Only now: starting the local cluster clears its directory, where the state lives by default.
mkdir -p "$state"

# kwok's nodes carry the annotation kwok.x-k8s.io/node=fake; any other node runs images.
simulated=1
if [ $cluster = external ] && kubectl get nodes \
  -o jsonpath='{range .items[*]}{.metadata.annotations.kwok\.x-k8s\.io/node}{"\n"}{end}' | grep -qvx fake; then
  simulated=0
fi
# The operator in the cluster's own pods where the local cluster's real node can run them.
in_cluster=0
if [ $cluster = local ] && real_node_ready; then in_cluster=1; fi
# The pool is named peasant, as the examples' runs expect. On the local cluster it selects two
# nodes of its own: the peasant nodes there are the tests' (make test may run beside make up).
pool=${pool:-peasant}
created_nodes=
if [ $cluster = local ]; then
  node_class=${node_class:-demo}
  created_nodes="$node_class-0 $node_class-1"
else
  node_class=${node_class:-peasant}
fi

# What down.sh needs to undo all this, written before anything can fail half-way.
for var in KUBECONFIG cluster started_cluster simulated in_cluster release namespace runs_namespace pool \
  node_class created_nodes; do
  printf '%s=%q\n' "$var" "${!var}"
done >"$state/settings"

if [ -n "$created_nodes" ]; then
  log "adding simulated nodes $created_nodes (label furrow.dev/class=$node_class)"
  "$repo/test/cluster/kwok/nodes.sh" 2 "$node_class" "$node_class" | kubectl apply -f - >/dev/null
  for node in $created_nodes; do kubectl wait --for condition=Ready --timeout=30s "node/$node" >/dev/null; done
elif [ -z "$(kubectl get nodes -l "furrow.dev/class=$node_class" -o name)" ]; then
  die "no node is labelled furrow.dev/class=$node_class for the example NodePool: kubectl label node <node> furrow.dev/class=$node_class"
fi

# 2. The CRDs (Helm installs a chart's CRDs only once, never upgrading them), and the chart.
log "applying Furrow's CRDs (crds/)"
kubectl apply --server-side --force-conflicts -f "$repo/crds/" >/dev/null
kubectl wait --for condition=Established --timeout=30s -f "$repo/crds/" >/dev/null

helm_args=(upgrade --install "$release" "$repo/helm/furrow" -n "$namespace" --create-namespace
  --set runnerNamespace.create=true --set "runnerNamespace.name=$runs_namespace"
  --set "namespaces={$runs_namespace}" --wait --timeout 5m)
pki=$cluster_dir/pki
if [ $in_cluster = 1 ]; then
  # furrow-api's pod serves the certificate the chart generates for its Service.
  in_cluster_helm_args
elif [ $simulated = 1 ]; then
  # No pod; the Role for the leader election Lease is kept for the process below.
  helm_args+=(--set replicas=0 --set leaderElection.enabled=true --set api.replicas=0)
  # furrow-api runs here too (below), serving the local cluster's certificate (test/cluster/pki.sh).
  if [ $cluster = local ] && [ -f "$pki/furrow-api.crt" ]; then
    helm_args+=(--set-file "api.tls.cert=$pki/furrow-api.crt" --set-file "api.tls.key=$pki/furrow-api.key"
      --set-file "api.tls.caBundle=$pki/ca.crt")
  fi
else
  image=${FURROW_IMAGE:-}
  if [ -z "$image" ]; then
    context=$(kubectl config current-context)
    [[ $context == kind-* ]] || die "this cluster's nodes run images: set FURROW_IMAGE to an operator image they can pull (docker build -t <registry>/furrow-operator:<tag> . && docker push <registry>/furrow-operator:<tag>)"
    image=furrow-operator:dev
    log "building $image (docker build) and loading it into kind cluster ${context#kind-}"
    docker build -t "$image" "$repo"
    kind load docker-image "$image" --name "${context#kind-}"
  fi
  helm_args+=(--set "image.repository=${image%:*}" --set "image.tag=${image##*:}")
fi
# The object store. On the local cluster, its own (test/cluster/up.d/60-object-store.sh): the
# chart gets its endpoint, bucket and a Secret with its keys, and so the operator does. On another
# cluster, whatever FURROW_UP_HELM_ARGS sets (objectStore.*); without that Furrow runs with no
# store, and logs live as long as their pods.
store_dir=$cluster_dir/object-store
store_credentials=
if [ $cluster = local ] && [ -f "$store_dir/settings.env" ] && [ -f "$store_dir/credentials" ]; then
  store_endpoint=$(sed -n 's/^FURROW_OBJECT_STORE_ENDPOINT=//p' "$store_dir/settings.env")
  store_bucket=$(sed -n 's/^FURROW_OBJECT_STORE_BUCKET=//p' "$store_dir/settings.env")
  # Pods reach it on the real node's address, not loopback.
  pod_endpoint=$(sed -n 's/^FURROW_OBJECT_STORE_POD_ENDPOINT=//p' "$store_dir/settings.env")
  [ $in_cluster = 0 ] || [ -z "$pod_endpoint" ] || store_endpoint=$pod_endpoint
  log "object store: $store_endpoint, bucket $store_bucket (Secret $namespace/furrow-object-store)"
  kubectl create namespace "$namespace" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  kubectl create secret generic furrow-object-store -n "$namespace" --from-env-file="$store_dir/credentials" \
    --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  helm_args+=(--set "objectStore.endpoint=$store_endpoint" --set "objectStore.bucket=$store_bucket"
    --set objectStore.credentialsSecret.name=furrow-object-store)
  store_credentials=$store_dir/credentials
elif [[ ${FURROW_UP_HELM_ARGS:-} != *objectStore.bucket=* ]]; then
  log "no object store (set objectStore.* in FURROW_UP_HELM_ARGS for one): logs live as long as their pods"
fi
read -r -a extra_args <<<"${FURROW_UP_HELM_ARGS:-}"
log "installing the chart: helm upgrade --install $release helm/furrow -n $namespace"
if ! helm "${helm_args[@]}" "${extra_args[@]}" >"$state/helm.log" 2>&1; then
  cat "$state/helm.log" >&2
  die "helm failed"
fi

# account_kubeconfig ACCOUNT FILE: a kubeconfig for this cluster whose user is the ServiceAccount
# ACCOUNT of the release namespace, with a 24-hour token (kubectl create token).
account_kubeconfig() {
  local account=$1 file=$2 token server ca
  token=$(kubectl create token "$account" -n "$namespace" --duration=24h)
  server=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')
  ca=$(kubectl config view --minify --flatten -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')
  (
    umask 077
    cat >"$file" <<YAML
apiVersion: v1
kind: Config
clusters: [{name: furrow, cluster: {server: "$server", certificate-authority-data: "$ca"}}]
users: [{name: $account, user: {token: "$token"}}]
contexts: [{name: furrow, context: {cluster: furrow, user: $account}}]
current-context: furrow
YAML
  )
}

if [ $in_cluster = 1 ]; then
  start_api_port_forward
elif [ $simulated = 1 ]; then
  deployment=$(kubectl get deployment -n "$namespace" -l "app.kubernetes.io/instance=$release,app.kubernetes.io/component!=api" \
    -o jsonpath='{.items[0].metadata.name}')
  account=$(kubectl get deployment "$deployment" -n "$namespace" \
    -o jsonpath='{.spec.template.spec.serviceAccountName}')
  stop_operator # one an earlier `make up` started
  log "starting the operator here as ServiceAccount $namespace/$account (a token from kubectl create token)"
  account_kubeconfig "$account" "$state/operator.kubeconfig"
  # The environment the chart gives the operator container: its FURROW_* settings.
  mapfile -t chart_env < <(kubectl get deployment "$deployment" -n "$namespace" -o go-template='{{range (index .spec.template.spec.containers 0).env}}{{if .value}}{{.name}}={{.value}}{{"\n"}}{{end}}{{end}}')
  # Its own session, so that Ctrl-C in this terminal doesn't reach it; `make down` stops it. The
  # store's keys (the Secret's, which the chart passes by reference) go in its environment, not
  # on a command line.
  (
    if [ -n "$store_credentials" ]; then
      set -a
      # shellcheck source=/dev/null
      source "$store_credentials"
      set +a
    fi
    exec setsid env "${chart_env[@]}" POD_NAME="make-up-$(hostname)" POD_NAMESPACE="$namespace" \
      node "$repo/src/main.ts" --kubeconfig "$state/operator.kubeconfig" --bind-address 127.0.0.1 \
      --health-port "$health_port" --metrics-port "$metrics_port" --log-format text \
      >>"$state/operator.log" 2>&1 </dev/null
  ) &
  echo $! >"$state/operator.pid"
  ready_deadline=$((SECONDS + 30))
  until curl -fsS "http://127.0.0.1:$health_port/readyz" >/dev/null 2>&1; do
    if ! kill -0 "$(cat "$state/operator.pid")" 2>/dev/null; then
      tail -n 20 "$state/operator.log" >&2
      die "the operator exited; its log is $state/operator.log"
    fi
    [ $SECONDS -lt $ready_deadline ] || die "the operator is not ready after 30 s; its log is $state/operator.log"
    sleep 0.2
  done

  # furrow-api the same way: its ServiceAccount's token, on 127.0.0.1 and on the host's address,
  # which the Service's endpoint names (the API server's aggregator dials it; no loopback).
  if [ -n "${pki:-}" ] && [ -f "$pki/furrow-api.crt" ]; then
    host=$(source "$repo/test/cluster/lib.sh" && host_address)
    [ -n "$host" ] || die "no host address for furrow-api's endpoint (ip -4 route get 1.1.1.1 shows none)"
    api_account=$(kubectl get deployment -n "$namespace" -l "app.kubernetes.io/instance=$release,app.kubernetes.io/component=api" \
      -o jsonpath='{.items[0].spec.template.spec.serviceAccountName}')
    api_service=$(kubectl get apiservice v1alpha1.api.furrow.dev -o jsonpath='{.spec.service.name}')
    # Its serving certificate, signed by the cluster CA (the APIService's caBundle) for the
    # name the API server checks: the chart's Service, whatever the release and namespace.
    (
      umask 077
      openssl req -newkey rsa:2048 -nodes -keyout "$state/furrow-api.key" -out "$state/furrow-api.csr" \
        -subj /CN=furrow-api 2>/dev/null
      printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:%s,DNS:localhost,IP:127.0.0.1\n' \
        "$api_service.$namespace.svc" >"$state/furrow-api.ext"
      openssl x509 -req -in "$state/furrow-api.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
        -days 30 -extfile "$state/furrow-api.ext" -out "$state/furrow-api.crt" 2>/dev/null
    )
    log "starting furrow-api here as ServiceAccount $namespace/$api_account, on 127.0.0.1:$api_port and $host:$api_port"
    account_kubeconfig "$api_account" "$state/furrow-api.kubeconfig"
    # The archive's store as the operator has it: the chart's FURROW_OBJECT_STORE_* and the keys.
    mapfile -t store_env < <(printf '%s\n' "${chart_env[@]}" | grep '^FURROW_OBJECT_STORE_' || true)
    (
      if [ -n "$store_credentials" ]; then
        set -a
        # shellcheck source=/dev/null
        source "$store_credentials"
        set +a
      fi
      exec setsid env "${store_env[@]}" node "$repo/src/api/main.ts" --kubeconfig "$state/furrow-api.kubeconfig" \
        --bind-address "127.0.0.1,$host" --secure-port "$api_port" \
        --tls-cert-file "$state/furrow-api.crt" --tls-private-key-file "$state/furrow-api.key" --log-format text \
        >>"$state/furrow-api.log" 2>&1 </dev/null
    ) &
    echo $! >"$state/furrow-api.pid"
    api_endpoints "$api_service" "$host" "$api_port"
    if ! kubectl wait --for condition=Available --timeout=60s apiservice/v1alpha1.api.furrow.dev >/dev/null 2>&1; then
      tail -n 20 "$state/furrow-api.log" >&2
      die "furrow-api's APIService is not Available after 60 s; its log is $state/furrow-api.log"
    fi
  fi
fi

# 3. The example NodePool, selecting the demo's nodes, and a PipelineRun on it. A run left by
# an earlier `make up` goes first, so that this one is watched from the start.
log "applying examples/peasant-pool.yaml as NodePool $pool (nodes labelled furrow.dev/class=$node_class)"
kubectl patch --local -f "$repo/examples/peasant-pool.yaml" --type merge -o yaml -p \
  "{\"metadata\":{\"name\":\"$pool\"},\"spec\":{\"nodeSelector\":{\"matchLabels\":{\"furrow.dev/class\":\"$node_class\"}}}}" |
  kubectl apply -f - >/dev/null
example=$repo/examples/hello.yaml
[ $simulated = 0 ] || example=$repo/examples/nodejs-postgres.yaml
kubectl annotate --local -f "$example" -o yaml sim.furrow.dev/duration=300ms |
  kubectl patch --local -f - --type merge -o yaml -p "{\"spec\":{\"pool\":\"$pool\"}}" >"$state/pipelinerun.yaml"
run=$(kubectl patch --local -f "$state/pipelinerun.yaml" --type merge -p '{}' -o jsonpath='{.metadata.name}')
kubectl delete pipelinerun "$run" -n "$runs_namespace" --ignore-not-found --wait >/dev/null
log "applying examples/$(basename "$example") in namespace $runs_namespace"
kubectl apply -n "$runs_namespace" -f "$state/pipelinerun.yaml" >/dev/null

log "kubectl get pipelineruns -n $runs_namespace -w   (until $run finishes)"
kubectl get pipelineruns -n "$runs_namespace" -w &
watcher=$!
trap 'kill $watcher 2>/dev/null || true' EXIT
deadline=$((SECONDS + timeout))
phase=
until [[ $phase =~ ^(Succeeded|Failed|Cancelled|TimedOut)$ ]] || [ $SECONDS -ge $deadline ]; do
  sleep 0.5
  phase=$(kubectl get pipelinerun "$run" -n "$runs_namespace" -o jsonpath='{.status.phase}' 2>/dev/null || true)
done
sleep 0.5 # the watch prints the last change
kill $watcher 2>/dev/null || true
wait $watcher 2>/dev/null || true

operator_log="kubectl logs deployment/$release -n $namespace"
[ $simulated = 0 ] || [ $in_cluster = 1 ] || operator_log="tail -f ${state#"$repo"/}/operator.log"
case $phase in
Succeeded) ;;
'' | Queued | Pending | Running)
  die "PipelineRun $run did not finish within ${timeout}s (phase: ${phase:-none}). See: kubectl describe pipelinerun $run -n $runs_namespace; the operator's log: $operator_log" ;;
*)
  die "PipelineRun $run ended $phase. See: kubectl describe pipelinerun $run -n $runs_namespace; the operator's log: $operator_log" ;;
esac

cat <<EOF

Furrow is up: PipelineRun $run succeeded ($((SECONDS - start)) s).
Next:
EOF
[ $cluster = external ] || echo "  export PATH=$repo/bin:\$PATH KUBECONFIG=$KUBECONFIG"
cat <<EOF
  kubectl get pipelineruns -n $runs_namespace -o wide
  kubectl describe pipelinerun $run -n $runs_namespace
  kubectl get nodepool $pool
EOF
if [ $simulated = 1 ]; then
  echo "  kubectl apply -n $runs_namespace -f examples/go-build.yaml   # another run (simulated: no logs)"
else
  echo "  kubectl furrow logs $run -n $runs_namespace   # what its steps printed (bin/kubectl-furrow)"
fi
[ $in_cluster = 0 ] || echo "  kubectl get pods -n $namespace -o wide   # the operator and furrow-api, on the real node"
[ $simulated = 0 ] || [ ! -f "$state/furrow-api.pid" ] ||
  echo "  tail -f ${state#"$repo"/}/furrow-api.log   # furrow-api (https://127.0.0.1:$api_port, behind the API server as api.furrow.dev)"
cat <<EOF
  $operator_log    # the operator's log
  make down        # undo all of this
Getting started: docs/getting-started.md; every field: docs/reference.md.
EOF
