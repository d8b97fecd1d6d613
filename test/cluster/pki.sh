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

# sign NAME SUBJECT [SAN] [EXT_KEY_USAGE]
sign() {
  local name=$1 subj=$2 san=${3:-} usage=${4:-clientAuth}
  [ -f "$name.crt" ] && return
  openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "$subj" 2>/dev/null
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$usage"
    [ -n "$san" ] && echo "subjectAltName=$san"
  } > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$name.crt" \
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

if [ ! -f sa.key ]; then
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
fi
chmod 600 ./*.key
