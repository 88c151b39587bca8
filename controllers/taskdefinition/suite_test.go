package taskdefinition_test

import (
	"context"
	"fmt"
	"os"
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
	var err error
	if env, err = testenv.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	stop, err := env.StartManager(func(_ context.Context, mgr ctrl.Manager) error {
		return (&taskdefinition.Reconciler{
			Client:    mgr.GetClient(),
			APIReader: mgr.GetAPIReader(),
			Scope:     arn.Scope{Region: "eu-west-1", Account: "123456789012"},
			Clock:     clock.RealClock{},
			Recorder:  mgr.GetEventRecorder("kube-ecs"),
		}).SetupWithManager(mgr)
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

func newNamespace(t *testing.T) string { return env.NewNamespace(t, "td") }
