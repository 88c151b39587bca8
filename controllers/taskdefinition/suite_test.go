package taskdefinition_test

import (
	"context"
	"testing"

	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/kube-ecs/kube-ecs/controllers/taskdefinition"
	"github.com/kube-ecs/kube-ecs/internal/arn"
	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

var env *testenv.Env

// TestMain runs the real controller in a manager against envtest's API server.
func TestMain(m *testing.M) {
	testenv.Main(m, &env, func(_ context.Context, mgr ctrl.Manager) error {
		return (&taskdefinition.Reconciler{
			Client:    mgr.GetClient(),
			APIReader: mgr.GetAPIReader(),
			Scope:     arn.Scope{Region: "eu-west-1", Account: "123456789012"},
			Clock:     clock.RealClock{},
			Recorder:  mgr.GetEventRecorder("kube-ecs"),
		}).SetupWithManager(mgr)
	})
}

func newNamespace(t *testing.T) string { return env.NewNamespace(t, "td") }
