//go:build envtest

package cluster_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/kube-ecs/kube-ecs/controllers/cluster"
	"github.com/kube-ecs/kube-ecs/internal/arn"
	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

var (
	env *testenv.Env
	// reconciles counts the cluster controller's reconciles per cluster.
	reconciles = &counter{counts: map[types.NamespacedName]int{}}
	// recorded keeps the events the controller records, as well as sending them.
	recorded = &recorder{}
)

// TestMain runs the cluster controller alone against envtest's API server: no task or
// service controller and no kubelet run, so tests set Task and Pod status by hand.
func TestMain(m *testing.M) {
	testenv.Main(m, &env, func(ctx context.Context, mgr ctrl.Manager) error {
		recorded.next = mgr.GetEventRecorder("kube-ecs")
		return (&cluster.Reconciler{
			Client: mgr.GetClient(), Scope: arn.Scope{Region: arn.DefaultRegion, Account: arn.DefaultAccount},
			Clock: clock.RealClock{}, Recorder: recorded,
		}).SetupThrough(ctx, mgr, reconciles.wrap)
	})
}

type counter struct {
	mu     sync.Mutex
	counts map[types.NamespacedName]int
}

func (c *counter) wrap(r reconcile.Reconciler) reconcile.Reconciler {
	return reconcile.Func(func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
		c.mu.Lock()
		c.counts[req.NamespacedName]++
		c.mu.Unlock()
		return r.Reconcile(ctx, req)
	})
}

func (c *counter) of(o client.Object) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[client.ObjectKeyFromObject(o)]
}

// recorded event: the object it regards, its reason and note.
type recordedEvent struct {
	key          types.NamespacedName
	reason, note string
}

type recorder struct {
	next   events.EventRecorder
	mu     sync.Mutex
	events []recordedEvent
}

func (r *recorder) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any) {
	if o, ok := regarding.(client.Object); ok {
		r.mu.Lock()
		r.events = append(r.events, recordedEvent{client.ObjectKeyFromObject(o), reason, fmt.Sprintf(note, args...)})
		r.mu.Unlock()
	}
	r.next.Eventf(regarding, related, eventtype, reason, action, note, args...)
}

// of returns the notes of the events recorded for o with reason.
func (r *recorder) of(o client.Object, reason string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var notes []string
	for _, e := range r.events {
		if e.key == client.ObjectKeyFromObject(o) && e.reason == reason {
			notes = append(notes, e.note)
		}
	}
	return notes
}
