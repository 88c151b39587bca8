//go:build envtest

package containerinstance_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/controllers/cluster"
	"github.com/kube-ecs/kube-ecs/controllers/containerinstance"
	"github.com/kube-ecs/kube-ecs/controllers/index"
	"github.com/kube-ecs/kube-ecs/internal/arn"
	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

// agentNamespace holds the agents' Leases.
const agentNamespace = "kube-ecs-system"

const timeout = 20 * time.Second

var (
	env   *testenv.Env
	ctx   = context.Background()
	scope = arn.Scope{Region: arn.DefaultRegion, Account: arn.DefaultAccount}
)

// TestMain runs the container instance controllers, which require the agent's heartbeat,
// and the cluster controller (its finalizer holds a deleted Cluster until its instances are
// deregistered) against envtest's API server. No kubelet runs there: tests create Nodes,
// set their status, bind Pods and renew agent Leases by hand.
func TestMain(m *testing.M) {
	testenv.Main(m, &env, func(ctx context.Context, mgr ctrl.Manager) error {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: agentNamespace}}
		if err := env.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
		if err := index.Setup(ctx, mgr); err != nil {
			return err
		}
		if err := (&containerinstance.Reconciler{
			Client: mgr.GetClient(), Scope: scope, Clock: clock.RealClock{},
			AgentNamespace: agentNamespace, RequireAgent: true,
		}).SetupWithManager(mgr); err != nil {
			return err
		}
		return (&cluster.Reconciler{
			Client: mgr.GetClient(), Scope: scope, Clock: clock.RealClock{}, Recorder: mgr.GetEventRecorder("kube-ecs"),
		}).SetupWithManager(ctx, mgr)
	})
}

// testLabel marks the nodes of one test, so that its clusters select no other test's.
const testLabel = "test.kube-ecs.io/namespace"

// newNode creates a Ready node of 2 vCPUs and 4 GiB named <ns>-<suffix>, labelled with
// testLabel and labels, and deletes it after the test.
func newNode(t *testing.T, ns, suffix string, labels map[string]string) *corev1.Node {
	t.Helper()
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: ns + "-" + suffix, Labels: map[string]string{testLabel: ns}}}
	for k, v := range labels {
		n.Labels[k] = v
	}
	if err := env.Client.Create(ctx, n); err != nil {
		t.Fatalf("creating node %s: %v", n.Name, err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), n) })
	res := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("4Gi")}
	n.Status = corev1.NodeStatus{
		Capacity: res, Allocatable: res,
		Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now()}},
		NodeInfo: corev1.NodeSystemInfo{ContainerRuntimeVersion: "containerd://2.1.0"},
	}
	if err := env.Client.Status().Update(ctx, n); err != nil {
		t.Fatalf("setting the status of node %s: %v", n.Name, err)
	}
	return n
}

// updateNode changes a node with change, retrying on conflicts.
func updateNode(t *testing.T, name string, change func(*corev1.Node)) {
	t.Helper()
	testenv.Eventually(t, timeout, func() error {
		n := &corev1.Node{}
		if err := env.Client.Get(ctx, client.ObjectKey{Name: name}, n); err != nil {
			return err
		}
		change(n)
		return env.Client.Update(ctx, n)
	})
}

// provider selects the nodes of the test with label pool=<pool>.
func provider(ns, name, pool string) ecsv1alpha1.EC2CapacityProvider {
	return ecsv1alpha1.EC2CapacityProvider{Name: name, NodeSelector: metav1.LabelSelector{
		MatchLabels: map[string]string{testLabel: ns, "pool": pool},
	}}
}

func newCluster(ns, name string, providers ...ecsv1alpha1.EC2CapacityProvider) *ecsv1alpha1.Cluster {
	return &ecsv1alpha1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       ecsv1alpha1.ClusterSpec{EC2CapacityProviders: providers},
	}
}

// waitInstance waits until check accepts the container instance ns/name and returns it.
func waitInstance(t *testing.T, ns, name string, check func(*ecsv1alpha1.ContainerInstance) error) *ecsv1alpha1.ContainerInstance {
	t.Helper()
	ci := &ecsv1alpha1.ContainerInstance{}
	testenv.Eventually(t, timeout, func() error {
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, ci); err != nil {
			return err
		}
		return check(ci)
	})
	return ci
}

// registeredTo checks that an instance belongs to cluster, through provider.
func registeredTo(cluster, provider string) func(*ecsv1alpha1.ContainerInstance) error {
	return func(ci *ecsv1alpha1.ContainerInstance) error {
		if ci.Spec.Cluster != cluster || ci.Spec.CapacityProviderName != provider || ci.Labels[ecsv1alpha1.ClusterLabel] != cluster {
			return fmt.Errorf("instance of cluster %q (label %q) through provider %q, want %q through %q",
				ci.Spec.Cluster, ci.Labels[ecsv1alpha1.ClusterLabel], ci.Spec.CapacityProviderName, cluster, provider)
		}
		return nil
	}
}

// lease is an agent's heartbeat Lease for node, renewed at renewed.
func lease(node string, renewed time.Time, seconds int32) *coordinationv1.Lease {
	return &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: ecsv1alpha1.AgentLeasePrefix + node, Namespace: agentNamespace,
			Annotations: map[string]string{ecsv1alpha1.AgentVersionAnnotation: "0.9.0"}},
		Spec: coordinationv1.LeaseSpec{
			HolderIdentity:       ptr.To(node),
			LeaseDurationSeconds: ptr.To(seconds),
			AcquireTime:          ptr.To(metav1.NewMicroTime(renewed)),
			RenewTime:            ptr.To(metav1.NewMicroTime(renewed)),
		},
	}
}
