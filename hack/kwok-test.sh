#!/usr/bin/env bash
# make test-kwok: the acceptance test of the ECS placement scheduler at scale (test/kwok,
# build tag kwok). The Go test brings up its own kwok cluster (kube-ecs-placement, 30
# simulated nodes) and runs the manager as a process, and stops both by PID when it ends.
# This script runs it and, should the test binary die without its teardown (go test
# -timeout, SIGKILL), stops by PID whatever it left: the manager from its PID file, the
# cluster with kwokctl and then the component PIDs kwokctl recorded.
#
# Environment: KWOK_TEST_RUN=<regexp> runs only the matching tests (go test -run).
# State and logs: .local/kwok-test (manager.log, logs/, placement.txt).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
WORK=$ROOT/.local/kwok-test
CLUSTER=kube-ecs-placement
CLUSTER_DIR=$WORK/kwok/clusters/$CLUSTER

log() { printf 'hack/kwok-test.sh: %s\n' "$*" >&2; }

alive() { [[ -r /proc/$1/stat ]] && [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]; }

# stop_pid PID: SIGTERM, then SIGKILL after 10 s; only ever this one PID.
stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do alive "$pid" || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local code=$? pid f
  if [[ -f $WORK/manager.pid ]]; then
    pid=$(tr -dc '0-9' <"$WORK/manager.pid")
    if [[ -n $pid ]] && alive "$pid" && [[ $(tr '\0' ' ' <"/proc/$pid/cmdline") == "$WORK/bin/manager "* ]]; then
      log "the manager (pid $pid) outlived the test; stopping it"
      stop_pid "$pid"
    fi
    rm -f "$WORK/manager.pid"
  fi
  if [[ -d $CLUSTER_DIR ]]; then
    log "the cluster $CLUSTER outlived the test; deleting it"
    local pids=()
    for f in "$CLUSTER_DIR"/pids/*.pid; do [[ -f $f ]] && pids+=("$(tr -dc '0-9' <"$f")"); done
    KWOK_WORKDIR=$WORK/kwok bin/kwokctl delete cluster --name "$CLUSTER" --kubeconfig "$WORK/kubeconfig" >&2 || true
    for pid in "${pids[@]}"; do
      if [[ -n $pid ]] && alive "$pid" && [[ $(tr '\0' ' ' <"/proc/$pid/cmdline") == *"$CLUSTER_DIR"* ]]; then
        stop_pid "$pid"
      fi
    done
    rm -rf "$CLUSTER_DIR"
  fi
  if [[ $code -ne 0 ]]; then
    log "FAILED (exit $code); logs in $WORK (manager.log, logs/)"
  fi
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$WORK"
t0=$SECONDS
# The first build of the control plane from source takes many minutes: not under go test's
# timeout. Cached in bin/, this is instant.
hack/tools.sh kube-apiserver etcd kube-controller-manager kube-scheduler kwok kwokctl kubectl helm
go test -tags kwok ./test/kwok/ -v -count=1 -timeout 20m ${KWOK_TEST_RUN:+-run "$KWOK_TEST_RUN"}
log "passed in $((SECONDS - t0))s"
