//go:build envtest

package agent_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/go-logr/logr"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/agent"
	"github.com/kube-ecs/kube-ecs/internal/scheme"
	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

// TestAgentOnAPIServer runs the heartbeat and the node cache against a real API server.
func TestAgentOnAPIServer(t *testing.T) {
	env, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping envtest: %v", err)
		}
	})
	t.Run("heartbeat", func(t *testing.T) { testHeartbeatOnAPIServer(t, env) })
	t.Run("node cache", func(t *testing.T) { testNodeCache(t, env) })
}

// testHeartbeatOnAPIServer: the Lease appears with the agent's fields, its renewTime moves
// every interval, and it is gone once the agent stops.
func testHeartbeatOnAPIServer(t *testing.T, env *testenv.Env) {
	ns := env.NewNamespace(t, "agent")
	spec := agent.LeaseSpec{Namespace: ns, Node: "node-a", Timeout: 2 * time.Second, Version: "v9.9.9"}
	h := &agent.Heartbeat{Client: env.Client, Clock: clock.RealClock{}, Spec: spec, Interval: 200 * time.Millisecond, Log: logr.Discard()}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()

	key := client.ObjectKey{Namespace: ns, Name: "agent-node-a"}
	var first *coordinationv1.Lease
	testenv.Eventually(t, 10*time.Second, func() error {
		l := &coordinationv1.Lease{}
		if err := env.Client.Get(ctx, key, l); err != nil {
			return err
		}
		first = l
		return nil
	})
	if got := *first.Spec.HolderIdentity; got != "node-a" {
		t.Errorf("holderIdentity %q", got)
	}
	if got := *first.Spec.LeaseDurationSeconds; got != 2 {
		t.Errorf("leaseDurationSeconds %d, want 2", got)
	}
	if first.Annotations[ecsv1alpha1.AgentVersionAnnotation] != "v9.9.9" || first.Labels[agent.NameLabel] != agent.LeaseNameLabelValue {
		t.Errorf("labels %v annotations %v", first.Labels, first.Annotations)
	}
	testenv.Eventually(t, 10*time.Second, func() error {
		l := &coordinationv1.Lease{}
		if err := env.Client.Get(ctx, key, l); err != nil {
			return err
		}
		if !l.Spec.RenewTime.After(first.Spec.RenewTime.Time) {
			return fmt.Errorf("renewTime still %s", l.Spec.RenewTime)
		}
		return nil
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the heartbeat did not stop")
	}
	if err := env.Client.Get(context.Background(), key, &coordinationv1.Lease{}); !apierrors.IsNotFound(err) {
		t.Errorf("the Lease outlived the agent: %v", err)
	}
}

// testNodeCache: the cache holds the node's own pods only, found by UID; the node is read
// with get and kept for its TTL.
func testNodeCache(t *testing.T, env *testenv.Env) {
	ns := env.NewNamespace(t, "agent-cache")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, n := range []string{"node-a", "node-b"} {
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n, Labels: map[string]string{ecsv1alpha1.NodeLabelZone: "zone-" + n}}}
		if err := env.Client.Create(ctx, node); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	pods := map[string]*corev1.Pod{}
	for _, p := range []struct{ name, node string }{{"mine", "node-a"}, {"other", "node-b"}, {"unscheduled", ""}} {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: p.name},
			Spec:       corev1.PodSpec{NodeName: p.node, Containers: []corev1.Container{{Name: "c", Image: "img"}}},
		}
		if err := env.Client.Create(ctx, pod); err != nil {
			t.Fatal(err)
		}
		pods[p.name] = pod
	}
	c, err := agent.NewNodeCache(ctx, env.Config, scheme.New(), "node-a")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		t.Fatal("the cache did not sync")
	}
	byUID := agent.PodByUID(c)
	testenv.Eventually(t, 10*time.Second, func() error {
		got, err := byUID(ctx, string(pods["mine"].UID))
		if err != nil || got == nil || got.Name != "mine" {
			return fmt.Errorf("PodByUID(mine) = %v, %v", got, err)
		}
		return nil
	})
	for _, other := range []string{"other", "unscheduled"} {
		if got, err := byUID(ctx, string(pods[other].UID)); err != nil || got != nil {
			t.Errorf("PodByUID(%s) = %v, %v; want nothing: the pod is not on node-a", other, got, err)
		}
	}
	clk := clocktesting.NewFakePassiveClock(time.Now())
	nodes := &agent.NodeReader{Reader: env.Client, Name: "node-a", Clock: clk, TTL: time.Minute}
	node, err := nodes.Get(ctx)
	if err != nil || node.Labels[ecsv1alpha1.NodeLabelZone] != "zone-node-a" {
		t.Fatalf("NodeReader.Get = %v, %v", node, err)
	}
	moved := node.DeepCopy()
	moved.Labels[ecsv1alpha1.NodeLabelZone] = "zone-moved"
	if err := env.Client.Update(ctx, moved); err != nil {
		t.Fatal(err)
	}
	if got, _ := nodes.Get(ctx); got.Labels[ecsv1alpha1.NodeLabelZone] != "zone-node-a" {
		t.Errorf("the node was read again within its TTL: zone %s", got.Labels[ecsv1alpha1.NodeLabelZone])
	}
	clk.SetTime(clk.Now().Add(time.Minute))
	if got, _ := nodes.Get(ctx); got.Labels[ecsv1alpha1.NodeLabelZone] != "zone-moved" {
		t.Errorf("the node was not read again after its TTL: zone %s", got.Labels[ecsv1alpha1.NodeLabelZone])
	}
}
