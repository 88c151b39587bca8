#!/usr/bin/env bash
# Local development environment: a kwok cluster (real etcd, kube-apiserver, controller-manager
# and scheduler, simulated nodes) on 127.0.0.1, with the kube-ecs CRDs, the manager running on
# the host and the samples applied. Nothing is downloaded: every binary is built from source by
# hack/tools.sh, and all state stays under .local/dev/.
#
#   hack/dev.sh up      (make dev)       create or reuse the cluster, (re)start the manager
#   hack/dev.sh down    (make dev-down)  stop the manager and delete the cluster
#   hack/dev.sh status                   show what is running
#
# Environment:
#   KUBE_ECS_DEV_SAMPLES   what `up` applies last (default: config/samples; a directory or file)
#   KUBE_ECS_DEV_TIMEOUT   seconds each wait may take (default 120)
set -Eeuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/bin
DEV=$ROOT/.local/dev
CLUSTER=kube-ecs-dev
# kwokctl keeps its clusters, logs, pids and cache under KWOK_WORKDIR (default ~/.kwok).
export KWOK_WORKDIR=$DEV/kwok
# kwokctl has no flag for kubectl; its default is a download URL (used by `kwokctl kubectl`).
export KWOK_KUBECTL_BINARY=$BIN/kubectl
# kubectl's discovery cache (default ~/.kube/cache) stays here too.
export KUBECACHEDIR=$DEV/kube-cache
CLUSTER_DIR=$KWOK_WORKDIR/clusters/$CLUSTER
KUBECONFIG_FILE=$DEV/kubeconfig
MANAGER_PID_FILE=$DEV/manager.pid
MANAGER_LOG=$DEV/manager.log
MANAGER_ENV=$DEV/manager.env
LOGS=$DEV/logs
SAMPLES=${KUBE_ECS_DEV_SAMPLES:-$ROOT/config/samples}
TIMEOUT=${KUBE_ECS_DEV_TIMEOUT:-120}
TOOLS=(kube-apiserver etcd kube-controller-manager kube-scheduler kwok kwokctl kubectl)

STEP=""
STEP_LOG=""

say() { printf '==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
warn() { printf 'hack/dev.sh: warning: %s\n' "$*" >&2; }

# step NAME [LOG]: announce a step; LOG is the file whose tail is shown if the step fails.
step() {
  STEP=$1
  STEP_LOG=${2:-}
  say "$STEP"
}

# show_tail FILE: the end of a log, for failure messages.
show_tail() {
  local f=$1
  [[ -s $f ]] || return 0
  printf -- '--- last lines of %s ---\n' "$f" >&2
  tail -n 40 "$f" >&2
  printf -- '---\n' >&2
}

fail() {
  printf '\nhack/dev.sh: FAILED%s: %s\n' "${STEP:+ ($STEP)}" "$*" >&2
  [[ -n $STEP_LOG ]] && show_tail "$STEP_LOG"
  exit 1
}

on_err() {
  local rc=$? line=$1
  trap - ERR
  printf '\nhack/dev.sh: FAILED%s: command at hack/dev.sh:%s exited with %s\n' "${STEP:+ ($STEP)}" "$line" "$rc" >&2
  [[ -n $STEP_LOG ]] && show_tail "$STEP_LOG"
  exit "$rc"
}
trap 'on_err $LINENO' ERR

kubectl() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_FILE" "$@"; }
kwokctl() { "$BIN/kwokctl" "$@"; }

# wait_for DESCRIPTION COMMAND...: retry COMMAND (quietly) every half second until TIMEOUT.
wait_for() {
  local what=$1
  shift
  local deadline=$((SECONDS + TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail "timed out after ${TIMEOUT}s waiting for $what"
    sleep 0.5
  done
}

# pid_alive PID: the process exists and is not a zombie.
pid_alive() {
  local pid=$1 state
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z ]]
}

# pid_cmdline PID: the command line of PID, arguments separated by spaces.
pid_cmdline() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true; }

# stop_pid PID WHAT: SIGTERM, then SIGKILL after 10 s. Only ever this one PID.
stop_pid() {
  local pid=$1 what=$2 i
  pid_alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  warn "$what (pid $pid) ignored SIGTERM for 10s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  return 1
}

# port_free PORT: nothing accepts connections on 127.0.0.1:PORT.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port FROM: the first free loopback port at or above FROM, skipping EXCLUDE_PORT.
free_port() {
  local p=$1
  while ! port_free "$p" || [[ $p == "${EXCLUDE_PORT:-}" ]]; do
    p=$((p + 1))
    ((p < 65535)) || fail "no free port above $1"
  done
  echo "$p"
}

