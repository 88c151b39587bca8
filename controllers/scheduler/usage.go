package scheduler

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"

	"github.com/kube-ecs/kube-ecs/internal/placement"
)

// usage remembers each container instance as the last decision saw it, so that a decision
// reads only the instances whose node, instance or pods changed since: summing every pod of
// every node at each decision made a burst of n tasks cost n² pod visits (the largest part
// of the manager's CPU while 5,000 tasks started on 100 nodes).
//
// Its state is the scheduler's, under the scheduler's lock. The pod informer calls podEvent
// after its cache holds the change; podEvent counts the event on the pod's nodes and drops
// the assumption of a pod the cache now shows bound (or gone) in the same locked step. A
// decision holds the lock throughout: the counts and assumptions it sees do not move, and an
// entry computed at count g reflects at least every event counted in g. A pod the list shows
// whose event is still to be counted is still assumed: the entry records it as counted, so
// that it is not reserved twice.
type usage struct {
	podGen  map[string]uint64 // node -> pod events counted on it
	entries map[string]usageEntry
	pruned  time.Time
}

type usageEntry struct {
	instanceVersion, nodeVersion string
	podGen                       uint64
	inst                         placement.Instance
	// counted are the assumed pods the list already showed on the node.
	counted map[types.UID]bool
	used    time.Time
}

// entryTTL is how long an entry no decision used is kept (its instance may be gone).
const entryTTL = 5 * time.Minute

func newUsage() *usage {
	return &usage{podGen: map[string]uint64{}, entries: map[string]usageEntry{}}
}

// touch counts a pod event on node.
func (u *usage) touch(node string) {
	if node != "" {
		u.podGen[node]++
	}
}

// get returns the entry of key if it is still what instanceVersion, nodeVersion and the
// node's count say.
func (u *usage) get(key, instanceVersion, node, nodeVersion string, now time.Time) (usageEntry, bool) {
	e, ok := u.entries[key]
	if !ok || e.instanceVersion != instanceVersion || e.nodeVersion != nodeVersion || e.podGen != u.podGen[node] {
		return usageEntry{}, false
	}
	e.used = now
	u.entries[key] = e
	return e, true
}

// put stores an entry and drops, at most once a minute, those no decision used for entryTTL.
func (u *usage) put(key string, e usageEntry, now time.Time) {
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

// podHandler is the scheduler's handler on the manager's pod informer.
func (s *Scheduler) podHandler() toolscache.ResourceEventHandler {
	pod := func(o any) *corev1.Pod {
		if t, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
			o = t.Obj
		}
		p, _ := o.(*corev1.Pod)
		return p
	}
	return toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { s.podEvent(nil, pod(o), false) },
		UpdateFunc: func(old, cur any) { s.podEvent(pod(old), pod(cur), false) },
		DeleteFunc: func(o any) { s.podEvent(nil, pod(o), true) },
	}
}

// podEvent counts a pod event on the nodes it concerns and forgets the assumption of a pod
// the cache now shows bound, or gone.
func (s *Scheduler) podEvent(old, cur *corev1.Pod, deleted bool) {
	if cur == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old != nil && old.Spec.NodeName != cur.Spec.NodeName {
		s.usage.touch(old.Spec.NodeName)
	}
	s.usage.touch(cur.Spec.NodeName)
	if deleted || cur.Spec.NodeName != "" {
		delete(s.assumed, cur.UID)
	}
}
