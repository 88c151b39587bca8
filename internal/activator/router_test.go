package activator

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/kube-ecs/kube-ecs/internal/apprunner"
)

var webKey = types.NamespacedName{Namespace: "team-a", Name: "web"}

const webHost = "web.team-a.apps.example.com"

func backends(n ...int64) []*backend {
	var out []*backend
	for i, v := range n {
		b := &backend{addr: string(rune('a' + i))}
		b.inFlight.Store(v)
		out = append(out, b)
	}
	return out
}

func TestLeastRequest(t *testing.T) {
	bs := backends(3, 1, 2, 1)
	tests := []struct {
		name  string
		skip  []*backend
		start int
		want  int
	}{
		{"fewest in flight", nil, 0, 1},
		{"ties go round robin from start", nil, 2, 3},
		{"start past the end wraps", nil, 9, 1},
		{"skipping the tried", []*backend{bs[1], bs[3]}, 0, 2},
		{"none left", bs, 0, -1},
	}
	for _, tt := range tests {
		if got := leastRequest(bs, tt.skip, tt.start); got != tt.want {
			t.Errorf("%s: leastRequest = %d, want %d", tt.name, got, tt.want)
		}
	}
	if got := leastRequest(nil, nil, 0); got != -1 {
		t.Errorf("no backends: %d", got)
	}
}

// TestPickSpreads: with equal load the picks alternate; a busy instance is avoided.
func TestPickSpreads(t *testing.T) {
	r := NewRouter(10, time.Minute, clocktesting.NewFakeClock(time.Now()))
	r.SetTable(Table{webHost: {Service: webKey, Backends: []string{"10.0.0.1:80", "10.0.0.2:80"}}})
	s := r.lookup(webHost)
	ctx := context.Background()
	a, _ := s.acquire(ctx, 10, time.Minute, r.Clock)
	b, _ := s.acquire(ctx, 10, time.Minute, r.Clock)
	if a == b {
		t.Fatalf("two requests on an idle service went to the same instance %s", a.addr)
	}
	a.inFlight.Add(-1)
	c, _ := s.acquire(ctx, 10, time.Minute, r.Clock)
	if c != a {
		t.Errorf("picked %s, want the idle %s", c.addr, a.addr)
	}
}

