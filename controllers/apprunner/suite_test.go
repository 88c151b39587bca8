//go:build envtest

package apprunner_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
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

// activatorNamespace is where the instances' ingress NetworkPolicy admits the activators from.
const activatorNamespace = "kube-ecs-system"

var (
	scope = arn.Scope{Region: arn.DefaultRegion, Account: arn.DefaultAccount}
	// caSecret is in "default", a namespace every API server has.
	caSecret = types.NamespacedName{Namespace: "default", Name: "kube-ecs-apprunner-ca"}
)

// imagePoll is the auto-deploy poll interval of the suite's controller.
const imagePoll = 300 * time.Millisecond

// loopbackOnly is a registry transport that dials only loopback addresses: the suite's
// services name registries that do not exist (registry.example), and tests send traffic to
// loopback only.
func loopbackOnly() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	var d net.Dialer
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("dial %s: the test suite reaches loopback registries only", addr)
		}
		return d.DialContext(ctx, network, addr)
	}
	return t
}

// TestMain runs the App Runner controller and the CA keeper against envtest's API server.
// Neither the autoscaler nor Kubernetes' own controllers run there: no Deployment
// controller and no kubelet. Tests set Deployments' status as the Deployment controller
// would, and replicas through the scale subresource as the autoscaler would.
func TestMain(m *testing.M) {
	testenv.Main(m, &env, func(_ context.Context, mgr ctrl.Manager) error {
		if err := (&apprunnerctrl.Reconciler{
			Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Scope: scope, Domain: domain,
			Pools: capacity.DefaultPools(), Clock: clock.RealClock{}, Recorder: mgr.GetEventRecorder("kube-ecs"), ActivatorNamespace: activatorNamespace,
			Images: apprunnerctrl.ImageResolver{Transport: loopbackOnly()}, ImagePollInterval: imagePoll,
		}).SetupWithManager(mgr); err != nil {
			return err
		}
		return mgr.Add(&apprunnerctrl.CAKeeper{
			Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Secret: caSecret, Clock: clock.RealClock{},
			Interval: 200 * time.Millisecond,
		})
	})
}
