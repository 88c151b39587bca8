#!/usr/bin/env bash
# make test-e2e: builds the images, brings up the offline kind cluster (hack/kind.sh: the
# control plane as the EC2 node, a Fargate and a Fargate Spot pool node), loads the images
# into every node, installs the Helm chart, runs the Ginkgo specs under test/e2e (build tag e2e),
# collects logs and events when they fail, and always deletes the cluster and stops every
# daemon it started.
#
# Environment: E2E_KEEP=1 leaves the cluster up (hack/kind.sh down stops it later);
# E2E_FOCUS=<regexp> runs only the matching specs.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
TAG=e2e
NAMESPACE=kube-ecs-system
ARTIFACTS=$ROOT/.local/e2e
mkdir -p "$ARTIFACTS"

log() { printf 'hack/e2e.sh: %s\n' "$*" >&2; }

cleanup() {
  local code=$?
  if [[ $code -ne 0 ]]; then
    log "FAILED (exit $code): collecting logs and events into $ARTIFACTS"
    kubectl get nodes,ecs,pods -A -o wide >"$ARTIFACTS/objects.txt" 2>&1 || true
    kubectl get events -A --sort-by=.lastTimestamp >"$ARTIFACTS/events.txt" 2>&1 || true
    kubectl -n "$NAMESPACE" logs deploy/kube-ecs-manager --tail=500 >"$ARTIFACTS/manager.log" 2>&1 || true
    tail -n 30 "$ARTIFACTS/manager.log" >&2 || true
  fi
  if [[ ${E2E_KEEP:-} == 1 ]]; then
    log "E2E_KEEP=1: the cluster stays up; stop it with hack/kind.sh down"
  else
    hack/kind.sh down || code=1
  fi
  exit "$code"
}

t0=$SECONDS
make --no-print-directory docker-build IMAGE_TAG=$TAG
trap cleanup EXIT
# Interrupted (Ctrl-C, or make bench's kwokbench stopping it), exit through the cleanup.
trap 'exit 130' INT
trap 'exit 143' TERM
hack/kind.sh up
eval "$(hack/kind.sh env)"
hack/tools.sh helm >/dev/null

log "loading the images"
CLUSTER=${KIND_CLUSTER_NAME:-kube-ecs}
images=()
for tar in bin/images/*-$TAG.tar; do
  # Into every node: the control plane (EC2) and the Fargate and Fargate Spot pools' nodes.
  kind load image-archive "$tar" --name "$CLUSTER" >/dev/null
  images+=("$(basename "$tar" "-$TAG.tar"):$TAG")
done
for node in $(kind get nodes --name "$CLUSTER"); do
  have=$(docker exec "$node" ctr -n k8s.io images ls -q)
  for image in "${images[@]}"; do
    grep -qx "docker.io/library/$image" <<<"$have" || { log "$image is not on node $node"; exit 1; }
  done
done

log "installing the chart"
helm upgrade --install kube-ecs charts/kube-ecs --namespace "$NAMESPACE" --create-namespace \
  --set image.tag=$TAG --set fargateSpot.interruptionWarning=15s \
  --set autoscaling.stableWindow=10s --set autoscaling.scaleToZeroGrace=5s \
  --wait --timeout 5m >"$ARTIFACTS/helm.log" 2>&1 || { cat "$ARTIFACTS/helm.log" >&2; exit 1; }

log "running the specs ($((SECONDS - t0))s so far)"
E2E_IMAGE_TAG=$TAG E2E_NAMESPACE=$NAMESPACE \
  go test -tags e2e ./test/e2e/ -count=1 -timeout 30m -v -args -ginkgo.v ${E2E_FOCUS:+-ginkgo.focus="$E2E_FOCUS"} 2>&1 |
  tee "$ARTIFACTS/specs.log" | grep -E '^(---|===|ok|FAIL|PASS)|•|\[FAIL\]|Ran [0-9]+' || true
grep -q '^ok' "$ARTIFACTS/specs.log" || exit 1

# The chart's life cycle: an upgrade that changes values rolls the manager, and uninstalling
# leaves nothing of the release behind (Helm keeps CRDs by design, and with them the users'
# objects). A focused run (E2E_FOCUS, for example make bench's data plane figures) is about
# its specs only.
if [[ -n ${E2E_FOCUS:-} ]]; then
  log "passed in $((SECONDS - t0))s (focused: the chart's life cycle is not checked)"
  exit 0
fi
log "upgrading the chart (logLevel=debug)"
helm upgrade kube-ecs charts/kube-ecs --namespace "$NAMESPACE" --reuse-values --set logLevel=debug \
  --wait --timeout 5m >>"$ARTIFACTS/helm.log" 2>&1 || { cat "$ARTIFACTS/helm.log" >&2; exit 1; }
kubectl -n "$NAMESPACE" get deploy/kube-ecs-manager -o jsonpath='{.spec.template.spec.containers[0].args}' |
  grep -q -- '--zap-log-level=debug' || { log "the upgrade did not reach the manager's args"; exit 1; }
log "uninstalling the chart"
helm uninstall kube-ecs --namespace "$NAMESPACE" --wait --timeout 5m >>"$ARTIFACTS/helm.log" 2>&1 ||
  { cat "$ARTIFACTS/helm.log" >&2; exit 1; }
# Pods go with their Deployments through garbage collection, after helm returns.
kubectl wait --for=delete pods -A -l app.kubernetes.io/instance=kube-ecs --timeout=120s >/dev/null 2>&1 || true
left=$(kubectl get all,serviceaccounts,configmaps,roles,rolebindings,clusterroles,clusterrolebindings -A \
  -l app.kubernetes.io/instance=kube-ecs -o name 2>&1)
[[ -z $left ]] || { log "uninstall left objects behind: $left"; exit 1; }
kubectl get crd tasks.ecs.kube-ecs.io >/dev/null || { log "uninstall removed the CRDs"; exit 1; }
log "passed in $((SECONDS - t0))s"
