package activator

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"

	"github.com/kube-ecs/kube-ecs/internal/apprunner"
)

// Why a request got no instance.
var (
	errQueueFull    = errors.New("the queue is full")
	errQueueTimeout = errors.New("no instance became ready in time")
	errPaused       = errors.New("the service is paused")
	errGone         = errors.New("the service was deleted")
)

// Router is the live route table: per service, its route, its counters and the requests
// waiting for an instance. Its methods are safe for concurrent use.
type Router struct {
	// QueueDepth bounds the requests waiting per service; past it they get 503 at once.
	QueueDepth int64
	// QueueTimeout bounds how long a request waits for an instance.
	QueueTimeout time.Duration
	// Clock times the queue.
	Clock clock.Clock

	mu       sync.RWMutex
	hosts    map[string]*service
	services map[types.NamespacedName]*service
}

// NewRouter is an empty router.
func NewRouter(queueDepth int64, queueTimeout time.Duration, clk clock.Clock) *Router {
	return &Router{QueueDepth: queueDepth, QueueTimeout: queueTimeout, Clock: clk,
		hosts: map[string]*service{}, services: map[types.NamespacedName]*service{}}
}

// service is one routed service. A request keeps the *service it started with, so its
// counters stay right when the route changes or goes away meanwhile.
type service struct {
	key      types.NamespacedName
	inFlight atomic.Int64
	queued   atomic.Int64
	requests atomic.Uint64

	mu       sync.Mutex
	paused   bool
	private  bool
	gone     bool
	backends []*backend // the ready instances, in the route's order
	// changed is closed, and replaced, whenever the route changes: the queue's broadcast.
	changed chan struct{}
	// next spreads ties of the least-request choice.
	next int
}

// backend is one instance with its requests in flight from this activator.
type backend struct {
	addr     string
	inFlight atomic.Int64
}

// SetTable makes t the route table. Services keep their counters; the requests waiting for
// a service whose route changed wake up and look again.
func (r *Router) SetTable(t Table) {
	r.mu.Lock()
	defer r.mu.Unlock()
	hosts := make(map[string]*service, len(t))
	services := make(map[types.NamespacedName]*service, len(t))
	for host, route := range t {
		s := r.services[route.Service]
		if s == nil {
			s = &service{key: route.Service, changed: make(chan struct{})}
		}
		s.update(route)
		hosts[host] = s
		services[route.Service] = s
	}
	for key, s := range r.services {
		if services[key] == nil {
			s.remove()
		}
	}
	r.hosts, r.services = hosts, services
}

// update sets the route of s and wakes its waiters when it changed.
func (s *service) update(route Route) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Whether the service is private takes effect on the next lookup: no waiter cares.
	s.private = route.Private
	same := s.paused == route.Paused && len(s.backends) == len(route.Backends)
	if same {
		for i, b := range s.backends {
			if b.addr != route.Backends[i] {
				same = false
				break
			}
		}
	}
	if same {
		return
	}
	old := map[string]*backend{}
	for _, b := range s.backends {
		old[b.addr] = b
	}
	s.backends = make([]*backend, 0, len(route.Backends))
	for _, addr := range route.Backends {
		b := old[addr]
		if b == nil {
			b = &backend{addr: addr}
		}
		s.backends = append(s.backends, b)
	}
	s.paused = route.Paused
	s.broadcast()
}

func (s *service) remove() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gone, s.backends = true, nil
	s.broadcast()
}

// broadcast wakes every waiter; s.mu is held.
func (s *service) broadcast() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// lookup is the service of a request's host, nil when none.
func (r *Router) lookup(host string) *service {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.hosts[normalizeHost(host)]
}

// Known says whether host is a routed service host (TLS certificates are minted for these only).
func (r *Router) Known(host string) bool { return r.lookup(host) != nil }

// KnownPublic says whether host is a routed service host of a public service.
func (r *Router) KnownPublic(host string) bool {
	s := r.lookup(host)
	return s != nil && !s.isPrivate()
}

// Lookup returns the route of host as the router holds it now.
func (r *Router) Lookup(host string) (Route, bool) {
	s := r.lookup(host)
	if s == nil {
		return Route{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	route := Route{Service: s.key, Paused: s.paused, Private: s.private}
	for _, b := range s.backends {
		route.Backends = append(route.Backends, b.addr)
	}
	return route, true
}

// Stats are the counters of every routed service, sorted by namespace and name.
func (r *Router) Stats() apprunner.Stats {
	r.mu.RLock()
	out := apprunner.Stats{Services: make([]apprunner.ServiceStats, 0, len(r.services))}
	for _, s := range r.services {
		out.Services = append(out.Services, apprunner.ServiceStats{
			Namespace: s.key.Namespace, Name: s.key.Name,
			InFlight: s.inFlight.Load(), Queued: s.queued.Load(), Requests: s.requests.Load(),
		})
	}
	r.mu.RUnlock()
	slices.SortFunc(out.Services, func(a, b apprunner.ServiceStats) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// acquire returns the ready instance with the fewest requests in flight, its count taken
// (release it with b.inFlight.Add(-1)). With no ready instance the request waits in the
// queue, bounded by depth and timeout, until the route has one, or ctx ends.
func (s *service) acquire(ctx context.Context, depth int64, timeout time.Duration, clk clock.Clock) (*backend, error) {
	var timer clock.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	queued := false
	defer func() {
		if queued {
			s.queued.Add(-1)
		}
	}()
	for {
		s.mu.Lock()
		switch {
		case s.gone:
			s.mu.Unlock()
			return nil, errGone
		case s.paused:
			s.mu.Unlock()
			return nil, errPaused
		case len(s.backends) > 0:
			b := s.pickLocked(nil)
			s.mu.Unlock()
			return b, nil
		}
		if !queued {
			// Check and count under s.mu, so that the queue never holds more than depth.
			if s.queued.Load() >= depth {
				s.mu.Unlock()
				return nil, errQueueFull
			}
			s.queued.Add(1)
			queued = true
			timer = clk.NewTimer(timeout)
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-timer.C():
			return nil, errQueueTimeout
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// pickOther returns another ready instance than those in tried, its count taken; nil when
// there is none. It never waits.
func (s *service) pickOther(tried []*backend) *backend {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone || s.paused {
		return nil
	}
	return s.pickLocked(tried)
}

// pickLocked takes the least-request instance not in skip; s.mu is held.
func (s *service) pickLocked(skip []*backend) *backend {
	i := leastRequest(s.backends, skip, s.next)
	if i < 0 {
		return nil
	}
	s.next = i + 1
	b := s.backends[i]
	b.inFlight.Add(1)
	return b
}

// leastRequest is the index of the backend with the fewest requests in flight, not in skip;
// among equals, the first at or after start (round robin); -1 when none is left.
func leastRequest(backends, skip []*backend, start int) int {
	best, bestN := -1, int64(0)
	for k := range backends {
		i := (start + k) % len(backends)
		b := backends[i]
		if slices.Contains(skip, b) {
			continue
		}
		if n := b.inFlight.Load(); best < 0 || n < bestN {
			best, bestN = i, n
		}
	}
	return best
}
