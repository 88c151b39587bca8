package service

import (
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
	failures    map[string]int32 // by deployment id, not yet written
	throttled   map[string]bool  // deployment ids whose throttling was announced
	unplaceable string           // the last placement failure announced
	blocked     bool             // a blocked deployment was announced
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
		tr = &tracker{started: map[types.UID]bool{}, stopped: map[types.UID]bool{}, failures: map[string]int32{}, throttled: map[string]bool{}}
		t.m[key] = tr
	}
	return tr
}

func (t *trackers) forget(key types.NamespacedName) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, key)
}
