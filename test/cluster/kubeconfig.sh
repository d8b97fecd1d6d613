#!/usr/bin/env bash
# kubeconfig.sh USER > file: a kubeconfig for one of pki.sh's client certs.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
user=$1
pki="$CLUSTER_DIR/pki"
cat <<YAML
apiVersion: v1
kind: Config
clusters:
- name: furrow-local
  cluster:
    server: https://127.0.0.1:${APISERVER_PORT}
    certificate-authority: $pki/ca.crt
users:
- name: $user
  user:
    client-certificate: $pki/$user.crt
    client-key: $pki/$user.key
contexts:
- name: furrow-local
  context:
    cluster: furrow-local
    user: $user
current-context: furrow-local
YAML
