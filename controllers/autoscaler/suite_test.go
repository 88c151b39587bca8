//go:build envtest

package autoscaler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kube-ecs/kube-ecs/controllers/autoscaler"
	"github.com/kube-ecs/kube-ecs/internal/apprunner"
	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

const timeout = 20 * time.Second

var (
	env *testenv.Env
	ctx = context.Background()
	// stats plays every activator pod: the suite's EndpointSlice points at it.
	stats = &fakeActivator{inFlight: map[types.NamespacedName]int64{}}
	// recorded keeps the events the autoscaler records, as well as sending them.
	recorded = &testenv.Recorder{}
	// config are the suite's short windows.
	config = apprunner.ScalingConfig{StableWindow: 2 * time.Second, PanicWindow: time.Second, ScaleToZeroGrace: time.Second}
)

// Activator pod IPs of the suite's EndpointSlice. The API server refuses loopback addresses
// in an EndpointSlice, so the autoscaler's HTTP client dials the test server on 127.0.0.1
// for activatorIP and fails to dial any other address: no traffic leaves the loopback.
const (
	activatorIP            = "192.0.2.10"
	unreachableActivatorIP = "192.0.2.11"
	terminatingActivatorIP = "192.0.2.12"
)

// TestMain runs the autoscaler alone against envtest's API server, with an activator played
// by an HTTP server on 127.0.0.1 that the activator Service's EndpointSlice points at (with
// a second, unreachable, activator). No App Runner controller runs: tests create each
// service's Deployment by hand, and no kubelet runs: no replica is ever ready.
func TestMain(m *testing.M) {
	srv := httptest.NewServer(stats)
	_, p, _ := net.SplitHostPort(srv.Listener.Addr().String())
	port, _ := strconv.Atoi(p)
	loopback := &net.Dialer{Timeout: time.Second}
	httpClient := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr != net.JoinHostPort(activatorIP, p) {
				return nil, fmt.Errorf("dial %s: test activator unreachable", addr)
			}
			return loopback.DialContext(ctx, network, srv.Listener.Addr().String())
		},
	}}
	testenv.Main(m, &env, func(ctx context.Context, mgr ctrl.Manager) error {
		activatorSvc := types.NamespacedName{Namespace: "kube-ecs-system", Name: "kube-ecs-activator"}
		if err := createActivatorEndpoints(ctx, env.Client, activatorSvc, port); err != nil {
			return err
		}
		recorded.Next = mgr.GetEventRecorder("kube-ecs")
		return (&autoscaler.Autoscaler{
			Client: mgr.GetClient(), Recorder: recorded, Clock: clock.RealClock{},
			Config: config, Interval: 100 * time.Millisecond,
			ActivatorService: activatorSvc, StatsPort: port, HTTPClient: httpClient,
		}).SetupWithManager(mgr)
	})
}

// createActivatorEndpoints creates the activator's namespace and an EndpointSlice of its
// Service: the test activator, an unreachable one and a terminating one.
func createActivatorEndpoints(ctx context.Context, c client.Client, svc types.NamespacedName, port int) error {
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: svc.Namespace}}); err != nil {
		return fmt.Errorf("creating the activator namespace: %w", err)
	}
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: svc.Namespace, Name: svc.Name + "-test",
			Labels: map[string]string{discoveryv1.LabelServiceName: svc.Name},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{
			{Addresses: []string{activatorIP}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}},
			{Addresses: []string{unreachableActivatorIP}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}},
			{Addresses: []string{terminatingActivatorIP}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(false), Serving: ptr.To(true), Terminating: ptr.To(true)}},
		},
		Ports: []discoveryv1.EndpointPort{{Name: ptr.To("stats"), Port: ptr.To(int32(port)), Protocol: ptr.To(corev1.ProtocolTCP)}},
	}
	if err := c.Create(ctx, slice); err != nil {
		return fmt.Errorf("creating the activator endpoint slice: %w", err)
	}
	return nil
}

// fakeActivator serves Stats with the in-flight requests a test sets.
type fakeActivator struct {
	mu       sync.Mutex
	inFlight map[types.NamespacedName]int64
}

func (f *fakeActivator) set(namespace, name string, n int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inFlight[types.NamespacedName{Namespace: namespace, Name: name}] = n
}

func (f *fakeActivator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != apprunner.StatsPath {
		http.NotFound(w, r)
		return
	}
	f.mu.Lock()
	s := apprunner.Stats{Services: []apprunner.ServiceStats{}}
	for k, n := range f.inFlight {
		s.Services = append(s.Services, apprunner.ServiceStats{Namespace: k.Namespace, Name: k.Name, InFlight: n})
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s)
}
