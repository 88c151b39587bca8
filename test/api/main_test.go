// Package api_test checks the kube-ecs API as a user meets it: manifests applied to a real
// kube-apiserver (envtest) are accepted or rejected with the message a user can act on.
// The manager runs the validating webhook and the TaskDefinition controller, which
// registers the revisions that the webhook checks Tasks and Services against.
package api_test

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

func TestMain(m *testing.M) {
	testenv.Main(m, &env, func(_ context.Context, mgr ctrl.Manager) error {
		return (&taskdefinition.Reconciler{
			Client:    mgr.GetClient(),
			APIReader: mgr.GetAPIReader(),
			Scope:     arn.Scope{Region: arn.DefaultRegion, Account: arn.DefaultAccount},
			Clock:     clock.RealClock{},
			Recorder:  mgr.GetEventRecorder("kube-ecs"),
		}).SetupWithManager(mgr)
	})
}

// newNamespace creates a namespace of its own for one test.
func newNamespace(t *testing.T) string { return env.NewNamespace(t, "api") }
