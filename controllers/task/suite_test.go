package task_test

import (
	"context"
	"fmt"
	"os"
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
	var err error
	if env, err = testenv.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	scope := arn.Scope{Region: arn.DefaultRegion, Account: arn.DefaultAccount}
	stop, err := env.StartManager(func(ctx context.Context, mgr ctrl.Manager) error {
		rec := mgr.GetEventRecorder("kube-ecs")
		if err := (&taskdefinition.Reconciler{
			Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Scope: scope, Clock: clock.RealClock{}, Recorder: rec,
		}).SetupWithManager(mgr); err != nil {
			return err
		}
		return (&task.Reconciler{
			Client: mgr.GetClient(), Scope: scope, Clock: clock.RealClock{}, Recorder: rec,
			Pools: task.DefaultPools(), Retention: retention,
		}).SetupWithManager(ctx, mgr)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		_ = env.Stop()
		os.Exit(1)
	}
	code := m.Run()
	if err := stop(); err != nil {
		fmt.Fprintln(os.Stderr, "manager:", err)
	}
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping envtest:", err)
	}
	os.Exit(code)
}
