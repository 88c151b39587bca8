#!/usr/bin/env bash
# Smoke test of the cluster hack/kind.sh made: loads the test-workload image (built by
# `make docker-build IMAGE_TAG=<tag>`) into every node, runs it on the control plane and on
# both Fargate pool nodes (tolerating their taints), checks exec, Services through cluster DNS
# across nodes (CoreDNS and the backends on another node than the client), pod to pod across
# nodes, and port-forward, then deletes what it made.
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
POOL=ecs.kube-ecs.io/capacity-pool
# run_pod NAME POOL [ARGS...]: the workload on the node of a Fargate pool (empty: the control
# plane, the only node without a taint).
run_pod() {
  local name=$1 pool=$2 overrides='{}'
  shift 2
  if [[ -n $pool ]]; then
    overrides='{"spec":{"nodeSelector":{"'$POOL'":"'$pool'"},"tolerations":[{"key":"'$POOL'","operator":"Equal","value":"'$pool'","effect":"NoSchedule"}]}}'
  fi
  kubectl -n $NS run "$name" --image="kube-ecs-test-workload:$TAG" --image-pull-policy=Never --port=8080 \
    --overrides="$overrides" -- serve "$@" >/dev/null
}
node_of() { kubectl -n $NS get pod "$1" -o jsonpath='{.spec.nodeName}'; }
pool_of() { kubectl get node "$1" -o jsonpath="{.metadata.labels.${POOL//./\\.}}"; }
# check FROM URL: FROM's workload gets URL (retried: Services and DNS take a moment).
check() {
  for _ in $(seq 30); do
    kubectl -n $NS exec "$1" -- /kube-ecs check "$2" 2>/dev/null && return 0
    sleep 1
  done
  return 1
}
run_pod wl ""
run_pod client fargate
run_pod spot fargate-spot
kubectl -n $NS wait --for=condition=Ready pod/wl pod/client pod/spot --timeout=90s >/dev/null || fail "pods not Ready"
[[ -z $(pool_of "$(node_of wl)") ]] || fail "wl is not on the control plane"
[[ $(pool_of "$(node_of client)") == fargate ]] || fail "client is not on the fargate node"
[[ $(pool_of "$(node_of spot)") == fargate-spot ]] || fail "spot is not on the fargate-spot node"
kubectl -n $NS exec wl -- /kube-ecs check http://localhost:8080/healthz || fail "exec check"
log "pods Running on $(node_of wl), $(node_of client) (fargate), $(node_of spot) (fargate-spot); exec ok"
kubectl -n $NS expose pod wl --port=80 --target-port=8080 --name=wl-svc >/dev/null
kubectl -n $NS expose pod spot --port=80 --target-port=8080 --name=spot-svc >/dev/null
check client "http://wl-svc.$NS.svc.cluster.local/healthz" || fail "fargate node -> Service on the control plane, through cluster DNS"
check client "http://spot-svc.$NS.svc.cluster.local/healthz" || fail "fargate node -> Service on the fargate-spot node, through cluster DNS"
check wl "http://spot-svc.$NS.svc.cluster.local/healthz" || fail "control plane -> Service on the fargate-spot node, through cluster DNS"
log "Services + DNS across nodes ok"
for p in wl client spot; do
  ip=$(kubectl -n $NS get pod $p -o jsonpath='{.status.podIP}')
  for from in wl client spot; do
    [[ $from == "$p" ]] && continue
    check "$from" "http://$ip:8080/healthz" || fail "$from -> pod $p ($ip)"
  done
done
log "pod to pod across nodes ok"
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
