//go:build envtest

package cluster_test

import (
	"context"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/types"
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
	recorded = &testenv.Recorder{}
)

// TestMain runs the cluster controller alone against envtest's API server: no task or
// service controller and no kubelet run, so tests set Task and Pod status by hand.
func TestMain(m *testing.M) {
	testenv.Main(m, &env, func(ctx context.Context, mgr ctrl.Manager) error {
		recorded.Next = mgr.GetEventRecorder("kube-ecs")
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
