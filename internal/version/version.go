// Package version holds the version of the kube-ecs binaries, set at build time.
package version

// Version is set with -ldflags "-X github.com/kube-ecs/kube-ecs/internal/version.Version=...".
var Version = "dev"
