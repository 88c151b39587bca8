package activator

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/clock"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/kube-ecs/kube-ecs/internal/apprunner"
)

// serve runs srv on a loopback port until the test ends and returns its address.
func serve(t *testing.T, srv *http.Server, useTLS bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		if useTLS {
			_ = srv.ServeTLS(ln, "", "")
		} else {
			_ = srv.Serve(ln)
		}
	}()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// frontDoor serves a router's handler on loopback over plain HTTP (and h2c).
func frontDoor(t *testing.T, depth int64, timeout time.Duration, clk clock.Clock, table Table) (*Router, string) {
	t.Helper()
	r := NewRouter(depth, timeout, clk)
	r.SetTable(table)
	return r, serve(t, NewHTTPServer("", NewHandler(r, testDomain, logr.Discard())), false)
}

func backendAddr(ts *httptest.Server) string { return ts.Listener.Addr().String() }

// get sends a request for host to the front door at addr.
func get(t *testing.T, ctx context.Context, method, addr, host string, body io.Reader) (int, http.Header, string, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, "http://"+addr+"/path?q=1", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	req.Header.Set("X-Forwarded-For", "192.0.2.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b), err
}

func message(t *testing.T, body string) string {
	t.Helper()
	var m struct{ Message string }
	if err := json.Unmarshal([]byte(body), &m); err != nil || m.Message == "" {
		t.Fatalf("body %q is not {\"message\": ...}: %v", body, err)
	}
	return m.Message
}

func TestProxy(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s host=%s xff=%s proto=%s xhost=%s", r.Method, r.URL.RequestURI(), r.Host,
			r.Header.Get("X-Forwarded-For"), r.Header.Get("X-Forwarded-Proto"), r.Header.Get("X-Forwarded-Host"))
	}))
	defer backend.Close()
	r, addr := frontDoor(t, 10, time.Minute, clock.RealClock{}, Table{webHost: {Service: webKey, Backends: []string{backendAddr(backend)}}})
	code, _, body, err := get(t, context.Background(), http.MethodGet, addr, webHost+":80", nil)
	if err != nil || code != http.StatusOK {
		t.Fatalf("got %d %s %v", code, body, err)
	}
	want := "GET /path?q=1 host=" + webHost + ":80 xff=192.0.2.1, 127.0.0.1 proto=http xhost=" + webHost + ":80"
	if body != want {
		t.Errorf("the instance saw %q, want %q", body, want)
	}
	wantStats := apprunner.Stats{Services: []apprunner.ServiceStats{{Namespace: "team-a", Name: "web", Requests: 1}}}
	if diff := cmp.Diff(wantStats, r.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestNotFound(t *testing.T) {
	_, addr := frontDoor(t, 10, time.Minute, clock.RealClock{}, Table{})
	for host, want := range map[string]string{
		"hello.team-a.apps.example.com": `no App Runner service "hello" in namespace "team-a"`,
		"example.org":                   "is not a service host",
	} {
		code, _, body, err := get(t, context.Background(), http.MethodGet, addr, host, nil)
		if err != nil || code != http.StatusNotFound || !strings.Contains(message(t, body), want) {
			t.Errorf("%s: got %d %s %v, want 404 containing %s", host, code, body, err, want)
		}
	}
}

func TestPaused(t *testing.T) {
	r, addr := frontDoor(t, 10, time.Minute, clock.RealClock{}, Table{webHost: {Service: webKey, Paused: true, Backends: []string{"127.0.0.1:1"}}})
	code, h, body, err := get(t, context.Background(), http.MethodGet, addr, webHost, nil)
	if err != nil || code != http.StatusServiceUnavailable || h.Get("Retry-After") != "1" || message(t, body) != "service web is paused" {
		t.Errorf("got %d %v %s %v", code, h, body, err)
	}
	if s := r.Stats().Services[0]; s.InFlight != 0 || s.Queued != 0 || s.Requests != 1 {
		t.Errorf("a paused service's request counted as %+v", s)
	}
}

// TestQueueOverHTTP: a request waits while the service has no instance; past the depth
// requests get 503 at once, past the timeout 503; an instance turning ready releases them.
func TestQueueOverHTTP(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("hello")) }))
	defer backend.Close()
	clk := clocktesting.NewFakeClock(time.Now())
	r, addr := frontDoor(t, 1, 30*time.Second, clk, Table{webHost: {Service: webKey}})
	svc := r.lookup(webHost)
	type answer struct {
		code int
		h    http.Header
		body string
	}
	send := func() chan answer {
		out := make(chan answer, 1)
		go func() {
			code, h, body, err := get(t, context.Background(), http.MethodGet, addr, webHost, nil)
			if err != nil {
				t.Error(err)
			}
			out <- answer{code, h, body}
		}()
		return out
	}

	first := send()
	eventually(t, "the first request queued", func() bool { return svc.queued.Load() == 1 })
	if s := r.Stats().Services[0]; s.InFlight != 1 || s.Queued != 1 {
		t.Errorf("a queued request counts as %+v, want inFlight 1 queued 1 (how a service scales from zero)", s)
	}
	over := <-send()
	if over.code != http.StatusServiceUnavailable || over.h.Get("Retry-After") == "" || !strings.Contains(message(t, over.body), "service web in namespace team-a has 1 requests waiting") {
		t.Errorf("over the depth: %+v", over)
	}
	eventually(t, "the queue's timer", clk.HasWaiters)
	clk.Step(30 * time.Second)
	timedOut := <-first
	if timedOut.code != http.StatusServiceUnavailable || timedOut.h.Get("Retry-After") == "" ||
		message(t, timedOut.body) != "no instance of service web in namespace team-a became ready within 30s" {
		t.Errorf("timed out: %+v", timedOut)
	}

	third := send()
	eventually(t, "the third request queued", func() bool { return svc.queued.Load() == 1 })
	r.SetTable(Table{webHost: {Service: webKey, Backends: []string{backendAddr(backend)}}})
	if a := <-third; a.code != http.StatusOK || a.body != "hello" {
		t.Errorf("released: %+v", a)
	}
	want := apprunner.Stats{Services: []apprunner.ServiceStats{{Namespace: "team-a", Name: "web", Requests: 3}}}
	eventually(t, "the counts back to 0", func() bool { return cmp.Equal(want, r.Stats()) })
}

