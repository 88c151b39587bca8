// Command imagebuild writes a `docker save` style image tarball (readable by `docker load`,
// `kind load image-archive` and `ctr images import`) from local files only: no engine, no
// registry. hack/kind.sh uses it for the control plane images a kind node needs offline
// (kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy, etcd, pause, coredns).
//
//	go run ./hack/kind/imagebuild --out etcd.tar --tag registry.k8s.io/etcd:3.7.0-0 \
//	  --file bin/etcd:/usr/local/bin/etcd --entrypoint /usr/local/bin/etcd
//
// --layer adds an existing tar (for example a root filesystem) as the first layer; every
// --file goes into one more layer on top of it.
package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	var tags, files, layers, env list
	var out, entrypoint, cmd, user string
	flag.Var(&tags, "tag", "Image reference to tag the tarball with (repeatable).")
	flag.Var(&files, "file", "SRC:DST, a local file copied into the image at DST, mode 0755 (repeatable).")
	flag.Var(&layers, "layer", "An existing tar added as a layer, in order, below the --file layer (repeatable).")
	flag.Var(&env, "env", "KEY=VALUE in the image config (repeatable; PATH has a default).")
	flag.StringVar(&out, "out", "", "Tarball to write.")
	flag.StringVar(&entrypoint, "entrypoint", "", "Entrypoint, words separated by spaces.")
	flag.StringVar(&cmd, "cmd", "", "Cmd, words separated by spaces.")
	flag.StringVar(&user, "user", "", "User (empty: root).")
	flag.Parse()
	if err := run(out, tags, files, layers, env, entrypoint, cmd, user); err != nil {
		fmt.Fprintf(os.Stderr, "imagebuild: %v\n", err)
		os.Exit(1)
	}
}

func run(out string, tags, files, layers, env list, entrypoint, cmd, user string) error {
	if out == "" || len(tags) == 0 {
		return errors.New("--out and at least one --tag are required")
	}
	img := empty.Image
	for _, l := range layers {
		layer, err := tarball.LayerFromFile(l)
		if err != nil {
			return fmt.Errorf("layer %s: %w", l, err)
		}
		if img, err = mutate.AppendLayers(img, layer); err != nil {
			return err
		}
	}
	if len(files) > 0 {
		data, err := filesTar(files)
		if err != nil {
			return err
		}
		layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(data)), nil
		})
		if err != nil {
			return err
		}
		if img, err = mutate.AppendLayers(img, layer); err != nil {
			return err
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Created = v1.Time{Time: time.Unix(0, 0).UTC()}
	cf.Config.Env = append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, env...)
	if entrypoint != "" {
		cf.Config.Entrypoint = strings.Fields(entrypoint)
	}
	if cmd != "" {
		cf.Config.Cmd = strings.Fields(cmd)
	}
	cf.Config.User = user
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return err
	}
	refs := map[name.Reference]v1.Image{}
	for _, t := range tags {
		ref, err := name.ParseReference(t, name.WeakValidation)
		if err != nil {
			return fmt.Errorf("--tag %q: %w", t, err)
		}
		refs[ref] = img
	}
	tmp := out + ".tmp"
	if err := tarball.MultiRefWriteToFile(tmp, refs); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	return os.Rename(tmp, out)
}

// filesTar is one layer holding every SRC:DST file (and the folders above it), owned by root,
// mode 0755, with a fixed timestamp so the same inputs give the same digest.
func filesTar(files []string) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0).UTC()
	dirs := map[string]bool{}
	for _, f := range files {
		src, dst, ok := strings.Cut(f, ":")
		if !ok || !strings.HasPrefix(dst, "/") {
			return nil, fmt.Errorf("--file %q: want SRC:/absolute/DST", f)
		}
		data, err := os.ReadFile(src)
		if err != nil {
			return nil, err
		}
		rel := strings.TrimPrefix(dst, "/")
		var parents []string
		for d := path.Dir(rel); d != "." && d != "/"; d = path.Dir(d) {
			parents = append([]string{d}, parents...)
		}
		for _, d := range parents {
			if dirs[d] {
				continue
			}
			dirs[d] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: epoch}); err != nil {
				return nil, err
			}
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: rel, Mode: 0o755, Size: int64(len(data)), ModTime: epoch}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
