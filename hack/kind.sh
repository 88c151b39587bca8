#!/usr/bin/env bash
# A real kind cluster (Kubernetes $KUBERNETES_VERSION, real containers) on a machine with no
# registry: installs Docker/containerd from Debian, builds every binary from source
# (hack/tools.sh), builds the kind node image with debootstrap (cached in bin/), starts
# containerd and dockerd with their own data roots under .local/kind, creates the cluster
# (hack/kind/cluster.yaml: the control plane as the EC2 node, a Fargate and a Fargate Spot pool
# node) and routes pods across its nodes. See hack/kind/README.md.
#
#   hack/kind.sh up       create the cluster (idempotent)
#   hack/kind.sh down     delete it, stop every daemon started by `up`, restore sysctls
#   hack/kind.sh status   what is running
#   hack/kind.sh env      exports for DOCKER_HOST / KUBECONFIG / PATH (eval "$(hack/kind.sh env)")
#
# Environment: KIND_CLUSTER_NAME (default kube-ecs), KIND_PURGE=1 on down also removes
# .local/kind (docker data root with the loaded node image).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=versions.env
source "$ROOT/hack/versions.env"
# shellcheck source=cache.sh
source "$ROOT/hack/cache.sh"
BIN=$ROOT/bin
STATE=$ROOT/.local/kind
RUN_DIR=/run/kube-ecs-kind
CLUSTER=${KIND_CLUSTER_NAME:-kube-ecs}
NODE_IMAGE=kube-ecs.local/kind-node:$KUBERNETES_VERSION
NODE_TAR=$BIN/kind-node-$KUBERNETES_VERSION.tar
export DOCKER_HOST=unix://$RUN_DIR/docker.sock
export KUBECONFIG=$STATE/kubeconfig
# Debian's docker CLI (matches the 20.10 daemon) and the pinned tools first.
export PATH=$BIN:/usr/sbin:/usr/bin:$PATH
CGROUP_PARENT=kube-ecs-kind # dockerd's cgroup parent in every hierarchy; removed by down
SYSCTLS=(vm.overcommit_memory kernel.panic kernel.panic_on_oops)
APT_PACKAGES=(docker.io containerd runc containernetworking-plugins debootstrap iptables jq socat conntrack iproute2 kmod)
TOOLS=(kind kubectl kubelet kubeadm kube-proxy kube-apiserver kube-controller-manager kube-scheduler etcd)