// TestStatsUnderConcurrency: requests in flight are counted while the instance holds them,
// and each is given back exactly once: answered, cancelled by the client, or aborted by a
// broken instance (ReverseProxy panics with http.ErrAbortHandler). Run with -race.
func TestStatsUnderConcurrency(t *testing.T) {
	release := make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("abort") != "" {
			// Half an answer, then the connection drops: the proxy aborts the copy.
			w.Header().Set("Content-Length", "100")
			_, _ = w.Write([]byte("half"))
			w.(http.Flusher).Flush()
			<-release
			conn, _, _ := w.(http.Hijacker).Hijack()
			_ = conn.Close()
			return
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
		_, _ = w.Write([]byte("ok"))
	}))
	defer backend.Close()
	second := httptest.NewServer(backend.Config.Handler)
	defer second.Close()
	r, addr := frontDoor(t, 100, time.Minute, clock.RealClock{}, Table{webHost: {Service: webKey, Backends: []string{backendAddr(backend), backendAddr(second)}}})
	health := serve(t, NewHealthServer("", r, func() bool { return true }), false)

	const answered, cancelled, aborted = 20, 5, 3
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	for i := range answered + cancelled + aborted {
		wg.Go(func() {
			c, path := context.Background(), "/"
			switch {
			case i >= answered+cancelled:
				path = "/?abort=1"
			case i >= answered:
				c = ctx
			}
			req, _ := http.NewRequestWithContext(c, http.MethodGet, "http://"+addr+path, nil)
			req.Host = webHost
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
			}
		})
	}
	stats := func() apprunner.ServiceStats {
		resp, err := http.Get("http://" + health + apprunner.StatsPath)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		var s apprunner.Stats
		if err := json.NewDecoder(resp.Body).Decode(&s); err != nil || len(s.Services) != 1 {
			t.Fatalf("stats: %+v %v", s, err)
		}
		return s.Services[0]
	}
	const total = answered + cancelled + aborted
	eventually(t, "every request in flight", func() bool { return stats().InFlight == total })
	svc := r.lookup(webHost)
	if a, b := svc.backends[0].inFlight.Load(), svc.backends[1].inFlight.Load(); a+b != total || a < 10 || b < 10 {
		t.Errorf("least-request spread %d and %d over the two instances", a, b)
	}
	cancel()
	eventually(t, "the cancelled requests given back", func() bool { return stats().InFlight == answered+aborted })
	close(release)
	wg.Wait()
	eventually(t, "every request given back", func() bool {
		s := stats()
		return s.InFlight == 0 && s.Queued == 0 && s.Requests == total
	})
	for _, b := range svc.backends {
		if n := b.inFlight.Load(); n != 0 {
			t.Errorf("instance %s: %d in flight after all answered", b.addr, n)
		}
	}
}

