#!/usr/bin/env bash
# Smoke test of the cluster hack/kind.sh made: loads the test-workload image (built by
# `make docker-build IMAGE_TAG=<tag>`), runs it, checks exec, a Service through cluster DNS,
# and port-forward, then deletes what it made.
#
#   hack/kind/smoke.sh [IMAGE_TAG]     default tag: e2e
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TAG=${1:-e2e}
eval "$("$ROOT/hack/kind.sh" env)"
CLUSTER=${KIND_CLUSTER_NAME:-kube-ecs}
NS=kind-smoke
log() { printf 'hack/kind/smoke.sh: %s\n' "$*" >&2; }
fail() { log "FAILED: $*"; kubectl -n $NS get pods,events -o wide >&2 || true; exit 1; }
trap 'kubectl delete ns $NS --wait=false >/dev/null 2>&1 || true' EXIT

T=$SECONDS
kind load image-archive "$ROOT/bin/images/kube-ecs-test-workload-$TAG.tar" --name "$CLUSTER" || fail "kind load"
log "image load: $((SECONDS - T))s"
kubectl create ns $NS >/dev/null
kubectl -n $NS run wl --image="kube-ecs-test-workload:$TAG" --image-pull-policy=Never --port=8080 -- serve >/dev/null
kubectl -n $NS run client --image="kube-ecs-test-workload:$TAG" --image-pull-policy=Never -- serve >/dev/null
kubectl -n $NS wait --for=condition=Ready pod/wl pod/client --timeout=90s >/dev/null || fail "pods not Ready"
kubectl -n $NS exec wl -- /kube-ecs check http://localhost:8080/healthz || fail "exec check"
log "pod Running, exec ok"
kubectl -n $NS expose pod wl --port=80 --target-port=8080 --name=wl-svc >/dev/null
ok=
for _ in $(seq 30); do
  if kubectl -n $NS exec client -- /kube-ecs check "http://wl-svc.$NS.svc.cluster.local/healthz" 2>/dev/null; then ok=1; break; fi
  sleep 1
done
[[ -n $ok ]] || fail "Service through cluster DNS"
log "Service + DNS ok"
kubectl -n $NS port-forward pod/wl 18080:8080 >/dev/null 2>&1 &
PF=$!
ok=
for _ in $(seq 20); do
  if [[ $(curl -s -m 2 http://127.0.0.1:18080/healthz || true) == ok ]]; then ok=1; break; fi
  sleep 0.5
done
kill $PF
[[ -n $ok ]] || fail "port-forward"
log "port-forward ok; smoke passed in $((SECONDS - T))s"
