#!/usr/bin/env bash
# Builds the offline kind node image (what `kind build node-image` does, which would pull) and
# saves it to bin/kind-node-<k8s version>.tar. Called by hack/kind.sh with dockerd running
# (DOCKER_HOST set) and the binaries built; see hack/kind/README.md.
#
#   hack/kind/build-node-image.sh IMAGE OUT_TAR
set -euo pipefail
IMAGE=$1 OUT=$2
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../versions.env
source "$ROOT/hack/versions.env"
BIN=$ROOT/bin
STATE=$ROOT/.local/kind
BUILD=$STATE/node-build
RUN_DIR=${KIND_RUN_DIR:-/run/kube-ecs-kind}
V=$KUBERNETES_VERSION
ETCD_TAG=3.7.0-0    # kubeadm v1.37's DefaultEtcdVersion
PAUSE_TAG=3.10.2    # kubeadm v1.37's PauseVersion
COREDNS_TAG=$COREDNS_VERSION
DEBIAN_SUITE=bookworm
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
PACKAGES=systemd,dbus,containerd,runc,containernetworking-plugins,iptables,nftables,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,pigz,conntrack,socat,ebtables,ca-certificates,jq,procps,curl,bash,e2fsprogs

log() { printf 'hack/kind/build-node-image.sh: %s\n' "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

KIND_MOD=$(cd "$ROOT" && go mod download -json "sigs.k8s.io/kind@$KIND_VERSION" | jq -r .Dir)
KIND_FILES=$KIND_MOD/images/base/files
[[ -d $KIND_FILES ]] || fail "kind's images/base/files not found in the module cache ($KIND_MOD)"

mkdir -p "$BUILD"
# 1. Debian root filesystem (kept under .local so a failed later step does not redo it).
BASE=$BUILD/rootfs-base
if [[ ! -f $BASE.done ]] || [[ $(cat "$BASE.done") != "$DEBIAN_SUITE $PACKAGES" ]]; then
  log "debootstrap $DEBIAN_SUITE (first run only; a few minutes)"
  rm -rf "$BASE" "$BASE.done"
  debootstrap --variant=minbase --include="$PACKAGES" "$DEBIAN_SUITE" "$BASE" "$DEBIAN_MIRROR" >"$BUILD/debootstrap.log" 2>&1 ||
    fail "debootstrap (see $BUILD/debootstrap.log)"
  rm -rf "$BASE"/var/cache/apt/archives/*.deb "$BASE"/var/lib/apt/lists/*
  echo "$DEBIAN_SUITE $PACKAGES" >"$BASE.done"
fi

# 2. Control plane images, FROM scratch, built with go-containerregistry (hack/kind/imagebuild).
IMGS=$BUILD/images
rm -rf "$IMGS" && mkdir -p "$IMGS"
log "building pause and the control plane images"
(cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$BUILD/pause" ./hack/kind/pause)
(cd "$ROOT" && go build -o "$BUILD/imagebuild" ./hack/kind/imagebuild)
ib() { "$BUILD/imagebuild" "$@"; }
for c in kube-apiserver kube-controller-manager kube-scheduler; do
  ib --out "$IMGS/$c.tar" --tag "registry.k8s.io/$c:$V" --file "$BIN/$c-$V:/usr/local/bin/$c" --entrypoint "/usr/local/bin/$c"
done
ib --out "$IMGS/etcd.tar" --tag "registry.k8s.io/etcd:$ETCD_TAG" --file "$BIN/etcd-$ETCD_VERSION:/usr/local/bin/etcd" --entrypoint /usr/local/bin/etcd
ib --out "$IMGS/pause.tar" --tag "registry.k8s.io/pause:$PAUSE_TAG" --tag registry.k8s.io/pause:3.10 --file "$BUILD/pause:/pause" --entrypoint /pause
ib --out "$IMGS/coredns.tar" --tag "registry.k8s.io/coredns/coredns:$COREDNS_TAG" --file "$BIN/coredns-$COREDNS_VERSION:/coredns" --entrypoint /coredns
# kube-proxy runs iptables, conntrack...: its image is the Debian root filesystem + the binary.
tar --numeric-owner -C "$BASE" -cf "$BUILD/rootfs-base.tar" .
ib --out "$IMGS/kube-proxy.tar" --tag "registry.k8s.io/kube-proxy:$V" --layer "$BUILD/rootfs-base.tar" \
  --file "$BIN/kube-proxy-$V:/usr/local/bin/kube-proxy" --entrypoint /usr/local/bin/kube-proxy
rm -f "$BUILD/rootfs-base.tar"

# 3. The node root filesystem: Debian + the steps of kind's images/base/Dockerfile.
R=$BUILD/rootfs
log "assembling the node root filesystem"
rm -rf "$R" && cp -a "$BASE" "$R"
install -m 0755 "$KIND_FILES"/usr/local/bin/* "$R/usr/local/bin/"
mkdir -p "$R/kind" "$R/LICENSES" "$R/etc/containerd" "$R/etc/default" "$R/etc/sysctl.d" \
  "$R/etc/systemd/system/kubelet.service.d" "$R/etc/kubernetes/manifests" "$R/etc/cni/net.d"
cp -r "$KIND_FILES/kind/." "$R/kind/"
find "$R/kind" -type f -exec chmod 0644 {} + && chmod 0755 "$R/kind" "$R/kind/bin" "$R"/kind/bin/*
install -m 0644 "$KIND_FILES"/LICENSES/* "$R/LICENSES/"
install -m 0644 "$KIND_FILES/etc/crictl.yaml" "$R/etc/"
install -m 0644 "$KIND_FILES"/etc/containerd/* "$R/etc/containerd/"
install -m 0644 "$KIND_FILES"/etc/default/* "$R/etc/default/"
install -m 0644 "$KIND_FILES"/etc/sysctl.d/* "$R/etc/sysctl.d/"
install -m 0644 "$KIND_FILES"/etc/systemd/system/*.service "$KIND_FILES"/etc/systemd/system/*.slice "$R/etc/systemd/system/"
install -m 0644 "$KIND_FILES"/etc/systemd/system/kubelet.service.d/* "$R/etc/systemd/system/kubelet.service.d/"
install -m 0644 "$ROOT/hack/kind/node/12-kube-ecs-cgroups.conf" "$R/etc/systemd/system/kubelet.service.d/"
install -m 0644 "$ROOT/hack/kind/node/10-bridge.conflist" "$R/etc/cni/net.d/"
find "$R/lib/systemd/system/sysinit.target.wants/" -name systemd-tmpfiles-setup.service -delete
rm -f "$R"/lib/systemd/system/multi-user.target.wants/* "$R"/etc/systemd/system/*.wants/* \
  "$R"/lib/systemd/system/local-fs.target.wants/* "$R"/lib/systemd/system/sockets.target.wants/*udev* \
  "$R"/lib/systemd/system/sockets.target.wants/*initctl* "$R"/lib/systemd/system/basic.target.wants/*
echo "ReadKMsg=no" >>"$R/etc/systemd/journald.conf"
ln -sfn /usr/lib/systemd/systemd "$R/sbin/init"
# Debian puts containerd and the CNI plugins elsewhere than kind expects.
ln -sfn /usr/bin/containerd "$R/usr/local/bin/containerd"
mkdir -p "$R/opt/cni" && rm -rf "$R/opt/cni/bin" && ln -sfn /usr/lib/cni "$R/opt/cni/bin"
chroot "$R" systemctl enable kubelet.service containerd.service undo-mount-hacks.service >/dev/null 2>&1 ||
  fail "systemctl enable in the node root filesystem"
chroot "$R" systemctl mask systemd-binfmt.service >/dev/null 2>&1 || true
# containerd: no oom_score_adj changes (the sandbox forbids them), the pinned pause image.
sed -i -e 's/restrict_oom_score_adj = false/restrict_oom_score_adj = true/' \
  -e "s#sandbox_image = .*#sandbox_image = \"registry.k8s.io/pause:$PAUSE_TAG\"#" "$R/etc/containerd/config.toml"
grep -q 'restrict_oom_score_adj = true' "$R/etc/containerd/config.toml" || fail "containerd config patch"
ctr oci spec | jq '.hooks.createContainer[.hooks.createContainer|length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' |
  jq 'del(.process.rlimits)' >"$R/etc/containerd/cri-base.json"
for b in kubelet kubeadm kubectl; do install -m 0755 "$BIN/$b-$V" "$R/usr/bin/$b"; done
printf '%s' "$V" >"$R/kind/version"

# 4. Import the images into the node's containerd content store with a throw-away containerd
# (same Debian containerd as in the node) on the root filesystem's /var/lib/containerd.
# --no-unpack like `kind build node-image`: the CRI plugin unpacks on first use.
log "importing the images into the node's containerd"
IMP=$RUN_DIR/import
mkdir -p "$IMP" "$R/var/lib/containerd"
cat >"$IMP/config.toml" <<CFG
version = 2
root = "$R/var/lib/containerd"
state = "$IMP/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$IMP/containerd.sock"
CFG
containerd --config "$IMP/config.toml" >"$BUILD/import-containerd.log" 2>&1 &
IMP_PID=$!
trap 'kill $IMP_PID 2>/dev/null; wait $IMP_PID 2>/dev/null || true' EXIT
for _ in $(seq 50); do [[ -S $IMP/containerd.sock ]] && break; sleep 0.2; done
for t in "$IMGS"/*.tar; do
  ctr -a "$IMP/containerd.sock" -n k8s.io images import --all-platforms --no-unpack --digests "$t" >/dev/null ||
    fail "ctr import $t"
done
ctr -a "$IMP/containerd.sock" -n k8s.io images ls -q | grep -v '@sha256' >&2
kill "$IMP_PID"; wait "$IMP_PID" 2>/dev/null || true
trap - EXIT
rm -rf "$IMP"

# 5. The image: docker import of the root filesystem with the metadata of kind's base image.
log "docker import $IMAGE and docker save $OUT"
tar --numeric-owner --xattrs -C "$R" -c . | docker import \
  -c 'ENV container=docker' -c 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' - "$IMAGE-rootfs" >/dev/null
# docker import cannot set STOPSIGNAL (systemd exits on SIGRTMIN+3, re-executes on SIGTERM);
# a one-line build FROM the local image can, and pulls nothing.
printf 'FROM %s\nSTOPSIGNAL SIGRTMIN+3\n' "$IMAGE-rootfs" | DOCKER_BUILDKIT=0 docker build -q -t "$IMAGE" - >/dev/null
docker rmi "$IMAGE-rootfs" >/dev/null
docker save -o "$OUT.tmp" "$IMAGE"
mv "$OUT.tmp" "$OUT"
rm -rf "$R" "$IMGS"
log "node image $IMAGE saved to $OUT"
