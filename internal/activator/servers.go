package activator

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/kube-ecs/kube-ecs/internal/apprunner"
)

// NewHTTPServer serves h in plain text: HTTP/1.1 and HTTP/2 with prior knowledge (h2c, as
// gRPC clients without TLS speak it).
func NewHTTPServer(addr string, h http.Handler) *http.Server {
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	return &http.Server{Addr: addr, Handler: h, Protocols: &p, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
}

// NewHTTPSServer serves h over TLS with a certificate per service host from certs, HTTP/2
// (ALPN h2) and HTTP/1.1. Serve it with ServeTLS(ln, "", ""). A handshake for a host h does
// not serve (a private service on a public listener) fails, as for a host with no service.
func NewHTTPSServer(addr string, h *Handler, certs CertificateSource) *http.Server {
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetHTTP2(true)
	return &http.Server{
		Addr: addr, Handler: h, Protocols: &p, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			if host := normalizeHost(hello.ServerName); host != "" && !h.Serves(host) {
				return nil, fmt.Errorf("%q is not a service host", host)
			}
			return certs.GetCertificate(hello)
		}},
	}
}

// NewHealthServer serves /healthz (200 once ready says so) and the router's Stats on
// apprunner.StatsPath.
func NewHealthServer(addr string, router *Router, ready func() bool) *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready() {
			http.Error(w, "the route table is not synced yet", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok"))
	})
	mux.HandleFunc("GET "+apprunner.StatsPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(router.Stats())
	})
	return &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
}
