#!/usr/bin/env bash
# cluster-up hook: the object store, a real S3 server (versitygw, posix backend; ADR 10) that
# holds archived logs. Runs after the real node's hook (50-), so that the bridge address exists.
#   $CLUSTER_DIR/object-store/data         the buckets, one directory each (kept across restarts)
#   $CLUSTER_DIR/object-store/meta         object metadata (a sidecar directory, so any
#                                          filesystem works, with or without user xattrs)
#   $CLUSTER_DIR/object-store/credentials  AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, mode 600,
#                                          generated once per cluster directory
#   $CLUSTER_DIR/object-store/settings.env the FURROW_OBJECT_STORE_* settings for clients
# Restarted with component.sh stop|start object-store (outage tests): the same command line,
# the same data and keys.
set -euo pipefail
source "$(dirname "$0")/../real-node/lib.sh"
dir="$CLUSTER_DIR/object-store"
bucket=furrow
mkdir -p "$dir/data" "$dir/meta" "$CLUSTER_DIR/pids" "$CLUSTER_DIR/logs"

"$CLUSTER_SCRIPTS/build.sh" versitygw
! ss -Hltn "sport = :$S3_PORT" | grep -q . ||
  die "port $S3_PORT (FURROW_S3_PORT) is taken by: $(ss -Hltnp "sport = :$S3_PORT" | sed 's/.*users://')"

if [ ! -s "$dir/credentials" ]; then
  (
    umask 077
    printf 'AWS_ACCESS_KEY_ID=FURROW%s\nAWS_SECRET_ACCESS_KEY=%s\n' \
      "$(openssl rand -hex 7 | tr a-f A-F)" "$(openssl rand -hex 20)" >"$dir/credentials"
  )
fi
chmod 600 "$dir/credentials"

# Listens on 127.0.0.1 (the operator, furrow-api and tests on this machine) and, when the real
# node runs, on its bridge's address $NODE_IP: the host address that the real node's pods reach
# (it is their gateway), so runner pods can be given presigned URLs. Never on 0.0.0.0.
listen=(--port "127.0.0.1:$S3_PORT")
pod_endpoint=
if ip -o -4 addr show 2>/dev/null | grep -qF " $NODE_IP/"; then
  listen+=(--port "$NODE_IP:$S3_PORT")
  pod_endpoint=http://$NODE_IP:$S3_PORT
fi
# The keys reach versitygw through its environment, read from the file at each start, so they
# are in neither the .cmd file nor the process's command line.
# shellcheck disable=SC2016 # expanded by that sh, not here
printf '%q ' sh -c 'set -a; . "$0"; ROOT_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID ROOT_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY exec "$@"' \
  "$dir/credentials" "$(versitygw_bin)" "${listen[@]}" --region us-east-1 --quiet \
  posix --sidecar "$dir/meta" "$dir/data" >"$CLUSTER_DIR/pids/object-store.cmd"

cat >"$dir/settings.env" <<ENV
FURROW_OBJECT_STORE_ENDPOINT=http://127.0.0.1:$S3_PORT
FURROW_OBJECT_STORE_BUCKET=$bucket
FURROW_OBJECT_STORE_REGION=us-east-1
FURROW_OBJECT_STORE_POD_ENDPOINT=$pod_endpoint
ENV

log "starting the object store (versitygw $VERSITYGW_VERSION) on ${listen[*]//--port /}"
"$CLUSTER_SCRIPTS/component.sh" start object-store
# It answers every request at once (403 to an unsigned one); then the bucket, kept if it exists.
deadline=$((SECONDS + 30))
until curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/"; do
  kill -0 "$(cat "$CLUSTER_DIR/pids/object-store.pid")" 2>/dev/null && [ $SECONDS -lt $deadline ] || {
    tail -n 30 "$CLUSTER_DIR/logs/object-store.log" >&2
    die "the object store did not start"
  }
  sleep 0.2
done
# shellcheck disable=SC1091
source "$dir/credentials"
code=$(curl -s -o "$dir/create-bucket.xml" -w '%{http_code}' -X PUT \
  -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
  --aws-sigv4 aws:amz:us-east-1:s3 --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
  "http://127.0.0.1:$S3_PORT/$bucket")
case $code in
200 | 409) rm -f "$dir/create-bucket.xml" ;; # 409: BucketAlreadyOwnedByYou, a restart
*) die "creating bucket $bucket failed (HTTP $code): $(cat "$dir/create-bucket.xml")" ;;
esac
