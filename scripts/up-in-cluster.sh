# `make up`'s in-cluster path (ADR 16), sourced by scripts/up.sh: on the local cluster with its
# real node Ready, the chart's own Deployments run the operator and furrow-api there, from the
# image built without Docker (test/cluster/real-node/operator-image.sh) and imported into the
# node's containerd. The real node plays the patrician: the demo's runs still go to simulated
# nodes. furrow-api answers on 127.0.0.1:$api_port through `kubectl port-forward`, as it does
# when make up runs it as a process.
# shellcheck shell=bash disable=SC2154 # the variables are up.sh's and up-settings.sh's

# Whether the local cluster has a Ready real node (FURROW_UP_IN_CLUSTER=0 turns the path off).
real_node_ready() {
  [ "${FURROW_UP_IN_CLUSTER:-1}" != 0 ] &&
    kubectl get nodes -l furrow.dev/runtime=real \
      -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -qx True
}

# Appends to helm_args what runs the chart's pods on the real node: the image (built and
# imported first), pulled never, the node's selector and toleration.
in_cluster_helm_args() {
  local image
  log "building the operator image without Docker and importing it into the real node (cached after the first time)"
  image=$(FURROW_CLUSTER_DIR=$cluster_dir "$repo/test/cluster/real-node/operator-image.sh")
  log "the chart's Deployments run $image on the real node"
  helm_args+=(--set "image.repository=${image%:*}" --set "image.tag=${image##*:}" --set image.pullPolicy=Never
    --set-json 'nodeSelector={"furrow.dev/runtime":"real"}'
    --set-json 'tolerations=[{"key":"furrow.dev/runtime","operator":"Equal","value":"real","effect":"NoSchedule"}]')
}

# furrow-api on 127.0.0.1:$api_port: a port-forward to its Service, in its own session (make down
# stops it, by its pid file), once its APIService is Available.
start_api_port_forward() {
  local service port
  service=$(kubectl get apiservice v1alpha1.api.furrow.dev -o jsonpath='{.spec.service.name}')
  port=$(kubectl get service "$service" -n "$namespace" -o jsonpath='{.spec.ports[0].port}')
  # The local controller-manager runs no endpointslice controller: the API server's aggregator
  # finds furrow-api's pod through the endpoints written here (a restarted pod needs `make up`
  # again).
  local ip target
  ip=$(kubectl get pods -n "$namespace" -l "app.kubernetes.io/instance=$release,app.kubernetes.io/component=api" \
    -o jsonpath='{.items[0].status.podIP}')
  target=$(kubectl get pods -n "$namespace" -l "app.kubernetes.io/instance=$release,app.kubernetes.io/component=api" \
    -o jsonpath='{.items[0].spec.containers[0].ports[0].containerPort}')
  [ -n "$ip" ] || die "furrow-api's pod has no IP: kubectl get pods -n $namespace"
  api_endpoints "$service" "$ip" "$target"
  if ! kubectl wait --for condition=Available --timeout=60s apiservice/v1alpha1.api.furrow.dev >/dev/null 2>&1; then
    die "furrow-api's APIService is not Available after 60 s: kubectl logs deployment/$service -n $namespace"
  fi
  stop_process "the port-forward to furrow-api" "$state/port-forward.pid" port-forward
  (exec setsid kubectl port-forward -n "$namespace" --address 127.0.0.1 "service/$service" "$api_port:$port" \
    >>"$state/port-forward.log" 2>&1 </dev/null) &
  echo $! >"$state/port-forward.pid"
  local deadline=$((SECONDS + 15))
  until curl -ksS -o /dev/null "https://127.0.0.1:$api_port/healthz" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || die "kubectl port-forward to furrow-api does not answer on 127.0.0.1:$api_port; its log is $state/port-forward.log"
    sleep 0.2
  done
  log "furrow-api answers on https://127.0.0.1:$api_port (kubectl port-forward service/$service)"
}
