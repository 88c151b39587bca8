# shellcheck shell=bash
# Sourced by hack/tools.sh and hack/kind.sh: the machine's cache of what they build from
# source (the pinned tools, CoreDNS, the kind node image), shared by every checkout, as Go
# shares its build cache. A fresh clone then finds them instead of linking Kubernetes again
# and rebuilding the node image (minutes). Entries are named by version, like bin/; a file
# is never changed in place, so checkouts share it by hard link.
#
# KUBE_ECS_CACHE: the folder (default ${XDG_CACHE_HOME:-$HOME/.cache}/kube-ecs); set it
# empty to build everything in the checkout only.
if [[ -z ${KUBE_ECS_CACHE+set} ]]; then
  if [[ -n ${XDG_CACHE_HOME:-} ]]; then
    KUBE_ECS_CACHE=$XDG_CACHE_HOME/kube-ecs
  elif [[ -n ${HOME:-} ]]; then
    KUBE_ECS_CACHE=$HOME/.cache/kube-ecs
  else
    KUBE_ECS_CACHE= # no home: the checkout's bin/ only
  fi
fi

# cache_fetch NAME DEST: puts the cache's NAME at DEST; false when the cache has no NAME.
cache_fetch() {
  local src=$KUBE_ECS_CACHE/$1 dest=$2
  [[ -n $KUBE_ECS_CACHE && -f $src ]] || return 1
  ln -f "$src" "$dest" 2>/dev/null || { cp "$src" "$dest.tmp.$$" && mv "$dest.tmp.$$" "$dest"; }
}

# cache_keep NAME SRC: keeps SRC in the cache as NAME for other checkouts (once).
cache_keep() {
  local dest=$KUBE_ECS_CACHE/$1 src=$2
  [[ -n $KUBE_ECS_CACHE && ! -f $dest ]] || return 0
  mkdir -p "$(dirname "$dest")" || return 0
  ln -f "$src" "$dest" 2>/dev/null || { cp "$src" "$dest.tmp.$$" && mv "$dest.tmp.$$" "$dest"; } || true
}