// TestRetryOnDeadInstance: an instance that refuses connections (its pod is gone) costs a
// request without a body one retry on another instance; a request with a body gets 502.
func TestRetryOnDeadInstance(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("alive")) }))
	defer backend.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	_ = ln.Close()

	r, addr := frontDoor(t, 10, time.Minute, clock.RealClock{}, Table{webHost: {Service: webKey, Backends: []string{dead, backendAddr(backend)}}})
	for range 6 { // the picks alternate: half of them try the dead instance first
		if code, _, body, err := get(t, context.Background(), http.MethodGet, addr, webHost, nil); err != nil || code != http.StatusOK || body != "alive" {
			t.Fatalf("GET: %d %s %v", code, body, err)
		}
	}
	r.SetTable(Table{webHost: {Service: webKey, Backends: []string{dead}}})
	code, _, body, err := get(t, context.Background(), http.MethodPost, addr, webHost, strings.NewReader("payload"))
	if err != nil || code != http.StatusBadGateway || !strings.Contains(message(t, body), "instance "+dead+" did not answer") {
		t.Errorf("POST to a dead instance: %d %s %v", code, body, err)
	}
	code, _, _, _ = get(t, context.Background(), http.MethodGet, addr, webHost, nil)
	if code != http.StatusBadGateway {
		t.Errorf("GET with no other instance: %d, want 502", code)
	}
	if s := r.Stats().Services[0]; s.InFlight != 0 || s.Requests != 8 {
		t.Errorf("stats %+v", s)
	}
	for _, b := range r.lookup(webHost).backends {
		if b.inFlight.Load() != 0 {
			t.Errorf("instance %s: %d in flight", b.addr, b.inFlight.Load())
		}
	}
}

// TestWebSocket: an Upgrade handshake passes through and the connection carries bytes both ways.
func TestWebSocket(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			http.Error(w, "want an upgrade", http.StatusBadRequest)
			return
		}
		conn, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer func() { _ = conn.Close() }()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		_ = brw.Flush()
		line, _ := brw.ReadString('\n')
		_, _ = brw.WriteString("echo " + line)
		_ = brw.Flush()
	}))
	defer backend.Close()
	_, addr := frontDoor(t, 10, time.Minute, clock.RealClock{}, Table{webHost: {Service: webKey, Backends: []string{backendAddr(backend)}}})

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET /ws HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", webHost)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") {
		t.Fatalf("handshake: %s %v", resp.Status, resp.Header)
	}
	fmt.Fprint(conn, "ping\n")
	if line, err := br.ReadString('\n'); err != nil || line != "echo ping\n" {
		t.Errorf("through the upgraded connection: %q %v", line, err)
	}
}

// TestGRPCOverH2C: a gRPC-style call (HTTP/2 with prior knowledge, application/grpc) goes to
// the instance over HTTP/2 and its trailers come back.
func TestGRPCOverH2C(t *testing.T) {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true) // HTTP/2 only: an HTTP/1.1 request would fail
	backend := &http.Server{Protocols: &p, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/grpc")
		w.Header().Set("Trailer", "Grpc-Status, Grpc-Message")
		_, _ = fmt.Fprintf(w, "%s over HTTP/%d te=%s", in, r.ProtoMajor, r.Header.Get("Te"))
		w.Header().Set("Grpc-Status", "0")
		w.Header().Set("Grpc-Message", "fine")
	})}
	_, addr := frontDoor(t, 10, time.Minute, clock.RealClock{}, Table{webHost: {Service: webKey, Backends: []string{serve(t, backend, false)}}})

	var cp http.Protocols
	cp.SetUnencryptedHTTP2(true)
	client := &http.Client{Transport: &http.Transport{Protocols: &cp}}
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/pkg.Svc/Method", strings.NewReader("call"))
	req.Host = webHost
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("Te", "trailers")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	if resp.ProtoMajor != 2 || string(body) != "call over HTTP/2 te=trailers" {
		t.Errorf("got %s %q", resp.Proto, body)
	}
	if resp.Trailer.Get("Grpc-Status") != "0" || resp.Trailer.Get("Grpc-Message") != "fine" {
		t.Errorf("trailers %v", resp.Trailer)
	}
}
