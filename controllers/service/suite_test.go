//go:build envtest

package service_test

import (
	"context"
	"testing"

	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/kube-ecs/kube-ecs/controllers/service"
	"github.com/kube-ecs/kube-ecs/controllers/task"
	"github.com/kube-ecs/kube-ecs/controllers/taskdefinition"
	"github.com/kube-ecs/kube-ecs/internal/arn"
	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

var env *testenv.Env

var scope = arn.Scope{Region: arn.DefaultRegion, Account: arn.DefaultAccount}

// TestMain runs the task definition and service controllers against envtest's API server.
// Neither the cluster controller (its finalizer) nor Kubernetes' own controllers run there:
// no Deployment or ReplicaSet controller, no garbage collector and no kubelet. Tests create
// the pods a ReplicaSet would and patch their status as a kubelet would.
func TestMain(m *testing.M) {
	testenv.Main(m, &env, func(ctx context.Context, mgr ctrl.Manager) error {
		rec := mgr.GetEventRecorder("kube-ecs")
		if err := (&taskdefinition.Reconciler{
			Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Scope: scope, Clock: clock.RealClock{}, Recorder: rec,
		}).SetupWithManager(mgr); err != nil {
			return err
		}
		return (&service.Reconciler{
			Client: mgr.GetClient(), Scope: scope, Clock: clock.RealClock{}, Recorder: rec, Pools: task.DefaultPools(),
		}).SetupWithManager(ctx, mgr)
	})
}
