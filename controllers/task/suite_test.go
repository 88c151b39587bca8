package task_test

import (
	"context"
	"testing"
	"time"

	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/kube-ecs/kube-ecs/controllers/task"
	"github.com/kube-ecs/kube-ecs/controllers/taskdefinition"
	"github.com/kube-ecs/kube-ecs/internal/arn"
	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

var env *testenv.Env

// retention is short so that the retention test does not wait an hour.
const retention = 3 * time.Second

// TestMain runs the task and task definition controllers against envtest's API server.
// No kubelet runs there: tests play its part by patching pod status.
func TestMain(m *testing.M) {
	scope := arn.Scope{Region: arn.DefaultRegion, Account: arn.DefaultAccount}
	testenv.Main(m, &env, func(ctx context.Context, mgr ctrl.Manager) error {
		rec := mgr.GetEventRecorder("kube-ecs")
		if err := (&taskdefinition.Reconciler{
			Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Scope: scope, Clock: clock.RealClock{}, Recorder: rec,
		}).SetupWithManager(mgr); err != nil {
			return err
		}
		return (&task.Reconciler{
			Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Scope: scope, Clock: clock.RealClock{}, Recorder: rec,
			Pools: task.DefaultPools(), Retention: retention,
		}).SetupWithManager(ctx, mgr)
	})
}
