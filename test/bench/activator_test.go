package bench

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"

	"github.com/kube-ecs/kube-ecs/internal/activator"
)

const domain = "apps.bench.local"

// BenchmarkActivatorLatency measures the latency the activator adds to a request: the same
// GET to the same backend (the test workload's "hello" shape: a short body), first directly
// (the baseline), then through the activator's HTTP front door on loopback, one request at a
// time on kept-alive connections. It reports p50 and p99 of both and their ratios.
func BenchmarkActivatorLatency(b *testing.B) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "hello from kube-ecs\n")
	}))
	defer backend.Close()

	router := activator.NewRouter(200, time.Minute, clock.RealClock{})
	host := "web.team-a." + domain
	router.SetTable(activator.Table{host: {
		Service:  types.NamespacedName{Namespace: "team-a", Name: "web"},
		Backends: []string{strings.TrimPrefix(backend.URL, "http://")},
	}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	front := activator.NewHTTPServer(ln.Addr().String(), activator.NewHandler(router, domain, logr.Discard()))
	go func() { _ = front.Serve(ln) }()
	defer front.Close()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	get := func(url, host string) time.Duration {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Host = host
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("%s: %s", url, resp.Status)
		}
		return time.Since(start)
	}
	direct, proxied := make([]time.Duration, 0, b.N), make([]time.Duration, 0, b.N)
	// Warm both paths (connections, the route's instance counters).
	for range 50 {
		get(backend.URL, "")
		get("http://"+ln.Addr().String(), host)
	}
	b.ResetTimer()
	for range b.N {
		// Interleaved, so that both see the same machine.
		direct = append(direct, get(backend.URL, ""))
		proxied = append(proxied, get("http://"+ln.Addr().String(), host))
	}
	b.StopTimer()
	d50, d99 := percentiles(direct)
	p50, p99 := percentiles(proxied)
	b.ReportMetric(float64(p50.Microseconds()), "p50-µs")
	b.ReportMetric(float64(p99.Microseconds()), "p99-µs")
	b.ReportMetric(float64(p50)/float64(d50), "p50-ratio")
	b.ReportMetric(float64(p99)/float64(d99), "p99-ratio")
	fmt.Printf("activator latency over %d requests: direct p50 %s p99 %s; through the activator p50 %s p99 %s (added p50 %s, p99 %s; ratio %.2fx, %.2fx)\n",
		b.N, d50, d99, p50, p99, p50-d50, p99-d99, float64(p50)/float64(d50), float64(p99)/float64(d99))
}

func percentiles(ds []time.Duration) (p50, p99 time.Duration) {
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return at(0.50), at(0.99)
}
