//go:build envtest

package apprunner_test

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"

	apprunnerctrl "github.com/kube-ecs/kube-ecs/controllers/apprunner"
	"github.com/kube-ecs/kube-ecs/internal/arn"
	"github.com/kube-ecs/kube-ecs/internal/capacity"
	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

var env *testenv.Env

const domain = "apps.example.com"

var (
	scope = arn.Scope{Region: arn.DefaultRegion, Account: arn.DefaultAccount}
	// caSecret is in "default", a namespace every API server has.
	caSecret = types.NamespacedName{Namespace: "default", Name: "kube-ecs-apprunner-ca"}
)

// TestMain runs the App Runner controller and the CA keeper against envtest's API server.
// Neither the autoscaler nor Kubernetes' own controllers run there: no Deployment
// controller and no kubelet. Tests set Deployments' status as the Deployment controller
// would, and replicas through the scale subresource as the autoscaler would.
func TestMain(m *testing.M) {
	testenv.Main(m, &env, func(_ context.Context, mgr ctrl.Manager) error {
		if err := (&apprunnerctrl.Reconciler{
			Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Scope: scope, Domain: domain,
			Pools: capacity.DefaultPools(), Clock: clock.RealClock{}, Recorder: mgr.GetEventRecorder("kube-ecs"),
		}).SetupWithManager(mgr); err != nil {
			return err
		}
		return mgr.Add(&apprunnerctrl.CAKeeper{
			Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Secret: caSecret, Clock: clock.RealClock{},
			Interval: 200 * time.Millisecond,
		})
	})
}
