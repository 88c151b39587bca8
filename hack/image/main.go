// Command image builds a container image that holds one static binary and nothing else (the
// equivalent of a Dockerfile's `FROM scratch` + `COPY` + `USER 65532` + `ENTRYPOINT`), and
// writes it as a `docker save` tarball that `kind load image-archive` and `docker load` read.
// It needs no container engine and no registry.
//
//	go run ./hack/image --binary bin/linux/manager --image kube-ecs-manager:0.1.0 --out bin/images/manager.tar
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	var o options
	flag.StringVar(&o.binary, "binary", "", "Static binary to put in the image at /kube-ecs (or --path).")
	flag.StringVar(&o.path, "path", "/kube-ecs", "Path of the binary in the image; it is the entrypoint.")
	flag.StringVar(&o.image, "image", "", "Image reference to tag the tarball with, e.g. kube-ecs-manager:0.1.0.")
	flag.StringVar(&o.out, "out", "", "Tarball to write.")
	flag.StringVar(&o.arch, "arch", "amd64", "CPU architecture of the binary (amd64 or arm64).")
	flag.StringVar(&o.version, "version", "", "Value of the org.opencontainers.image.version label.")
	flag.Parse()
	if err := o.validate(); err != nil {
		fmt.Fprintf(os.Stderr, "image: %v\n", err)
		os.Exit(2)
	}
	if err := build(o); err != nil {
		fmt.Fprintf(os.Stderr, "image: %v\n", err)
		os.Exit(1)
	}
}
