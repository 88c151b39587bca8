package activator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	"github.com/go-logr/logr"

	"github.com/kube-ecs/kube-ecs/internal/apprunner"
)

// retryAfter is the Retry-After of the 503s: the queue and pause are short-lived states.
const retryAfter = "1"

// Handler serves the service hosts of Router: it proxies each request to an instance.
type Handler struct {
	Router *Router
	// Domain of the service hosts, for the messages of unknown hosts.
	Domain string
	Log    logr.Logger
	// ServePrivate: this handler serves private services (isPubliclyAccessible: false) too.
	// Only the internal listeners, which no Service exposes outside the cluster, do; the
	// others answer 404 for private services, as for hosts with no service.
	ServePrivate bool

	proxy *httputil.ReverseProxy
}

// NewHandler is the front door of router's services.
func NewHandler(router *Router, domain string, log logr.Logger) *Handler {
	h := &Handler{Router: router, Domain: domain, Log: log}
	h.proxy = &httputil.ReverseProxy{
		Rewrite:      rewrite,
		Transport:    newTransport(),
		ErrorHandler: h.proxyError,
		// Streams (gRPC, server-sent events) are flushed as they come by ReverseProxy itself
		// (unknown length, text/event-stream); others every 100ms at most.
		FlushInterval: 100 * time.Millisecond,
	}
	return h
}

// attemptKey carries a request's *attempt in its context, from ServeHTTP to the transport.
type attemptKey struct{}

// attempt is the instance a request is proxied to, which the transport may change once.
type attempt struct {
	svc   *service
	tried []*backend
}

func (a *attempt) current() *backend { return a.tried[len(a.tried)-1] }

// release gives back the instance's count: once per instance taken.
func (a *attempt) release() {
	for _, b := range a.tried {
		b.inFlight.Add(-1)
	}
}

// Internal is a handler of the same router and proxy that serves private services too.
func (h *Handler) Internal() *Handler {
	c := *h
	c.ServePrivate = true
	return &c
}

// Serves says whether this handler serves host (a routed host, public or served privately).
func (h *Handler) Serves(host string) bool {
	if h.ServePrivate {
		return h.Router.Known(host)
	}
	return h.Router.KnownPublic(host)
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	svc := h.Router.lookup(r.Host)
	if svc == nil || (!h.ServePrivate && svc.isPrivate()) {
		h.notFound(w, r)
		return
	}
	svc.requests.Add(1)
	if svc.isPaused() {
		h.unavailable(w, r, svc, errPaused)
		return
	}
	svc.inFlight.Add(1)
	// Deferred, so the count comes back exactly once: on return, on a client gone away and
	// on panics (ReverseProxy aborts a broken copy with panic(http.ErrAbortHandler)).
	defer svc.inFlight.Add(-1)

	b, err := svc.acquire(r.Context(), h.Router.QueueDepth, h.Router.QueueTimeout, h.Router.Clock)
	if err != nil {
		h.unavailable(w, r, svc, err)
		return
	}
	a := &attempt{svc: svc, tried: []*backend{b}}
	defer a.release()
	h.proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), attemptKey{}, a)))
}

// rewrite sends the request to the attempt's instance, keeping the Host the client asked
// for and telling the instance who asked. X-Forwarded-For is appended to, as App Runner's
// load balancer does; X-Forwarded-Host and -Proto are what the activator received.
func rewrite(pr *httputil.ProxyRequest) {
	a := pr.In.Context().Value(attemptKey{}).(*attempt)
	pr.SetURL(&url.URL{Scheme: "http", Host: a.current().addr})
	pr.Out.Host = pr.In.Host
	if xff := pr.In.Header["X-Forwarded-For"]; len(xff) > 0 {
		pr.Out.Header["X-Forwarded-For"] = xff
	}
	pr.SetXForwarded()
}

// transport sends requests to instances over HTTP/1.1 (WebSocket upgrades included), gRPC
// over unencrypted HTTP/2 (its trailers need it), and retries a request once on another
// ready instance when the first could not be dialled (its pod went away between the
// EndpointSlice update and the dial) and the request can be sent again.
type transport struct {
	http1, h2c http.RoundTripper
}

