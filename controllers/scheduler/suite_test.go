//go:build envtest

package scheduler_test

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
	"github.com/kube-ecs/kube-ecs/controllers/containerinstance"
	"github.com/kube-ecs/kube-ecs/controllers/index"
	"github.com/kube-ecs/kube-ecs/controllers/scheduler"
	"github.com/kube-ecs/kube-ecs/internal/arn"
	"github.com/kube-ecs/kube-ecs/internal/capacity"
	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

// agentNamespace holds the agents' Leases.
const agentNamespace = "kube-ecs-system"

const timeout = 20 * time.Second

var (
	env *testenv.Env
	ctx = context.Background()
)

// TestMain runs the container instance controllers (the agent required) and the scheduler
// against envtest's API server. No kubelet and no agent run there: tests create Nodes and
// the agents' Leases by hand; pods stay where the scheduler binds them.
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
			Client: mgr.GetClient(), Scope: arn.Scope{Region: arn.DefaultRegion, Account: arn.DefaultAccount},
			Clock: clock.RealClock{}, AgentNamespace: agentNamespace, RequireAgent: true,
		}).SetupWithManager(mgr); err != nil {
			return err
		}
		return (&scheduler.Scheduler{
			Client: mgr.GetClient(), Clock: clock.RealClock{}, Recorder: mgr.GetEventRecorder("kube-ecs"),
		}).SetupWithManager(mgr)
	})
}

// testLabel marks the nodes of one test, so that its cluster selects no other test's.
const testLabel = "test.kube-ecs.io/namespace"

// nodeSpec is a node of a test.
type nodeSpec struct {
	suffix, cpu, memory string
	labels              map[string]string
	// disconnected: no agent heartbeats on the node.
	disconnected bool
}

// setup creates the test's Ready nodes (named <ns>-<suffix>), their agents' Leases (valid an
// hour) unless disconnected, and cluster "default" selecting them; it waits until every
// node is an instance of the cluster that reports its agent. It returns the node names.
func setup(t *testing.T, ns string, nodes ...nodeSpec) []string {
	t.Helper()
	var names []string
	for _, s := range nodes {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: ns + "-" + s.suffix, Labels: map[string]string{testLabel: ns}}}
		for k, v := range s.labels {
			n.Labels[k] = v
		}
		if err := env.Client.Create(ctx, n); err != nil {
			t.Fatalf("creating node %s: %v", n.Name, err)
		}
		t.Cleanup(func() { _ = env.Client.Delete(context.Background(), n) })
		res := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(s.cpu), corev1.ResourceMemory: resource.MustParse(s.memory)}
		n.Status = corev1.NodeStatus{Capacity: res, Allocatable: res,
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
				LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now()}}}
		if err := env.Client.Status().Update(ctx, n); err != nil {
			t.Fatalf("setting the status of node %s: %v", n.Name, err)
		}
		if !s.disconnected {
			now := metav1.NewMicroTime(time.Now())
			l := &coordinationv1.Lease{
				ObjectMeta: metav1.ObjectMeta{Name: ecsv1alpha1.AgentLeasePrefix + n.Name, Namespace: agentNamespace},
				Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To(n.Name), LeaseDurationSeconds: ptr.To[int32](3600),
					AcquireTime: &now, RenewTime: &now},
			}
			if err := env.Client.Create(ctx, l); err != nil {
				t.Fatalf("creating the lease of %s: %v", n.Name, err)
			}
			t.Cleanup(func() { _ = env.Client.Delete(context.Background(), l) })
		}
		names = append(names, n.Name)
	}
	cl := &ecsv1alpha1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: ns},
		Spec: ecsv1alpha1.ClusterSpec{EC2CapacityProviders: []ecsv1alpha1.EC2CapacityProvider{{
			Name: "nodes", NodeSelector: metav1.LabelSelector{MatchLabels: map[string]string{testLabel: ns}},
		}}},
	}
	if err := env.Client.Create(ctx, cl); err != nil {
		t.Fatalf("creating the cluster: %v", err)
	}
	for i, name := range names {
		testenv.Eventually(t, timeout, func() error {
			ci := &ecsv1alpha1.ContainerInstance{}
			if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, ci); err != nil {
				return err
			}
			if ci.Status.ObservedGeneration != ci.Generation || len(ci.Status.RegisteredResources) == 0 || ci.Status.AgentConnected == nodes[i].disconnected {
				return fmt.Errorf("instance %s: status not computed yet (agentConnected %t)", name, ci.Status.AgentConnected)
			}
			return nil
		})
	}
	return names
}

// taskPod is a pod the ECS scheduler places: of cluster "default", in group, placed by
// scheduling, requesting memory (and cpu when not empty).
func taskPod(ns, name, group string, scheduling capacity.Scheduling, cpu, memory string) *corev1.Pod {
	req := corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(memory)}
	if cpu != "" {
		req[corev1.ResourceCPU] = resource.MustParse(cpu)
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: ns,
			Labels: map[string]string{ecsv1alpha1.ClusterLabel: "default"},
			Annotations: map[string]string{
				ecsv1alpha1.GroupAnnotation:     group,
				ecsv1alpha1.PlacementAnnotation: scheduling.Annotation(),
			},
		},
		Spec: corev1.PodSpec{
			SchedulerName: ecsv1alpha1.SchedulerName,
			Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:1",
				Resources: corev1.ResourceRequirements{Requests: req}}},
		},
	}
}

// pods lists the pods of the namespace.
func pods(t *testing.T, ns string) []corev1.Pod {
	t.Helper()
	list := &corev1.PodList{}
	if err := env.Client.List(ctx, list, client.InNamespace(ns)); err != nil {
		t.Fatalf("listing pods: %v", err)
	}
	return list.Items
}

// waitBound waits until every named pod is bound and returns node by pod.
func waitBound(t *testing.T, ns string, names ...string) map[string]string {
	t.Helper()
	nodes := map[string]string{}
	testenv.Eventually(t, timeout, func() error {
		for _, name := range names {
			p := &corev1.Pod{}
			if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, p); err != nil {
				return err
			}
			if p.Spec.NodeName == "" {
				return fmt.Errorf("pod %s not bound (conditions %+v)", name, p.Status.Conditions)
			}
			nodes[name] = p.Spec.NodeName
		}
		return nil
	})
	return nodes
}

// unschedulable returns the pod's PodScheduled=False Unschedulable condition message, or
// an error when it has none.
func unschedulable(p *corev1.Pod) (string, error) {
	if p.Spec.NodeName != "" {
		return "", fmt.Errorf("pod %s is bound to %s", p.Name, p.Spec.NodeName)
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return c.Message, nil
		}
	}
	return "", fmt.Errorf("pod %s has no PodScheduled=False Unschedulable condition: %+v", p.Name, p.Status.Conditions)
}

// waitUnschedulable waits until the pod is reported unschedulable and returns the message.
func waitUnschedulable(t *testing.T, ns, name string) string {
	t.Helper()
	var msg string
	testenv.Eventually(t, timeout, func() error {
		p := &corev1.Pod{}
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, p); err != nil {
			return err
		}
		var err error
		msg, err = unschedulable(p)
		return err
	})
	return msg
}
