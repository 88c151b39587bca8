package apprunner

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestImageResolver resolves a tag in an in-process registry on loopback over plain HTTP,
// follows it to a new version, and fails for a missing tag.
func TestImageResolver(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	image := host + "/app:latest"
	push := func() string {
		t.Helper()
		img, err := random.Image(64, 1)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := name.ParseReference(image, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(ref, img); err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d.String()
	}
	ir := &ImageResolver{}
	ctx := context.Background()
	for range 2 {
		want := push()
		got, err := ir.Resolve(ctx, image)
		if err != nil || got != want {
			t.Fatalf("Resolve = %q, %v; want %q", got, err, want)
		}
	}
	if _, err := ir.Resolve(ctx, host+"/app:missing"); err == nil {
		t.Error("a missing tag resolved")
	}
}

// TestPlainHTTPOnlyForInsecureHosts: plain HTTP reaches only loopback and listed hosts,
// even where go-containerregistry would fall back to it (private addresses).
func TestPlainHTTPOnlyForInsecureHosts(t *testing.T) {
	var asked []string
	base := roundTripper(func(req *http.Request) (*http.Response, error) {
		asked = append(asked, req.URL.String())
		return nil, context.Canceled
	})
	ir := &ImageResolver{Transport: base, InsecureRegistries: []string{"registry.internal:5000"}}
	_, _ = ir.Resolve(context.Background(), "10.1.2.3:5000/app:1")
	for _, u := range asked {
		if strings.HasPrefix(u, "http://") {
			t.Errorf("plain HTTP to a host neither loopback nor listed: %s", u)
		}
	}
	asked = nil
	_, _ = ir.Resolve(context.Background(), "registry.internal:5000/app:1")
	if !containsPrefix(asked, "http://registry.internal:5000/") {
		t.Errorf("a listed host was not tried over plain HTTP: %q", asked)
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}
