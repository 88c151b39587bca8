//go:build envtest

package spot_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/controllers/spot"
	"github.com/kube-ecs/kube-ecs/internal/capacity"
	"github.com/kube-ecs/kube-ecs/internal/lifecycle"
	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

// newNode creates a node in pool (empty: none), deleted after the test.
func newNode(t *testing.T, name, pool string) *corev1.Node {
	t.Helper()
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{}}}
	if pool != "" {
		n.Labels[capacity.PoolLabel] = pool
		n.Spec.Taints = []corev1.Taint{{Key: capacity.PoolLabel, Value: pool, Effect: corev1.TaintEffectNoSchedule}}
	}
	if err := env.Client.Create(ctx, n); err != nil {
		t.Fatalf("creating node %s: %v", name, err)
	}
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), n) })
	return n
}

// runningPod creates a pod of provider bound to node, with a running status.
func runningPod(t *testing.T, ns, name, node, provider string) *corev1.Pod {
	t.Helper()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{ecsv1alpha1.CapacityProviderLabel: provider}},
		Spec: corev1.PodSpec{
			NodeName:                      node,
			TerminationGracePeriodSeconds: ptrTo(int64(30)),
			Containers:                    []corev1.Container{{Name: "web", Image: "busybox"}},
			Tolerations:                   []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
		},
	}
	env.Create(t, p)
	p.Status = corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{
		{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()},
	}}
	if err := env.Client.Status().Update(ctx, p); err != nil {
		t.Fatalf("setting the status of pod %s: %v", name, err)
	}
	return p
}

func ptrTo[T any](v T) *T { return &v }

func annotate(t *testing.T, node string) time.Time {
	t.Helper()
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: node}}
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:"now"}}}`, ecsv1alpha1.SpotInterruptionAnnotation)
	if err := env.Client.Patch(ctx, n, client.RawPatch("application/merge-patch+json", []byte(patch))); err != nil {
		t.Fatalf("annotating node %s: %v", node, err)
	}
	return time.Now()
}

func getNode(t *testing.T, name string) *corev1.Node {
	t.Helper()
	n := &corev1.Node{}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: name}, n); err != nil {
		t.Fatalf("reading node %s: %v", name, err)
	}
	return n
}

func notice(p *corev1.Pod) *corev1.PodCondition {
	for i, c := range p.Status.Conditions {
		if c.Type == corev1.DisruptionTarget {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

// TestInterruptSpotNode follows one interruption: the notice on the Spot tasks only, the
// node tainted until the reclaim, then the tasks still there killed and the node open again.
func TestInterruptSpotNode(t *testing.T) {
	ns := env.NewNamespace(t, "spot")
	node := newNode(t, ns+"-spot", "fargate-spot")
	spotPod := runningPod(t, ns, "spot-task", node.Name, ecsv1alpha1.CapacityProviderFargateSpot)
	other := runningPod(t, ns, "other", node.Name, "")

	asked := annotate(t, node.Name)
	testenv.Eventually(t, timeout, func() error {
		n := getNode(t, node.Name)
		if !spot.Tainted(n) || n.Annotations[ecsv1alpha1.SpotReclaimAtAnnotation] == "" {
			return fmt.Errorf("node taints %v, annotations %v: want the interruption taint and reclaim time", n.Spec.Taints, n.Annotations)
		}
		return nil
	})
	reclaimAt, err := time.Parse(time.RFC3339, getNode(t, node.Name).Annotations[ecsv1alpha1.SpotReclaimAtAnnotation])
	if err != nil {
		t.Fatal(err)
	}
	// The reclaim is the configured warning after the controller saw the annotation (rounded
	// up to the second): never sooner after the annotation, and later only by how long the
	// controller took to see it, which a busy machine stretches (bounded by the timeout).
	if d := reclaimAt.Sub(asked); d < warning-2*time.Second || d > warning+timeout {
		t.Errorf("reclaim at %s, %s after the annotation; want the %s warning from when the controller saw it", reclaimAt, d, warning)
	}
	testenv.Eventually(t, timeout, func() error {
		p := &corev1.Pod{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(spotPod), p); err != nil {
			return err
		}
		c := notice(p)
		if c == nil || c.Status != corev1.ConditionTrue || c.Reason != "SpotInterruption" || c.Message != lifecycle.ReasonSpotInterruption {
			return fmt.Errorf("DisruptionTarget condition %+v, want True SpotInterruption %q", c, lifecycle.ReasonSpotInterruption)
		}
		// Its other conditions are kept (a strategic merge of the list).
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady {
				return nil
			}
		}
		return fmt.Errorf("the pod lost its Ready condition: %+v", p.Status.Conditions)
	})
	// Nothing stops the task here (no task controller): the reclaim kills it.
	testenv.Eventually(t, timeout, func() error {
		p := &corev1.Pod{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(spotPod), p); !apierrors.IsNotFound(err) {
			return fmt.Errorf("the interrupted task's pod is still there (err %v)", err)
		}
		n := getNode(t, node.Name)
		if spot.Tainted(n) || n.Annotations[ecsv1alpha1.SpotReclaimAtAnnotation] != "" || n.Annotations[ecsv1alpha1.SpotInterruptionAnnotation] != "" {
			return fmt.Errorf("node taints %v, annotations %v: want the interruption over", n.Spec.Taints, n.Annotations)
		}
		return nil
	})
	if time.Now().Before(reclaimAt) {
		t.Errorf("the capacity was reclaimed before the end of the warning (%s)", reclaimAt)
	}
	p := &corev1.Pod{}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(other), p); err != nil {
		t.Fatalf("the pod that is not a Spot task was touched: %v", err)
	}
	if notice(p) != nil || p.DeletionTimestamp != nil {
		t.Errorf("the pod that is not a Spot task got %+v, deletion %v", notice(p), p.DeletionTimestamp)
	}
}

// TestInterruptOutsideSpotPool: the annotation on a node that is not Spot capacity changes
// nothing.
func TestInterruptOutsideSpotPool(t *testing.T) {
	ns := env.NewNamespace(t, "spot")
	node := newNode(t, ns+"-fargate", "fargate")
	pod := runningPod(t, ns, "task", node.Name, ecsv1alpha1.CapacityProviderFargateSpot)
	annotate(t, node.Name)
	testenv.Eventually(t, timeout, func() error {
		evs := &corev1.EventList{}
		if err := env.Client.List(ctx, evs, client.InNamespace(metav1.NamespaceDefault)); err != nil {
			return err
		}
		for _, e := range evs.Items {
			if e.InvolvedObject.Name == node.Name && e.Reason == spot.ReasonNotInPool {
				return nil
			}
		}
		return fmt.Errorf("no %s event on node %s", spot.ReasonNotInPool, node.Name)
	})
	n := getNode(t, node.Name)
	p := &corev1.Pod{}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(pod), p); err != nil {
		t.Fatal(err)
	}
	if spot.Tainted(n) || n.Annotations[ecsv1alpha1.SpotReclaimAtAnnotation] != "" || notice(p) != nil {
		t.Errorf("a node outside the Spot pool was interrupted: taints %v, annotations %v, pod condition %+v", n.Spec.Taints, n.Annotations, notice(p))
	}
}
