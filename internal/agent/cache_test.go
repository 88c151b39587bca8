package agent_test

import (
	"context"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/agent"
	"github.com/kube-ecs/kube-ecs/internal/scheme"
)

func TestNodeReader(t *testing.T) {
	ctx := context.Background()
	c := fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(node()).Build()
	clk := clocktesting.NewFakePassiveClock(now)
	r := &agent.NodeReader{Reader: c, Name: "node-a", Clock: clk, TTL: time.Minute}
	n, err := r.Get(ctx)
	if err != nil || n.Labels[ecsv1alpha1.NodeLabelZone] != "us-east-1b" {
		t.Fatalf("Get = %v, %v", n, err)
	}
	// The node cannot be read any more: the last reading is served, even past its TTL.
	if err := c.Delete(ctx, node()); err != nil {
		t.Fatal(err)
	}
	clk.SetTime(now.Add(2 * time.Minute))
	if n, err := r.Get(ctx); err != nil || n == nil {
		t.Errorf("Get after the node went = %v, %v; want the last reading", n, err)
	}
	if n, err := (&agent.NodeReader{Reader: c, Name: "node-a", Clock: clk, TTL: time.Minute}).Get(ctx); err == nil {
		t.Errorf("Get of a missing node without a reading = %v, want an error", n)
	}
}
