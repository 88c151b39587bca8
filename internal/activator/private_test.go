package activator

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
)

func TestRouteForPrivate(t *testing.T) {
	tests := []struct {
		name    string
		network *apprunnerv1alpha1.NetworkConfiguration
		want    bool
	}{
		{"no network configuration: public", nil, false},
		{"no ingress configuration: public", &apprunnerv1alpha1.NetworkConfiguration{}, false},
		{"isPubliclyAccessible unset: public", &apprunnerv1alpha1.NetworkConfiguration{IngressConfiguration: &apprunnerv1alpha1.IngressConfiguration{}}, false},
		{"isPubliclyAccessible true", &apprunnerv1alpha1.NetworkConfiguration{
			IngressConfiguration: &apprunnerv1alpha1.IngressConfiguration{IsPubliclyAccessible: ptr.To(true)}}, false},
		{"isPubliclyAccessible false: private", &apprunnerv1alpha1.NetworkConfiguration{
			IngressConfiguration: &apprunnerv1alpha1.IngressConfiguration{IsPubliclyAccessible: ptr.To(false)}}, true},
	}
	for _, tt := range tests {
		svc := makeService("team-a", "web", false)
		svc.Spec.NetworkConfiguration = tt.network
		r, ok := RouteFor(&svc, nil)
		if !ok || r.Private != tt.want {
			t.Errorf("%s: route %+v %v, want Private %v", tt.name, r, ok, tt.want)
		}
	}
}

// TestPrivateService: a private service is served on the internal listeners only; the
// public ones answer 404 (over TLS: the handshake fails) as for a service that does not
// exist, and the route turning public or private takes effect at once.
func TestPrivateService(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "hello from ", r.Host)
	}))
	defer backend.Close()
	secret, pool := newTestCA(t, true)
	ca, err := ParseCASecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	privKey := types.NamespacedName{Namespace: "team-a", Name: "private"}
	privHost := "private.team-a." + testDomain
	table := func(private bool) Table {
		return Table{
			webHost:  {Service: webKey, Backends: []string{backendAddr(backend)}},
			privHost: {Service: privKey, Private: private, Backends: []string{backendAddr(backend)}},
		}
	}
	r := NewRouter(10, time.Minute, clock.RealClock{})
	r.SetTable(table(true))
	public := NewHandler(r, testDomain, logr.Discard())
	internal := public.Internal()
	if public.ServePrivate || !internal.ServePrivate {
		t.Fatal("Internal changed the public handler")
	}
	publicAddr := serve(t, NewHTTPServer("", public), false)
	internalAddr := serve(t, NewHTTPServer("", internal), false)

	expect := func(addr, host string, wantCode int, want string) {
		t.Helper()
		code, _, body, err := get(t, context.Background(), http.MethodGet, addr, host, nil)
		if err != nil || code != wantCode || !strings.Contains(body, want) {
			t.Errorf("%s via %s: got %d %q %v, want %d containing %q", host, addr, code, body, err, wantCode, want)
		}
	}
	expect(publicAddr, webHost, http.StatusOK, "hello from "+webHost)
	expect(internalAddr, webHost, http.StatusOK, "hello from "+webHost)
	expect(internalAddr, privHost, http.StatusOK, "hello from "+privHost)
	expect(publicAddr, privHost, http.StatusNotFound, `no App Runner service \"private\" in namespace \"team-a\"`)
	// Private requests on the public listener are not counted: the service does not exist there.
	for _, s := range r.Stats().Services {
		if s.Name == "private" && s.Requests != 1 {
			t.Errorf("private service counted %d requests, want the internal one only", s.Requests)
		}
	}

	r.SetTable(table(false))
	expect(publicAddr, privHost, http.StatusOK, "hello from "+privHost)
	r.SetTable(table(true))
	expect(publicAddr, privHost, http.StatusNotFound, "no App Runner service")

	// TLS: the public listener has no certificate for a private host.
	certs := &Certificates{Known: r.Known, Clock: clock.RealClock{}}
	certs.SetCA(ca)
	publicTLS := serve(t, NewHTTPSServer("", public, certs), true)
	internalTLS := serve(t, NewHTTPSServer("", internal, certs), true)
	dial := func(addr, host string) error {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{RootCAs: pool, ServerName: host})
		if err == nil {
			_ = conn.Close()
		}
		return err
	}
	if err := dial(publicTLS, privHost); err == nil {
		t.Error("the public HTTPS listener completed a handshake for a private service host")
	}
	for _, c := range []struct{ addr, host string }{{publicTLS, webHost}, {internalTLS, webHost}, {internalTLS, privHost}} {
		if err := dial(c.addr, c.host); err != nil {
			t.Errorf("handshake for %s: %v", c.host, err)
		}
	}
}
