package scheduler

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"

	"github.com/kube-ecs/kube-ecs/internal/placement"
)

func podOn(node string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: corev1.PodSpec{NodeName: node}}
}

// TestUsageGenerations: every pod event counts on the nodes it concerns (both, when a pod
// moves), an unbound pod on none, and a tombstone like the pod it stood for.
func TestUsageGenerations(t *testing.T) {
	u := newUsage()
	h := u.handler()
	h.OnAdd(podOn("a"), false)
	h.OnAdd(podOn(""), false)
	h.OnUpdate(podOn(""), podOn("b")) // bound to b
	h.OnUpdate(podOn("a"), podOn("a"))
	h.OnDelete(toolscache.DeletedFinalStateUnknown{Key: "ns/p", Obj: podOn("b")})
	h.OnDelete("not a pod")
	for node, want := range map[string]uint64{"a": 3, "b": 2, "c": 0, "": 0} {
		if got := u.generation(node); got != want {
			t.Errorf("generation(%q) = %d, want %d", node, got, want)
		}
	}
}

// TestUsageEntries: an entry serves only while the instance, the node and the node's pods
// are as they were, and goes once no decision used it for entryTTL.
func TestUsageEntries(t *testing.T) {
	now := time.Unix(1000, 0)
	u := newUsage()
	u.put("ns/i-1", usageEntry{ciVersion: "c1", nodeVersion: "n1", podGen: 4, inst: placement.Instance{Name: "i-1", RemainingMemory: 512}}, now)
	tests := []struct {
		name          string
		ci, node      string
		gen           uint64
		wantHit       bool
		wantRemaining int64
	}{
		{name: "unchanged", ci: "c1", node: "n1", gen: 4, wantHit: true, wantRemaining: 512},
		{name: "a pod event on the node", ci: "c1", node: "n1", gen: 5},
		{name: "the instance changed", ci: "c2", node: "n1", gen: 4},
		{name: "the node changed", ci: "c1", node: "n2", gen: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := u.get("ns/i-1", tt.ci, tt.node, tt.gen, now)
			if ok != tt.wantHit || e.inst.RemainingMemory != tt.wantRemaining {
				t.Errorf("get = %+v, %t; want hit %t, remaining memory %d", e.inst, ok, tt.wantHit, tt.wantRemaining)
			}
		})
	}
	if _, ok := u.get("ns/other", "c1", "n1", 4, now); ok {
		t.Error("an instance never computed was served")
	}

	// Used a minute later, the entry lives on; one left alone for longer than entryTTL goes
	// at the next write after it expired.
	u.put("ns/i-2", usageEntry{ciVersion: "c1"}, now)
	later := now.Add(time.Minute)
	if _, ok := u.get("ns/i-1", "c1", "n1", 4, later); !ok {
		t.Fatal("entry i-1 gone a minute on")
	}
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
