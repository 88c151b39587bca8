//go:build envtest

package spot_test

import (
	"context"
	"testing"
	"time"

	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/kube-ecs/kube-ecs/controllers/index"
	"github.com/kube-ecs/kube-ecs/controllers/spot"
	"github.com/kube-ecs/kube-ecs/internal/capacity"
	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

// warning is the interruption warning of the suite's controller: short, so that a test sees
// the reclaim.
const warning = 3 * time.Second

const timeout = 20 * time.Second

var (
	env *testenv.Env
	ctx = context.Background()
)

// TestMain runs the Spot interruption controller alone against envtest's API server, with
// the default capacity pools. No kubelet and no task controller run: tests create nodes and
// pods (bound, with a running status) by hand and watch what the controller does to them.
func TestMain(m *testing.M) {
	testenv.Main(m, &env, func(ctx context.Context, mgr ctrl.Manager) error {
		if err := index.Setup(ctx, mgr); err != nil {
			return err
		}
		return (&spot.Reconciler{
			Client: mgr.GetClient(), Clock: clock.RealClock{}, Recorder: mgr.GetEventRecorder("kube-ecs"),
			Pools: capacity.DefaultPools(), Warning: warning,
		}).SetupWithManager(mgr)
	})
}