log() { printf 'hack/kind.sh: %s\n' "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }
T0=$SECONDS
stage() { # NAME START: prints and records the time of a stage
  local d=$((SECONDS - $2))
  log "stage $1: ${d}s"
  echo "$(date -u +%FT%TZ) $1 ${d}s" >>"$STATE/timings.log"
}
alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

ensure_packages() {
  local t=$SECONDS missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  [[ -x /usr/bin/containerd ]] || missing+=(containerd)
  [[ -x /usr/sbin/runc ]] || missing+=(runc)
  [[ -x /usr/lib/cni/bridge ]] || missing+=(containernetworking-plugins)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v jq >/dev/null || missing+=(jq)
  command -v iptables >/dev/null || missing+=(iptables)
  if [[ ${#missing[@]} -gt 0 ]]; then
    log "apt-get install ${APT_PACKAGES[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >"$STATE/logs/apt.log" 2>&1 || fail "apt-get update (see $STATE/logs/apt.log)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${APT_PACKAGES[@]}" >>"$STATE/logs/apt.log" 2>&1 ||
      fail "apt-get install (see $STATE/logs/apt.log)"
  fi
  stage apt "$t"
}

ensure_binaries() {
  local t=$SECONDS
  "$ROOT/hack/tools.sh" "${TOOLS[@]}"
  if [[ ! -x $BIN/coredns-$COREDNS_VERSION ]] && cache_fetch "bin/coredns-$COREDNS_VERSION" "$BIN/coredns-$COREDNS_VERSION"; then
    log "coredns $COREDNS_VERSION from $KUBE_ECS_CACHE"
  fi
  if [[ ! -x $BIN/coredns-$COREDNS_VERSION ]]; then
    log "building coredns $COREDNS_VERSION (first run only)"
    local gobin
    gobin=$(mktemp -d)
    CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOBIN=$gobin go install -trimpath -ldflags "-s -w" "github.com/coredns/coredns@$COREDNS_VERSION" ||
      fail "go install coredns"
    mv "$gobin/coredns" "$BIN/coredns-$COREDNS_VERSION" && rmdir "$gobin"
  fi
  cache_keep "bin/coredns-$COREDNS_VERSION" "$BIN/coredns-$COREDNS_VERSION"
  stage binaries "$t"
}

record_sysctls() {
  [[ -f $STATE/sysctls.saved ]] && return 0 # keep the values from before the first `up`
  local s
  for s in "${SYSCTLS[@]}"; do echo "$s=$(sysctl -n "$s")"; done >"$STATE/sysctls.saved"
}

restore_sysctls() {
  [[ -f $STATE/sysctls.saved ]] || return 0
  local line
  while read -r line; do sysctl -q -w "$line" >/dev/null || log "could not restore $line"; done <"$STATE/sysctls.saved"
  rm -f "$STATE/sysctls.saved"
}

start_containerd() {
  alive "$STATE/containerd.pid" && return 0
  mkdir -p "$STATE/containerd/root" "$RUN_DIR/containerd"
  cat >"$STATE/containerd/config.toml" <<CFG
version = 2
root = "$STATE/containerd/root"
state = "$RUN_DIR/containerd/state"
# dockerd needs no CRI; the kind node runs its own containerd.
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$RUN_DIR/containerd/containerd.sock"
CFG
  /usr/bin/containerd --config "$STATE/containerd/config.toml" >"$STATE/logs/containerd.log" 2>&1 &
  echo $! >"$STATE/containerd.pid"
  for _ in $(seq 100); do [[ -S $RUN_DIR/containerd/containerd.sock ]] && return 0; sleep 0.1; done
  fail "containerd did not start (see $STATE/logs/containerd.log)"
}

start_dockerd() {
  alive "$STATE/dockerd.pid" && return 0
  mkdir -p "$STATE/docker" "$RUN_DIR/docker-exec"
  cat >"$STATE/daemon.json" <<CFG
{
  "data-root": "$STATE/docker",
  "exec-root": "$RUN_DIR/docker-exec",
  "pidfile": "$RUN_DIR/dockerd.pidfile",
  "hosts": ["$DOCKER_HOST"],
  "containerd": "$RUN_DIR/containerd/containerd.sock",
  "iptables": false,
  "ip6tables": false,
  "ip-forward": false,
  "ip-masq": false,
  "bridge": "none",
  "storage-driver": "overlay2",
  "cgroup-parent": "/$CGROUP_PARENT",
  "runtimes": { "kind-runc": { "path": "$ROOT/hack/kind/runc-wrapper" } },
  "default-runtime": "kind-runc",
  "log-driver": "json-file"
}
CFG
  /usr/sbin/dockerd --config-file "$STATE/daemon.json" >"$STATE/logs/dockerd.log" 2>&1 &
  echo $! >"$STATE/dockerd.pid"
  for _ in $(seq 150); do docker version >/dev/null 2>&1 && return 0; sleep 0.2; done
  fail "dockerd did not start (see $STATE/logs/dockerd.log)"
}

ensure_node_image() {
  local t=$SECONDS
  if docker image inspect "$NODE_IMAGE" >/dev/null 2>&1; then
    :
  elif [[ -f $NODE_TAR ]] || cache_fetch "$(basename "$NODE_TAR")" "$NODE_TAR"; then
    log "docker load $NODE_TAR"
    docker load -i "$NODE_TAR" >/dev/null || fail "docker load $NODE_TAR"
  else
    log "building the node image $NODE_IMAGE (first run only; see hack/kind/README.md)"
    KIND_RUN_DIR=$RUN_DIR "$ROOT/hack/kind/build-node-image.sh" "$NODE_IMAGE" "$NODE_TAR"
  fi
  [[ ! -f $NODE_TAR ]] || cache_keep "$(basename "$NODE_TAR")" "$NODE_TAR"
  stage node-image "$t"
}

up() {
  mkdir -p "$STATE/logs" "$RUN_DIR"
  [[ $(id -u) == 0 ]] || fail "run as root (it starts dockerd and containerd)"
  ensure_packages
  ensure_binaries
  record_sysctls
  local t=$SECONDS
  start_containerd
  start_dockerd
  stage daemons "$t"
  ensure_node_image
  t=$SECONDS
  # kind bind-mounts /lib/modules; docker creates it on the host when it is missing.
  [[ -e /lib/modules ]] || touch "$STATE/created-lib-modules"
  if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
    log "cluster $CLUSTER exists"
  else
    kind create cluster --name "$CLUSTER" --image "$NODE_IMAGE" --config "$ROOT/hack/kind/cluster.yaml" \
      --kubeconfig "$KUBECONFIG" --wait 3m --retain || fail "kind create cluster (nodes kept for debugging: hack/kind.sh down removes them)"
  fi
  stage kind-create "$t"
  t=$SECONDS
  configure_network
  untaint_control_plane
  stage network "$t"
  t=$SECONDS
  kubectl wait --for=condition=Ready node --all --timeout=120s >/dev/null || fail "nodes not Ready"
  kubectl -n kube-system rollout status deployment/coredns --timeout=180s >/dev/null || fail "coredns not ready"
  stage ready "$t"
  log "ready in $((SECONDS - T0))s; use: eval \"\$(hack/kind.sh env)\""
}

ip2int() { local IFS=. a b c d; read -r a b c d <<<"$1"; echo $(((a << 24) | (b << 16) | (c << 8) | d)); }
int2ip() { echo "$(($1 >> 24 & 255)).$(($1 >> 16 & 255)).$(($1 >> 8 & 255)).$(($1 & 255))"; }
in_cidr() { # IP CIDR: whether IP is in CIDR
  local mask=$(((0xffffffff << (32 - ${2#*/})) & 0xffffffff))
  ((($(ip2int "$1") & mask) == ($(ip2int "${2%/*}") & mask)))
}

# Pod networking across the nodes, what kindnetd does (it cannot be pulled offline): each
# node's bridge CNI config (the image's 10-bridge.conflist, fixed to 10.244.0.0/24) gets the
# node's own pod CIDR (node.spec.podCIDR, allocated by the controller-manager from the
# cluster's podSubnet), every node a route to each other node's pod CIDR via that node's IP,
# and traffic from the pods is masqueraded only when it leaves the pod subnet (pod to pod keeps
# its source IP; the bridge plugin's own ipMasq would NAT it too). The config is rewritten in
# place, every time: containerd reloads it on a write event in /etc/cni/net.d (a file renamed
# into the folder is a create event, which it ignores), so a re-run also heals a containerd
# that missed the change. Idempotent.
POD_SUBNET=10.244.0.0/16 # hack/kind/cluster.yaml networking.podSubnet
CNI_CONF=/etc/cni/net.d/10-bridge.conflist
configure_network() {
  local want have names=() cidrs=() ips=() name cidr ip routes i j
  want=$(kind get nodes --name "$CLUSTER" | wc -l)
  for _ in $(seq 60); do
    names=() cidrs=() ips=()
    while read -r name cidr ip; do
      [[ -n $name && -n $cidr && -n $ip ]] || continue
      names+=("$name") cidrs+=("$cidr") ips+=("$ip")
    done < <(kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.name} {.spec.podCIDR} {.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}' 2>/dev/null)
    have=${#names[@]}
    [[ $have == "$want" ]] && break
    sleep 1
  done
  [[ $have == "$want" ]] || fail "$have of $want nodes have a pod CIDR and an address"
  for i in "${!names[@]}"; do
    name=${names[$i]} cidr=${cidrs[$i]} routes=
    for j in "${!names[@]}"; do
      [[ $i == "$j" ]] || routes+="${cidrs[$j]} ${ips[$j]} "
    done
    # The bridge plugin gives cni0 the first address of the range; a cni0 made from an older
    # range would refuse the new one ("cni0 already has an IP address different from ...").
    # shellcheck disable=SC2016 # expanded by the node's shell
    docker exec -e CIDR="$cidr" -e GW="$(int2ip $(($(ip2int "${cidr%/*}") + 1)))" -e CONF="$CNI_CONF" \
      -e POD_SUBNET="$POD_SUBNET" -e ROUTES="$routes" "$name" sh -ec '
      if ip -4 -o addr show dev cni0 2>/dev/null | grep -v " $GW/" | grep -q " inet "; then ip link delete cni0; fi
      jq --arg s "$CIDR" "(.plugins[] | select(.type == \"bridge\")) |= (.ipMasq = false | .ipam.ranges = [[{subnet: \$s}]])" "$CONF" >/tmp/cni.new
      cat /tmp/cni.new >"$CONF" && rm /tmp/cni.new
      masq="POSTROUTING -s $CIDR ! -d $POD_SUBNET -m comment --comment kube-ecs-pod-masq -j MASQUERADE"
      iptables -t nat -C $masq 2>/dev/null || iptables -t nat -A $masq
      set -- $ROUTES
      while [ $# -ge 2 ]; do ip route replace "$1" via "$2"; shift 2; done' ||
      fail "pod network of $name"
    log "node $name: pod CIDR $cidr, address ${ips[$i]}"
  done
  # A pod networked before its node's config was rewritten has an address no route leads to
  # (none expected: only host-network pods tolerate the Fargate taints during `up`).
  local ns pod node podip
  while read -r ns pod node podip; do
    for i in "${!names[@]}"; do
      [[ ${names[$i]} == "$node" ]] || continue
      in_cidr "$podip" "${cidrs[$i]}" && continue
      log "deleting $ns/$pod: address $podip outside $node's pod CIDR ${cidrs[$i]}"
      kubectl -n "$ns" delete pod "$pod" --wait=false >/dev/null
    done
  done < <(kubectl get pods -A -o jsonpath='{range .items[?(@.status.podIP)]}{.metadata.namespace} {.metadata.name} {.spec.nodeName} {.status.podIP} {.spec.hostNetwork}{"\n"}{end}' |
    awk '$5 != "true" {print $1, $2, $3, $4}')
}

# kind untaints the control plane only when it has no workers; cluster.yaml asks kubeadm for
# no taint, and this makes sure (it is the EC2 container instance and runs ordinary pods).
untaint_control_plane() {
  local n
  for n in $(kubectl get nodes -l node-role.kubernetes.io/control-plane -o jsonpath='{range .items[?(@.spec.taints)]}{.metadata.name}{"\n"}{end}'); do
    if kubectl get node "$n" -o jsonpath='{.spec.taints[*].key}' | grep -qw node-role.kubernetes.io/control-plane; then
      log "removing the control-plane taint of $n"
      kubectl taint node "$n" node-role.kubernetes.io/control-plane- >/dev/null
    fi
  done
}

stop_pid() { # PIDFILE NAME
  local f=$1 n=$2 pid
  [[ -f $f ]] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $n (pid $pid)"
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && { log "$n did not stop, killing $pid"; kill -KILL "$pid"; }
  fi
  rm -f "$f"
}

down() {
  mkdir -p "$STATE/logs"
  if alive "$STATE/dockerd.pid"; then
    if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
      kind delete cluster --name "$CLUSTER" --kubeconfig "$KUBECONFIG" || log "kind delete cluster failed"
    fi
    docker network rm kind >/dev/null 2>&1 || true
  fi
  stop_pid "$STATE/dockerd.pid" dockerd
  # containerd-shim processes of our containerd (there should be none once the containers are gone).
  local p
  for p in $(pgrep -f "containerd-shim.*-address $RUN_DIR/containerd/containerd.sock" || true); do
    log "stopping leftover shim $p"; kill -TERM "$p" 2>/dev/null || true
  done
  stop_pid "$STATE/containerd.pid" containerd
  # Mounts left under our folders (docker's overlay2/netns), deepest first.
  awk -v a="$STATE" -v b="$RUN_DIR" '$2 ~ "^"a || $2 ~ "^"b {print $2}' /proc/self/mounts | sort -r |
    while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "could not unmount $m"; done
  restore_sysctls
  remove_cgroups
  if [[ -f $STATE/created-lib-modules ]]; then
    rmdir /lib/modules 2>/dev/null || true
    rm -f "$STATE/created-lib-modules"
  fi
  rm -rf "$RUN_DIR" "$KUBECONFIG"
  [[ ${KIND_PURGE:-} == 1 ]] && rm -rf "$STATE"
  log "down"
}

# The node's systemd mounts v1 hierarchies the host has not mounted (hugetlb, perf_event,
# net_cls,net_prio) at their root; the cgroups kubelet made there outlive the cluster.
remove_cgroups() {
  local c mnt d
  for d in /sys/fs/cgroup/*/"$CGROUP_PARENT"; do
    [[ -d $d ]] || continue
    find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    if [[ -d $d ]]; then log "could not remove cgroup $d"; fi
  done
  for c in hugetlb perf_event net_cls,net_prio; do
    grep -qE "^[^ ]+ /sys/fs/cgroup/[^ ]+ cgroup [^ ]*\b${c%%,*}\b" /proc/self/mounts && continue
    grep -qw "^${c%%,*}" /proc/cgroups || continue
    mnt=$(mktemp -d)
    if mount -t cgroup -o "$c" cgroup "$mnt" 2>/dev/null; then
      find "$mnt" -mindepth 1 -depth -type d \( -path "$mnt/kubelet*" -o -path "$mnt/system.slice*" -o -path "$mnt/docker*" -o -path "$mnt/kubepods*" \) \
        -exec rmdir {} \; 2>/dev/null || true
      for d in "$mnt"/*/; do if [[ -d $d ]]; then log "cgroup left in $c: ${d#"$mnt"}"; fi; done
      umount "$mnt"
    fi
    rmdir "$mnt"
  done
}

status() {
  local n
  for n in containerd dockerd; do
    if alive "$STATE/$n.pid"; then echo "$n: running (pid $(cat "$STATE/$n.pid"))"; else echo "$n: stopped"; fi
  done
  if alive "$STATE/dockerd.pid"; then
    echo "clusters: $(kind get clusters 2>/dev/null | tr '\n' ' ')"
    docker ps --format '{{.Names}} {{.Status}}'
    if [[ -f $KUBECONFIG ]]; then kubectl get nodes -o wide 2>/dev/null || true; fi
  fi
}

env_() {
  echo "export DOCKER_HOST=$DOCKER_HOST"
  echo "export KUBECONFIG=$KUBECONFIG"
  echo "export PATH=$BIN:/usr/sbin:/usr/bin:\$PATH"
}

case ${1:-} in
up) up ;;
down) down ;;
status) status ;;
env) env_ ;;
*) echo "usage: hack/kind.sh up|down|status|env" >&2; exit 2 ;;
esac