func newTransport() *transport {
	dialer := &net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}
	base := func(p func(*http.Protocols)) *http.Transport {
		var protocols http.Protocols
		p(&protocols)
		return &http.Transport{
			DialContext:           dialer.DialContext,
			Protocols:             &protocols,
			MaxIdleConns:          1000,
			MaxIdleConnsPerHost:   100,
			IdleConnTimeout:       90 * time.Second,
			ExpectContinueTimeout: time.Second,
		}
	}
	return &transport{
		http1: base(func(p *http.Protocols) { p.SetHTTP1(true) }),
		h2c:   base(func(p *http.Protocols) { p.SetUnencryptedHTTP2(true) }),
	}
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	rt := t.http1
	if isGRPC(req) {
		rt = t.h2c
	}
	resp, err := rt.RoundTrip(req)
	if err == nil || !isDialError(err) || !replayable(req) {
		return resp, err
	}
	a, _ := req.Context().Value(attemptKey{}).(*attempt)
	if a == nil || len(a.tried) > 1 {
		return resp, err
	}
	b := a.svc.pickOther(a.tried)
	if b == nil {
		return resp, err
	}
	a.tried = append(a.tried, b)
	retry := req.Clone(req.Context())
	retry.URL.Host = b.addr
	if req.GetBody != nil {
		if retry.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	return rt.RoundTrip(retry)
}

// isGRPC: gRPC comes over HTTP/2 with its content type, and needs HTTP/2 to the instance.
func isGRPC(req *http.Request) bool {
	return req.ProtoMajor == 2 && strings.HasPrefix(req.Header.Get("Content-Type"), "application/grpc")
}

// isDialError: nothing of the request was sent.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// replayable: a request with no body, or one it can read again.
func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

func (s *service) isPrivate() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.private
}

func (s *service) isPaused() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paused
}

// proxyError answers 502 when no instance answered.
func (h *Handler) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	a := r.Context().Value(attemptKey{}).(*attempt)
	if r.Context().Err() != nil {
		// The client went away; nobody reads the answer.
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	h.Log.Info("Proxying failed", "service", a.svc.key, "instance", a.current().addr, "error", err.Error())
	writeJSON(w, http.StatusBadGateway, fmt.Sprintf("service %s in namespace %s: instance %s did not answer", a.svc.key.Name, a.svc.key.Namespace, a.current().addr))
}

// unavailable answers a request that got no instance.
func (h *Handler) unavailable(w http.ResponseWriter, r *http.Request, svc *service, err error) {
	name, ns := svc.key.Name, svc.key.Namespace
	switch {
	case errors.Is(err, errPaused):
		w.Header().Set("Retry-After", retryAfter)
		writeJSON(w, http.StatusServiceUnavailable, fmt.Sprintf("service %s is paused", name))
	case errors.Is(err, errQueueFull):
		w.Header().Set("Retry-After", retryAfter)
		writeJSON(w, http.StatusServiceUnavailable, fmt.Sprintf("service %s in namespace %s has %d requests waiting for an instance to start: try again", name, ns, h.Router.QueueDepth))
	case errors.Is(err, errQueueTimeout):
		w.Header().Set("Retry-After", retryAfter)
		writeJSON(w, http.StatusServiceUnavailable, fmt.Sprintf("no instance of service %s in namespace %s became ready within %s", name, ns, h.Router.QueueTimeout))
	case errors.Is(err, errGone):
		h.notFound(w, r)
	default:
		// The client went away while waiting: nobody reads the answer.
	}
}

// notFound answers a host with no route in App Runner's manner, naming what was asked for.
func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	msg := fmt.Sprintf("host %q is not a service host: use <service>.<namespace>.%s", r.Host, h.Domain)
	if name, ns, ok := apprunner.ParseHost(normalizeHost(r.Host), h.Domain); ok {
		msg = fmt.Sprintf("no App Runner service %q in namespace %q", name, ns)
	}
	writeJSON(w, http.StatusNotFound, msg)
}

// writeJSON writes {"message": msg}.
func writeJSON(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}
