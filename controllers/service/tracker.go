package service

import (
	"maps"
	"sync"

	"k8s.io/apimachinery/pkg/types"
)

// tracker is what the controller remembers about one service between reconciles, in memory:
// which tasks it has announced as started and stopped (so each ECS event is sent once), the
// failed tasks it stopped that are not yet in the written status, and the warnings already
// given. A manager that restarts announces nothing about the tasks that exist when it starts.
type tracker struct {
	primed      bool
	started     map[types.UID]bool
	stopped     map[types.UID]bool
	registered  map[types.UID]bool // tasks in the load balancers
	failures    map[string]int32   // by deployment id, not yet written
	throttled   map[string]bool    // deployment ids whose throttling was announced
	unplaceable string             // the last placement failure announced
	blocked     bool               // a blocked deployment was announced
}

type trackers struct {
	mu sync.Mutex
	m  map[types.NamespacedName]*tracker
}

func (t *trackers) get(key types.NamespacedName) *tracker {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[types.NamespacedName]*tracker{}
	}
	tr, ok := t.m[key]
	if !ok {
		tr = &tracker{started: map[types.UID]bool{}, stopped: map[types.UID]bool{}, registered: map[types.UID]bool{}, failures: map[string]int32{}, throttled: map[string]bool{}}
		t.m[key] = tr
	}
	return tr
}

func (t *trackers) forget(key types.NamespacedName) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, key)
}

// announced is the part of a tracker that says which events were sent: it is put back when
// a pass fails to write its status, so that the next pass sends them again.
type announced struct {
	primed      bool
	started     map[types.UID]bool
	stopped     map[types.UID]bool
	registered  map[types.UID]bool
	throttled   map[string]bool
	unplaceable string
	blocked     bool
}

func (t *tracker) snapshot() announced {
	return announced{primed: t.primed, started: maps.Clone(t.started), stopped: maps.Clone(t.stopped), registered: maps.Clone(t.registered),
		throttled: maps.Clone(t.throttled), unplaceable: t.unplaceable, blocked: t.blocked}
}

func (t *tracker) restore(a announced) {
	t.primed, t.started, t.stopped, t.registered = a.primed, a.started, a.stopped, a.registered
	t.throttled, t.unplaceable, t.blocked = a.throttled, a.unplaceable, a.blocked
}