cluster_exists() { [[ -f $CLUSTER_DIR/kwok.yaml ]]; }
cluster_ready() { [[ -f $KUBECONFIG_FILE ]] && kubectl get --raw=/readyz >/dev/null 2>&1; }

# manager_pid: the PID recorded in manager.pid if that process is still our manager binary.
manager_pid() {
  local pid
  [[ -f $MANAGER_PID_FILE ]] || return 1
  pid=$(<"$MANAGER_PID_FILE")
  pid_alive "$pid" || return 1
  [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$(readlink -f "$BIN/manager")"* ]] ||
    [[ $(pid_cmdline "$pid") == "$BIN/manager "* ]] || return 1
  echo "$pid"
}

stop_manager() {
  local pid
  if pid=$(manager_pid); then
    info "stopping the manager (pid $pid)"
    stop_pid "$pid" manager || fail "could not stop the manager (pid $pid)"
  elif [[ -f $MANAGER_PID_FILE ]]; then
    info "no manager running (stale pid file: pid $(<"$MANAGER_PID_FILE") is not bin/manager)"
  fi
  rm -f "$MANAGER_PID_FILE" "$MANAGER_ENV"
}

# cluster_pids: the PIDs kwokctl recorded for the cluster's components.
cluster_pids() {
  local f
  [[ -d $CLUSTER_DIR/pids ]] || return 0
  for f in "$CLUSTER_DIR"/pids/*.pid; do
    [[ -f $f ]] || continue
    printf '%s %s\n' "$(tr -dc '0-9' <"$f")" "$(basename "$f" .pid)"
  done
}

create_cluster() {
  mkdir -p "$LOGS"
  step "Creating the kwok cluster $CLUSTER (binary runtime, 127.0.0.1)" "$LOGS/kwokctl-create.log"
  local start=$SECONDS
  if ! kwokctl create cluster \
    --name "$CLUSTER" \
    --config "$ROOT/hack/kwok/kwokctl.yaml" \
    --config "$ROOT/hack/kwok/stages.yaml" \
    --runtime binary \
    --kubeconfig "$KUBECONFIG_FILE" \
    --kube-apiserver-binary "$BIN/kube-apiserver" \
    --kube-controller-manager-binary "$BIN/kube-controller-manager" \
    --kube-scheduler-binary "$BIN/kube-scheduler" \
    --etcd-binary "$BIN/etcd" \
    --kwok-controller-binary "$BIN/kwok" \
    --wait "${TIMEOUT}s" \
    >"$LOGS/kwokctl-create.log" 2>&1; then
    # Leave nothing half-started behind.
    kwokctl delete cluster --name "$CLUSTER" --kubeconfig "$KUBECONFIG_FILE" >>"$LOGS/kwokctl-create.log" 2>&1 || true
    fail "kwokctl create cluster failed (component logs: $CLUSTER_DIR/logs, if still there)"
  fi
  info "cluster created in $((SECONDS - start))s"
}

up() {
  local t0=$SECONDS
  mkdir -p "$DEV" "$LOGS"

  step "Building the cluster tools (hack/tools.sh; cached in bin/)"
  "$ROOT/hack/tools.sh" "${TOOLS[@]}" || fail "hack/tools.sh ${TOOLS[*]}"

  # kubectl ... --kubeconfig and kwokctl both talk to the cluster found under KWOK_WORKDIR.
  if cluster_exists && cluster_ready; then
    step "Reusing the running kwok cluster $CLUSTER"
  elif cluster_exists; then
    step "Restarting the stopped kwok cluster $CLUSTER" "$LOGS/kwokctl-start.log"
    [[ -f $KUBECONFIG_FILE ]] || cp "$CLUSTER_DIR/kubeconfig.yaml" "$KUBECONFIG_FILE"
    if ! kwokctl start cluster --name "$CLUSTER" --wait "${TIMEOUT}s" >"$LOGS/kwokctl-start.log" 2>&1 ||
      ! cluster_ready; then
      warn "the existing cluster could not be restarted (see $LOGS/kwokctl-start.log); recreating it"
      kwokctl delete cluster --name "$CLUSTER" --kubeconfig "$KUBECONFIG_FILE" >>"$LOGS/kwokctl-start.log" 2>&1 || true
      rm -f "$KUBECONFIG_FILE"
      create_cluster
    fi
  else
    rm -f "$KUBECONFIG_FILE"
    create_cluster
  fi

  step "Waiting for the API server" "$CLUSTER_DIR/logs/kube-apiserver.log"
  wait_for "the API server's /readyz" kubectl get --raw=/readyz

  step "Adding the simulated nodes (hack/kwok/nodes.yaml)" "$CLUSTER_DIR/logs/kwok-controller.log"
  kubectl apply -f "$ROOT/hack/kwok/nodes.yaml" | sed 's/^/    /'
  kubectl wait node -l type=kwok --for=condition=Ready --timeout="${TIMEOUT}s" >/dev/null ||
    fail "the simulated nodes did not become Ready"

  step "Waiting for serviceaccount/default in namespace default" "$CLUSTER_DIR/logs/kube-controller-manager.log"
  wait_for "serviceaccount/default" kubectl -n default get serviceaccount default

  step "Installing the kube-ecs CRDs" "$LOGS/crds.log"
  local crds
  if [[ -f $ROOT/config/crd/kustomization.yaml ]]; then
    crds=$(kubectl apply --server-side --force-conflicts --field-manager=kube-ecs-dev -k "$ROOT/config/crd" -o name 2>"$LOGS/crds.log") ||
      fail "kubectl apply -k config/crd"
  else
    crds=$(kubectl apply --server-side --force-conflicts --field-manager=kube-ecs-dev -f "$ROOT/config/crd/bases" -o name 2>"$LOGS/crds.log") ||
      fail "kubectl apply -f config/crd/bases"
  fi
  crds=$(grep '^customresourcedefinition' <<<"$crds" || true)
  [[ -n $crds ]] || fail "no CustomResourceDefinition found in config/crd"
  # shellcheck disable=SC2086 # one name per word
  kubectl wait --for=condition=Established --timeout="${TIMEOUT}s" $crds >"$LOGS/crds.log" 2>&1 ||
    fail "the CRDs were not Established"
  info "$(wc -l <<<"$crds") CRDs established"
  # The chart's namespace, where the manager keeps the App Runner CA (--apprunner-ca-secret).
  kubectl create namespace kube-ecs-system --dry-run=client -o yaml | kubectl apply -f - >/dev/null ||
    fail "creating namespace kube-ecs-system"

  step "Building the manager (bin/manager)" "$LOGS/manager-build.log"
  make -C "$ROOT" --no-print-directory "$BIN/manager" >"$LOGS/manager-build.log" 2>&1 ||
    fail "building bin/manager"

  step "Starting the manager" "$MANAGER_LOG"
  stop_manager
  local health metrics
  health=$(free_port 18081)
  metrics=$(EXCLUDE_PORT=$health free_port 18080)
  # setsid: its own session, so it outlives this script and the terminal.
  setsid "$BIN/manager" \
    --kubeconfig "$KUBECONFIG_FILE" \
    --metrics-bind-address="127.0.0.1:$metrics" \
    --health-probe-bind-address="127.0.0.1:$health" \
    --require-agent=false \
    </dev/null >"$MANAGER_LOG" 2>&1 &
  local pid=$!
  echo "$pid" >"$MANAGER_PID_FILE"
  printf 'MANAGER_PID=%s\nMANAGER_HEALTH_ADDR=127.0.0.1:%s\nMANAGER_METRICS_ADDR=127.0.0.1:%s\n' \
    "$pid" "$health" "$metrics" >"$MANAGER_ENV"
  local deadline=$((SECONDS + TIMEOUT))
  until curl -fsS --max-time 2 "http://127.0.0.1:$health/healthz" >/dev/null 2>&1; do
    pid_alive "$pid" || { rm -f "$MANAGER_PID_FILE" "$MANAGER_ENV"; fail "the manager exited"; }
    ((SECONDS < deadline)) || fail "the manager's /healthz did not answer within ${TIMEOUT}s"
    sleep 0.5
  done
  info "pid $pid, healthz http://127.0.0.1:$health/healthz, metrics http://127.0.0.1:$metrics/metrics, log $MANAGER_LOG"

  step "Applying the samples ($SAMPLES)" "$LOGS/samples.log"
  if [[ -d $SAMPLES && ( -f $SAMPLES/kustomization.yaml || -f $SAMPLES/kustomization.yml ) ]]; then
    kubectl apply -k "$SAMPLES" >"$LOGS/samples.log" 2>&1 || fail "kubectl apply -k $SAMPLES"
    sed 's/^/    /' "$LOGS/samples.log"
  elif [[ -f $SAMPLES ]] || [[ -d $SAMPLES && -n $(find "$SAMPLES" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) -print -quit) ]]; then
    kubectl apply -R -f "$SAMPLES" >"$LOGS/samples.log" 2>&1 || fail "kubectl apply -R -f $SAMPLES"
    sed 's/^/    /' "$LOGS/samples.log"
  else
    info "no manifests in $SAMPLES; nothing applied"
  fi

  step "Waiting for the controllers to report the samples' state" "$LOGS/samples-wait.log"
  # Families register their revisions; tasks reach RUNNING on the simulated nodes. Kinds
  # whose controllers have not landed yet have no status to wait for.
  for kind in taskdefinitions.ecs.kube-ecs.io tasks.ecs.kube-ecs.io; do
    if [[ -n $(kubectl get "$kind" -A -o name 2>/dev/null) ]]; then
      kubectl wait "$kind" --all -A --for=condition=Ready --timeout="${TIMEOUT}s" >>"$LOGS/samples-wait.log" 2>&1 ||
        warn "not every $kind is Ready (see $LOGS/samples-wait.log and $MANAGER_LOG)"
    fi
  done

  STEP_LOG=""
  step "Ready in $((SECONDS - t0))s"
  kubectl get nodes -L topology.kubernetes.io/zone,node.kubernetes.io/instance-type,ecs.kube-ecs.io/capacity-provider,ecs.kube-ecs.io/capacity-pool
  echo
  kubectl get ecs -A 2>&1 || true
  echo
  echo "Use the cluster with:"
  echo "  export KUBECONFIG=$KUBECONFIG_FILE"
  echo "Manager log: $MANAGER_LOG    Stop everything: make dev-down"
}

down() {
  step "Stopping the manager"
  stop_manager

  if [[ ! -d $CLUSTER_DIR ]]; then
    step "No kwok cluster $CLUSTER under $KWOK_WORKDIR; nothing to delete"
  else
    step "Deleting the kwok cluster $CLUSTER" "$LOGS/kwokctl-delete.log"
    mkdir -p "$LOGS"
    local pids pid name
    pids=$(cluster_pids)
    if [[ ! -x $BIN/kwokctl ]]; then
      warn "bin/kwokctl is missing; stopping the recorded component PIDs directly"
    elif ! kwokctl delete cluster --name "$CLUSTER" --kubeconfig "$KUBECONFIG_FILE" >"$LOGS/kwokctl-delete.log" 2>&1; then
      show_tail "$LOGS/kwokctl-delete.log"
      warn "kwokctl delete cluster failed; stopping the recorded component PIDs directly"
    fi
    # Whatever kwokctl did, no component it started may survive.
    while read -r pid name; do
      [[ -n $pid ]] || continue
      if pid_alive "$pid" && [[ $(pid_cmdline "$pid") == *"$CLUSTER_DIR"* ]]; then
        warn "$name (pid $pid) is still running; stopping it"
        stop_pid "$pid" "$name" || fail "could not stop $name (pid $pid)"
      fi
    done <<<"$pids"
    rm -rf "$CLUSTER_DIR"
  fi
  rm -f "$KUBECONFIG_FILE"

  step "Checking that nothing is left running"
  local left="" p
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [[ $p == "$$" || $p == "$BASHPID" ]] && continue
    case $(pid_cmdline "$p") in
    *"$KWOK_WORKDIR/"* | "$BIN/manager "*"$KUBECONFIG_FILE"*) left+=" $p" ;;
    esac
  done
  if [[ -n $left ]]; then
    ps -o pid,args -p "${left# }" >&2 || true
    fail "processes started from $DEV are still running:$left"
  fi
  info "none"
}

status() {
  local pid
  if cluster_exists; then
    if cluster_ready; then
      say "cluster $CLUSTER: running (export KUBECONFIG=$KUBECONFIG_FILE)"
    else
      say "cluster $CLUSTER: created but not answering"
    fi
    cluster_pids | while read -r pid name; do
      if pid_alive "$pid"; then info "$name: pid $pid"; else info "$name: not running"; fi
    done
  else
    say "cluster $CLUSTER: absent"
  fi
  if pid=$(manager_pid); then
    say "manager: pid $pid"
    [[ -f $MANAGER_ENV ]] && sed 's/^/    /' "$MANAGER_ENV"
  else
    say "manager: not running"
  fi
}

case ${1:-} in
up) up ;;
down) down ;;
status) status ;;
*)
  echo "usage: hack/dev.sh up|down|status" >&2
  exit 2
  ;;
esac
