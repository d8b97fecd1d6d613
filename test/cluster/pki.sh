#!/usr/bin/env bash
# Creates the local cluster's PKI with openssl: a CA, the API server's serving cert, one client
# cert per component (so audit logs and RBAC see distinct users), and the service-account key
# pair that TokenRequest signs with. Idempotent: existing files are kept.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
pki="$CLUSTER_DIR/pki"
mkdir -p "$pki"
cd "$pki"

if [ ! -f ca.crt ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 \
    -subj "/CN=furrow-local-ca" 2>/dev/null
fi

# The front proxy's own CA: the API server presents front-proxy-client to aggregated API servers
# (furrow-api), which trust only this CA for the X-Remote-User headers. A separate CA, so that
# no ordinary client certificate can assert another user's identity to them.
if [ ! -f front-proxy-ca.crt ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout front-proxy-ca.key -out front-proxy-ca.crt \
    -days 3650 -subj "/CN=furrow-local-front-proxy-ca" 2>/dev/null
fi

# sign NAME SUBJECT [SAN] [EXT_KEY_USAGE] [CA]
sign() {
  local name=$1 subj=$2 san=${3:-} usage=${4:-clientAuth} ca=${5:-ca}
  [ -f "$name.crt" ] && return
  openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "$subj" 2>/dev/null
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$usage"
    [ -n "$san" ] && echo "subjectAltName=$san"
  } > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA "$ca.crt" -CAkey "$ca.key" -CAcreateserial -out "$name.crt" \
    -days 3650 -extfile "$name.ext" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}

sign apiserver "/CN=kube-apiserver" \
  "IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local" \
  serverAuth
sign admin "/O=system:masters/CN=furrow-admin"
sign controller-manager "/CN=system:kube-controller-manager"
sign scheduler "/CN=system:kube-scheduler"
# kwok plays every kubelet; system:masters keeps its node and pod status writes simple.
sign kwok "/O=system:masters/CN=kwok"
# The API server's client identity towards kubelets (kubectl logs/exec on the real node).
sign apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
# The API server's identity towards aggregated API servers (--proxy-client-cert-file).
sign front-proxy-client "/CN=front-proxy-client" "" clientAuth front-proxy-ca
# furrow-api's serving cert where the local cluster runs it as a process (make up, the e2e tests):
# the API server checks it against the APIService's caBundle (ca.crt) for the Service's DNS name.
sign furrow-api "/CN=furrow-api" \
  "DNS:furrow-api.furrow-system.svc,DNS:localhost,IP:127.0.0.1" serverAuth

if [ ! -f sa.key ]; then
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
fi
chmod 600 ./*.key
