package scheduler

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"

	"github.com/kube-ecs/kube-ecs/internal/placement"
)

func podOn(uid types.UID, node string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: string(uid), UID: uid}, Spec: corev1.PodSpec{NodeName: node}}
}

// TestPodEvents: every pod event counts on the nodes it concerns (both, when a pod moves), an
// unbound pod on none, a tombstone like the pod it stood for; the assumption of a pod the
// cache shows bound, or gone, is forgotten in the same step, and not that of a pod still
// waiting.
func TestPodEvents(t *testing.T) {
	s := &Scheduler{usage: newUsage(), assumed: map[types.UID]assumption{
		"bound": {node: "b"}, "waiting": {node: "a"}, "gone": {node: "b"},
	}}
	h := s.podHandler()
	h.OnAdd(podOn("p1", "a"), false)
	h.OnAdd(podOn("waiting", ""), false)
	h.OnUpdate(podOn("bound", ""), podOn("bound", "b"))
	h.OnUpdate(podOn("p1", "a"), podOn("p1", "a"))
	h.OnDelete(toolscache.DeletedFinalStateUnknown{Key: "ns/gone", Obj: podOn("gone", "b")})
	h.OnDelete("not a pod")
	for node, want := range map[string]uint64{"a": 2, "b": 2, "c": 0, "": 0} {
		if got := s.usage.podGen[node]; got != want {
			t.Errorf("pod events on %q: %d, want %d", node, got, want)
		}
	}
	if _, ok := s.assumed["waiting"]; !ok {
		t.Error("the assumption of a pod still waiting was forgotten")
	}
	for _, uid := range []types.UID{"bound", "gone"} {
		if _, ok := s.assumed[uid]; ok {
			t.Errorf("assumption %s kept after the cache showed the pod bound or gone", uid)
		}
	}
}

// TestUsageEntries: an entry serves only while the instance, the node and the node's pods
// are as they were, and goes once no decision used it for entryTTL.
func TestUsageEntries(t *testing.T) {
	now := time.Unix(1000, 0)
	u := newUsage()
	u.podGen["n"] = 4
	u.put("ns/i-1", usageEntry{instanceVersion: "c1", nodeVersion: "n1", podGen: 4, inst: placement.Instance{Name: "i-1", RemainingMemory: 512}}, now)
	tests := []struct {
		name          string
		change        func()
		ci, node      string
		wantHit       bool
		wantRemaining int64
	}{
		{name: "unchanged", ci: "c1", node: "n1", wantHit: true, wantRemaining: 512},
		{name: "the instance changed", ci: "c2", node: "n1"},
		{name: "the node changed", ci: "c1", node: "n2"},
		{name: "a pod event elsewhere", change: func() { u.touch("m") }, ci: "c1", node: "n1", wantHit: true, wantRemaining: 512},
		{name: "a pod event on the node", change: func() { u.touch("n") }, ci: "c1", node: "n1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.change != nil {
				tt.change()
			}
			e, ok := u.get("ns/i-1", tt.ci, "n", tt.node, now)
			if ok != tt.wantHit || e.inst.RemainingMemory != tt.wantRemaining {
				t.Errorf("get = %+v, %t; want hit %t, remaining memory %d", e.inst, ok, tt.wantHit, tt.wantRemaining)
			}
		})
	}
	if _, ok := u.get("ns/other", "c1", "n", "n1", now); ok {
		t.Error("an instance never computed was served")
	}

	// Used a minute later, the entry lives on; one left alone for longer than entryTTL goes
	// at the next write after it expired.
	u.put("ns/i-2", usageEntry{}, now)
	u.put("ns/i-3", usageEntry{}, now.Add(entryTTL-time.Second))
	if _, ok := u.entries["ns/i-2"]; !ok {
		t.Error("entry i-2 dropped before entryTTL")
	}
	u.put("ns/i-3", usageEntry{}, now.Add(entryTTL+2*time.Minute))
	if _, ok := u.entries["ns/i-2"]; ok {
		t.Error("entry i-2, unused for longer than entryTTL, is still kept")
	}
	if _, ok := u.entries["ns/i-3"]; !ok {
		t.Error("the entry just written was dropped")
	}
}
