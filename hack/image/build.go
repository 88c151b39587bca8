package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// nonRoot is the user the binaries run as (distroless's "nonroot").
const nonRoot = "65532:65532"

type options struct {
	binary, path, image, out, arch, version string
}

func (o options) validate() error {
	switch {
	case o.binary == "":
		return errors.New("--binary is required")
	case o.image == "":
		return errors.New("--image is required")
	case o.out == "":
		return errors.New("--out is required")
	case !strings.HasPrefix(o.path, "/"):
		return fmt.Errorf("--path %q must be absolute", o.path)
	case o.arch != "amd64" && o.arch != "arm64":
		return fmt.Errorf("--arch %q: use amd64 or arm64", o.arch)
	}
	return nil
}

// build writes the image tarball. Layer timestamps are fixed, so the same binary gives the
// same image digest.
func build(o options) error {
	bin, err := os.ReadFile(o.binary)
	if err != nil {
		return fmt.Errorf("reading the binary: %w", err)
	}
	ref, err := name.ParseReference(o.image, name.WeakValidation)
	if err != nil {
		return fmt.Errorf("invalid --image %q: %w", o.image, err)
	}
	img, err := imageOf(bin, o)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return err
	}
	tmp := o.out + ".tmp"
	if err := tarball.WriteToFile(tmp, ref, img); err != nil {
		return fmt.Errorf("writing %s: %w", o.out, err)
	}
	return os.Rename(tmp, o.out)
}

func imageOf(bin []byte, o options) (v1.Image, error) {
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar(o.path, bin))), nil
	})
	if err != nil {
		return nil, fmt.Errorf("making the layer: %w", err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", o.arch
	cf.Created = v1.Time{Time: time.Unix(0, 0).UTC()}
	cf.Config.Entrypoint = []string{o.path}
	cf.Config.User = nonRoot
	cf.Config.Env = []string{"PATH=/"}
	if o.version != "" {
		cf.Config.Labels = map[string]string{"org.opencontainers.image.version": o.version}
	}
	return mutate.ConfigFile(img, cf)
}

// layerTar is a tar holding the binary at path (and its parent folders), owned by root and
// executable by everyone.
func layerTar(path string, bin []byte) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0).UTC()
	dirs := strings.Split(strings.Trim(filepath.Dir(path), "/"), "/")
	for i := range dirs {
		if dirs[i] == "" {
			continue
		}
		_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: strings.Join(dirs[:i+1], "/") + "/", Mode: 0o755, ModTime: epoch})
	}
	_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(path, "/"), Mode: 0o755, Size: int64(len(bin)), ModTime: epoch})
	_, _ = tw.Write(bin)
	_ = tw.Close()
	return buf.Bytes()
}