// TestSetTableKeepsCounts: a route change keeps the service's counters and the instances
// that stay keep their counts.
func TestSetTableKeepsCounts(t *testing.T) {
	r := NewRouter(10, time.Minute, clocktesting.NewFakeClock(time.Now()))
	r.SetTable(Table{webHost: {Service: webKey, Backends: []string{"10.0.0.1:80"}}})
	s := r.lookup(webHost)
	s.inFlight.Add(2)
	b, _ := s.acquire(context.Background(), 10, time.Minute, r.Clock)
	r.SetTable(Table{webHost: {Service: webKey, Backends: []string{"10.0.0.1:80", "10.0.0.2:80"}}})
	if r.lookup(webHost) != s || s.backends[0] != b || b.inFlight.Load() != 1 {
		t.Errorf("the route change lost the service's state")
	}
	want := apprunner.Stats{Services: []apprunner.ServiceStats{{Namespace: "team-a", Name: "web", InFlight: 2}}}
	if diff := cmp.Diff(want, r.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if got, _ := r.Lookup("WEB.team-a.apps.example.com:443"); !cmp.Equal(got.Backends, []string{"10.0.0.1:80", "10.0.0.2:80"}) {
		t.Errorf("Lookup = %+v", got)
	}
	r.SetTable(Table{})
	if r.Known(webHost) || len(r.Stats().Services) != 0 {
		t.Error("a deleted service is still routed")
	}
}

type result struct {
	b   *backend
	err error
}

// wait starts acquire in the background.
func wait(ctx context.Context, r *Router, s *service) chan result {
	out := make(chan result, 1)
	go func() {
		b, err := s.acquire(ctx, r.QueueDepth, r.QueueTimeout, r.Clock)
		out <- result{b, err}
	}()
	return out
}

// eventually polls cond for up to 5s: the queue's state changes in other goroutines.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestQueue(t *testing.T) {
	setup := func(depth int64) (*Router, *service, *clocktesting.FakeClock) {
		clk := clocktesting.NewFakeClock(time.Now())
		r := NewRouter(depth, 10*time.Second, clk)
		r.SetTable(Table{webHost: {Service: webKey}})
		return r, r.lookup(webHost), clk
	}
	t.Run("released when an instance is ready", func(t *testing.T) {
		r, s, _ := setup(5)
		waiting := []chan result{wait(context.Background(), r, s), wait(context.Background(), r, s)}
		eventually(t, "two queued", func() bool { return s.queued.Load() == 2 })
		// A change that brings no instance wakes them, and they wait on.
		r.SetTable(Table{webHost: {Service: webKey, Backends: nil, Paused: false}, "x." + testDomain: {Service: types.NamespacedName{Name: "x"}}})
		r.SetTable(Table{webHost: {Service: webKey, Backends: []string{"10.0.0.1:80"}}})
		for _, w := range waiting {
			if res := <-w; res.err != nil || res.b.addr != "10.0.0.1:80" {
				t.Errorf("got %+v", res)
			}
		}
		if s.queued.Load() != 0 {
			t.Errorf("queued %d after release", s.queued.Load())
		}
	})
	t.Run("full queue", func(t *testing.T) {
		r, s, _ := setup(1)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		first := wait(ctx, r, s)
		eventually(t, "one queued", func() bool { return s.queued.Load() == 1 })
		if _, err := s.acquire(context.Background(), r.QueueDepth, r.QueueTimeout, r.Clock); !errors.Is(err, errQueueFull) {
			t.Errorf("second request: %v, want the queue full", err)
		}
		cancel()
		if res := <-first; !errors.Is(res.err, context.Canceled) {
			t.Errorf("first request: %v", res.err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		r, s, clk := setup(5)
		w := wait(context.Background(), r, s)
		eventually(t, "the queue's timer", clk.HasWaiters)
		clk.Step(9 * time.Second)
		select {
		case res := <-w:
			t.Fatalf("released before the timeout: %+v", res)
		default:
		}
		clk.Step(time.Second)
		if res := <-w; !errors.Is(res.err, errQueueTimeout) {
			t.Errorf("got %v, want a timeout", res.err)
		}
		if s.queued.Load() != 0 {
			t.Errorf("queued %d after the timeout", s.queued.Load())
		}
	})
	t.Run("cancel releases the slot", func(t *testing.T) {
		r, s, _ := setup(1)
		ctx, cancel := context.WithCancel(context.Background())
		w := wait(ctx, r, s)
		eventually(t, "one queued", func() bool { return s.queued.Load() == 1 })
		cancel()
		<-w
		if s.queued.Load() != 0 {
			t.Fatalf("queued %d after cancel", s.queued.Load())
		}
		w = wait(context.Background(), r, s)
		eventually(t, "the slot taken again", func() bool { return s.queued.Load() == 1 })
		r.SetTable(Table{webHost: {Service: webKey, Backends: []string{"10.0.0.1:80"}}})
		if res := <-w; res.err != nil {
			t.Error(res.err)
		}
	})
	t.Run("paused or deleted while waiting", func(t *testing.T) {
		r, s, _ := setup(5)
		w := wait(context.Background(), r, s)
		eventually(t, "one queued", func() bool { return s.queued.Load() == 1 })
		r.SetTable(Table{webHost: {Service: webKey, Paused: true}})
		if res := <-w; !errors.Is(res.err, errPaused) {
			t.Errorf("got %v, want paused", res.err)
		}
		r.SetTable(Table{webHost: {Service: webKey}})
		w = wait(context.Background(), r, s)
		eventually(t, "one queued", func() bool { return s.queued.Load() == 1 })
		r.SetTable(Table{})
		if res := <-w; !errors.Is(res.err, errGone) {
			t.Errorf("got %v, want gone", res.err)
		}
	})
}
