package main

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestBuild(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "manager")
	if err := os.WriteFile(bin, []byte("#!not-really-elf"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "images", "manager.tar")
	o := options{binary: bin, path: "/kube-ecs", image: "kube-ecs-manager:0.1.0", out: out, arch: "arm64", version: "0.1.0"}
	if err := build(o); err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag("kube-ecs-manager:0.1.0")
	img, err := tarball.ImageFromPath(out, &tag)
	if err != nil {
		t.Fatalf("the tarball does not hold %s: %v", tag, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Config.User != "65532:65532" || len(cf.Config.Entrypoint) != 1 || cf.Config.Entrypoint[0] != "/kube-ecs" ||
		cf.OS != "linux" || cf.Architecture != "arm64" || cf.Config.Labels["org.opencontainers.image.version"] != "0.1.0" {
		t.Fatalf("config: user %q entrypoint %v os %s arch %s labels %v", cf.Config.User, cf.Config.Entrypoint, cf.OS, cf.Architecture, cf.Config.Labels)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers: %d, %v; want exactly one", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var files []string
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, h.Name)
		if h.Name == "kube-ecs" {
			if h.Mode != 0o755 || h.Uid != 0 {
				t.Errorf("kube-ecs mode %o uid %d", h.Mode, h.Uid)
			}
			data, _ := io.ReadAll(tr)
			if string(data) != "#!not-really-elf" {
				t.Errorf("binary content %q", data)
			}
		}
	}
	if len(files) != 1 || files[0] != "kube-ecs" {
		t.Fatalf("layer holds %v, want only kube-ecs: nothing but the binary", files)
	}

	// The same binary gives the same image.
	out2 := filepath.Join(dir, "again.tar")
	o.out = out2
	if err := build(o); err != nil {
		t.Fatal(err)
	}
	img2, _ := tarball.ImageFromPath(out2, &tag)
	d1, _ := img.Digest()
	d2, _ := img2.Digest()
	if d1 != d2 {
		t.Errorf("digests differ for the same binary: %s, %s", d1, d2)
	}
}

func TestValidate(t *testing.T) {
	base := options{binary: "b", path: "/kube-ecs", image: "x:1", out: "o", arch: "amd64"}
	bad := []func(*options){
		func(o *options) { o.binary = "" },
		func(o *options) { o.image = "" },
		func(o *options) { o.out = "" },
		func(o *options) { o.path = "kube-ecs" },
		func(o *options) { o.arch = "s390x" },
	}
	if err := base.validate(); err != nil {
		t.Fatal(err)
	}
	for i, mutate := range bad {
		o := base
		mutate(&o)
		if o.validate() == nil {
			t.Errorf("case %d: %+v accepted", i, o)
		}
	}
}
