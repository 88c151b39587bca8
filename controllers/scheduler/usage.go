package scheduler

import (
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	toolscache "k8s.io/client-go/tools/cache"

	"github.com/kube-ecs/kube-ecs/internal/placement"
)

// usage remembers each container instance as the last decision saw it, so that a decision
// reads only the instances whose node, instance or pods changed since: summing every pod of
// every node at each decision made a burst of n tasks cost n² pod visits (the largest part
// of the manager's CPU while 5,000 tasks started on 100 nodes).
//
// A pod event counts on its node after the cache holds it (the informer updates its store
// before it calls handlers), and a decision reads the count before it lists the pods: an
// entry computed at count g reflects at least every event counted in g, and any later event
// makes the count differ.
type usage struct {
	mu      sync.Mutex
	podGen  map[string]uint64 // node -> pod events seen on it
	entries map[string]usageEntry
	pruned  time.Time
}

type usageEntry struct {
	ciVersion, nodeVersion string
	podGen                 uint64
	inst                   placement.Instance
	used                   time.Time
}

// entryTTL is how long an entry no decision used is kept (its instance may be gone).
const entryTTL = 5 * time.Minute

func newUsage() *usage {
	return &usage{podGen: map[string]uint64{}, entries: map[string]usageEntry{}}
}

// handler counts pod events per node, on the manager's pod informer.
func (u *usage) handler() toolscache.ResourceEventHandler {
	return toolscache.ResourceEventHandlerFuncs{
		AddFunc: func(o any) { u.touch(o) },
		UpdateFunc: func(old, cur any) {
			u.touch(old)
			u.touch(cur)
		},
		DeleteFunc: func(o any) {
			if t, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
				o = t.Obj
			}
			u.touch(o)
		},
	}
}

func (u *usage) touch(o any) {
	p, ok := o.(*corev1.Pod)
	if !ok || p.Spec.NodeName == "" {
		return
	}
	u.mu.Lock()
	u.podGen[p.Spec.NodeName]++
	u.mu.Unlock()
}

// generation is the count of pod events seen on node.
func (u *usage) generation(node string) uint64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.podGen[node]
}

// get returns the entry of key if it is still what ciVersion, nodeVersion and gen say.
func (u *usage) get(key, ciVersion, nodeVersion string, gen uint64, now time.Time) (usageEntry, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	e, ok := u.entries[key]
	if !ok || e.ciVersion != ciVersion || e.nodeVersion != nodeVersion || e.podGen != gen {
		return usageEntry{}, false
	}
	e.used = now
	u.entries[key] = e
	return e, true
}

// put stores an entry and drops, at most once a minute, those no decision used for entryTTL.
func (u *usage) put(key string, e usageEntry, now time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	e.used = now
	u.entries[key] = e
	if now.Sub(u.pruned) < time.Minute {
		return
	}
	u.pruned = now
	for k, old := range u.entries {
		if now.Sub(old.used) > entryTTL {
			delete(u.entries, k)
		}
	}
}
