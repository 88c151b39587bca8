#!/usr/bin/env bash
# Builds the harness's tools from source through the Go module proxy, pinned by
# hack/versions.env, and caches them under bin/ as <tool>-<version> with a <tool> link (and in
# the machine's cache for other checkouts, hack/cache.sh).
# A tool whose pinned binary is already there is not built again, so a second run does nothing.
#
#   hack/tools.sh [tool ...]      default: every tool
#
# Tools: kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kubeadm kube-proxy
#        etcd kwok kwokctl controller-gen helm kind
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=versions.env
source "$ROOT/hack/versions.env"
# shellcheck source=cache.sh
source "$ROOT/hack/cache.sh"
BIN=${BIN:-$ROOT/bin}
WORK=$ROOT/.local/build
ALL_TOOLS=(kube-apiserver etcd kubectl controller-gen kube-controller-manager kube-scheduler kwok kwokctl helm kind)
# Built only on request (hack/kind.sh needs them for a kind node image).
EXTRA_TOOLS=(kubelet kubeadm kube-proxy)

export CGO_ENABLED=0 GOFLAGS=-buildvcs=false

log() { printf 'hack/tools.sh: %s\n' "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

# installed TOOL VERSION: true when bin/TOOL-VERSION exists, or the machine's cache
# (hack/cache.sh) had it; (re)points bin/TOOL at it and keeps it in the cache.
installed() {
  local tool=$1 version=$2
  if [[ ! -x $BIN/$tool-$version ]] && cache_fetch "bin/$tool-$version" "$BIN/$tool-$version"; then
    log "$tool $version from $KUBE_ECS_CACHE"
  fi
  if [[ -x $BIN/$tool-$version ]]; then
    cache_keep "bin/$tool-$version" "$BIN/$tool-$version"
    ln -sfn "$tool-$version" "$BIN/$tool"
    return 0
  fi
  return 1
}

# go_install TOOL VERSION PACKAGE@VERSION: plain `go install` into bin/TOOL-VERSION.
go_install() {
  local tool=$1 version=$2 pkg=$3
  installed "$tool" "$version" && return 0
  log "building $tool $version from $pkg (first run only)"
  local gobin
  gobin=$(mktemp -d)
  GOBIN=$gobin go install "$pkg" || fail "go install $pkg"
  mv "$gobin/$(basename "${pkg%@*}")" "$BIN/$tool-$version"
  rmdir "$gobin"
  installed "$tool" "$version"
}

# kubernetes_module prepares a small module that depends on k8s.io/kubernetes. Its go.mod
# requires the staging modules at v0.0.0 with replace directives that a dependent module
# ignores, so this module replaces each of them with its published version.
kubernetes_module() {
  local dir=$WORK/kubernetes-$KUBERNETES_VERSION
  if [[ -f $dir/.ready ]] && cmp -s "$dir/.ready" <(kubernetes_tools_go); then echo "$dir"; return 0; fi
  mkdir -p "$dir"
  local gomod
  gomod=$(cd "$dir" && go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  [[ -f $gomod ]] || fail "could not download k8s.io/kubernetes@$KUBERNETES_VERSION"
  {
    echo "module kube-ecs.local/kubernetes-build"
    echo
    echo "go 1.26"
    echo
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    echo
    # Every staging module is listed at v0.0.0 in kubernetes' own go.mod.
    grep -E '^\s*k8s\.io/[a-z0-9-]+ v0\.0\.0\s*$' "$gomod" | awk '{print $1}' | sort -u |
      while read -r m; do echo "replace $m => $m $KUBERNETES_STAGING_VERSION"; done
  } >"$dir/go.mod"
  kubernetes_tools_go >"$dir/tools.go"
  (cd "$dir" && go mod tidy) >&2 || fail "go mod tidy for the k8s.io/kubernetes $KUBERNETES_VERSION build module"
  cp "$dir/tools.go" "$dir/.ready"
  echo "$dir"
}

kubernetes_tools_go() {
  cat <<'EOF'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
	_ "k8s.io/kubernetes/cmd/kubeadm"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
)
EOF
}

kubernetes_binary() {
  local tool=$1
  installed "$tool" "$KUBERNETES_VERSION" && return 0
  local dir
  dir=$(kubernetes_module)
  log "building $tool $KUBERNETES_VERSION from k8s.io/kubernetes (first run only; several minutes)"
  local v=$KUBERNETES_VERSION major minor
  major=${v#v}; major=${major%%.*}
  minor=${v#v*.}; minor=${minor%%.*}
  local ldflags="" pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  (cd "$dir" && go build -trimpath -ldflags "-s -w$ldflags" -o "$BIN/$tool-$v.tmp" "k8s.io/kubernetes/cmd/$tool") ||
    fail "go build k8s.io/kubernetes/cmd/$tool"
  mv "$BIN/$tool-$v.tmp" "$BIN/$tool-$v"
  installed "$tool" "$v"
}

etcd_binary() {
  installed etcd "$ETCD_VERSION" && return 0
  local dir=$WORK/etcd-$ETCD_VERSION
  mkdir -p "$dir"
  log "building etcd $ETCD_VERSION from go.etcd.io/etcd/server/v3 (first run only)"
  cat >"$dir/go.mod" <<EOF
module kube-ecs.local/etcd-build

go 1.26

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
EOF
  cat >"$dir/main.go" <<'EOF'
// Command etcd is etcd's own main, built from its published module.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
  (cd "$dir" && go mod tidy && go build -trimpath -ldflags "-s -w" -o "$BIN/etcd-$ETCD_VERSION.tmp" .) ||
    fail "build etcd $ETCD_VERSION"
  mv "$BIN/etcd-$ETCD_VERSION.tmp" "$BIN/etcd-$ETCD_VERSION"
  installed etcd "$ETCD_VERSION"
}

build() {
  case $1 in
  kube-apiserver | kube-controller-manager | kube-scheduler | kubectl | kubelet | kubeadm | kube-proxy) kubernetes_binary "$1" ;;
  etcd) etcd_binary ;;
  kwok) go_install kwok "$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" ;;
  kwokctl) go_install kwokctl "$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwokctl@$KWOK_VERSION" ;;
  controller-gen) go_install controller-gen "$CONTROLLER_TOOLS_VERSION" "sigs.k8s.io/controller-tools/cmd/controller-gen@$CONTROLLER_TOOLS_VERSION" ;;
  helm) go_install helm "$HELM_VERSION" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" ;;
  kind) go_install kind "$KIND_VERSION" "sigs.k8s.io/kind@$KIND_VERSION" ;;
  *) fail "unknown tool '$1' (known: ${ALL_TOOLS[*]} ${EXTRA_TOOLS[*]})" ;;
  esac
}

command -v go >/dev/null || fail "go is not on PATH; install Go 1.26 first"
mkdir -p "$BIN" "$WORK"
tools=("$@")
[[ ${#tools[@]} -gt 0 ]] || tools=("${ALL_TOOLS[@]}")
for t in "${tools[@]}"; do build "$t"; done
