//go:build envtest

package scheduler_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/capacity"
	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

func strategy(s ...ecsv1alpha1.PlacementStrategy) capacity.Scheduling {
	return capacity.Scheduling{Strategy: s}
}

// countBy counts the pods by node.
func countBy(nodes map[string]string) map[string]int {
	n := map[string]int{}
	for _, node := range nodes {
		n[node]++
	}
	return n
}

// TestBinpack: binpack on memory fills the instance with the least memory left first, the
// tasks created at once included.
func TestBinpack(t *testing.T) {
	ns := env.NewNamespace(t, "sched-binpack")
	nodes := setup(t, ns,
		nodeSpec{suffix: "a", cpu: "4", memory: "4Gi"},
		nodeSpec{suffix: "b", cpu: "4", memory: "3Gi"},
		nodeSpec{suffix: "c", cpu: "4", memory: "8Gi"})
	s := strategy(ecsv1alpha1.PlacementStrategy{Type: ecsv1alpha1.PlacementStrategyBinpack, Field: "memory"})
	var names []string
	for i := range 3 {
		name := fmt.Sprintf("batch-%d", i)
		env.Create(t, taskPod(ns, name, "family:batch", s, "", "1Gi"))
		names = append(names, name)
	}
	if got, want := countBy(waitBound(t, ns, names...)), map[string]int{nodes[1]: 3}; !maps(got, want) {
		t.Errorf("tasks by instance %v, want all on %s, the instance with the least memory", got, nodes[1])
	}

	t.Log("The full instance takes no more: the next least-filled one does.")
	env.Create(t, taskPod(ns, "batch-3", "family:batch", s, "", "1Gi"))
	if got := waitBound(t, ns, "batch-3")["batch-3"]; got != nodes[0] {
		t.Errorf("batch-3 bound to %s, want %s (b is full, a has less memory left than c)", got, nodes[0])
	}
}

func maps(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestSpread: ECS's service strategy spreads a group's tasks over the availability zones,
// then over the instances of each zone.
func TestSpread(t *testing.T) {
	ns := env.NewNamespace(t, "sched-spread")
	zone := func(z string) map[string]string { return map[string]string{ecsv1alpha1.NodeLabelZone: z} }
	nodes := setup(t, ns,
		nodeSpec{suffix: "a", cpu: "4", memory: "8Gi", labels: zone("us-east-1a")},
		nodeSpec{suffix: "b", cpu: "4", memory: "8Gi", labels: zone("us-east-1a")},
		nodeSpec{suffix: "c", cpu: "4", memory: "8Gi", labels: zone("us-east-1b")})
	s := strategy(capacity.ServiceStrategy...)
	var names []string
	for i := range 8 {
		name := fmt.Sprintf("web-%d", i)
		env.Create(t, taskPod(ns, name, "service:web", s, "100m", "128Mi"))
		names = append(names, name)
	}
	// Another group's tasks do not count.
	env.Create(t, taskPod(ns, "worker", "service:worker", s, "100m", "128Mi"))
	got := countBy(waitBound(t, ns, names...))
	if want := map[string]int{nodes[0]: 2, nodes[1]: 2, nodes[2]: 4}; !maps(got, want) {
		t.Errorf("tasks of service:web by instance %v, want %v (4 per zone, spread over the zone's instances)", got, want)
	}
	waitBound(t, ns, "worker")
}

// TestMemberOf: tasks go only to the instances their memberOf expressions match; a task
// that no instance matches waits, saying why.
func TestMemberOf(t *testing.T) {
	ns := env.NewNamespace(t, "sched-memberof")
	nodes := setup(t, ns,
		nodeSpec{suffix: "a", cpu: "4", memory: "8Gi", labels: map[string]string{ecsv1alpha1.NodeLabelInstanceType: "m5.large"}},
		nodeSpec{suffix: "b", cpu: "4", memory: "8Gi", labels: map[string]string{ecsv1alpha1.NodeLabelInstanceType: "c5.xlarge"}})
	memberOf := func(expr string) capacity.Scheduling {
		return capacity.Scheduling{
			Constraints: []ecsv1alpha1.PlacementConstraint{{Type: ecsv1alpha1.PlacementConstraintMemberOf, Expression: expr}},
			Strategy:    capacity.TaskStrategy,
		}
	}
	var names []string
	for i := range 4 {
		name := fmt.Sprintf("compute-%d", i)
		env.Create(t, taskPod(ns, name, "family:compute", memberOf("attribute:ecs.instance-type =~ c5.*"), "", "256Mi"))
		names = append(names, name)
	}
	if got, want := countBy(waitBound(t, ns, names...)), map[string]int{nodes[1]: 4}; !maps(got, want) {
		t.Errorf("tasks by instance %v, want %v: all on the only c5", got, want)
	}

	env.Create(t, taskPod(ns, "gpu", "family:gpu", memberOf("attribute:ecs.instance-type =~ p3.*"), "", "256Mi"))
	msg := waitUnschedulable(t, ns, "gpu")
	if !strings.Contains(msg, "does not satisfy the placement constraints") {
		t.Errorf("message %q, want one about the placement constraints", msg)
	}
}

// TestNoDoubleBooking: twenty tasks created at once, each a quarter of an instance's memory,
// on four instances: sixteen are placed, no instance takes more than it has, and the four
// others wait, saying that memory is short. A stopped task makes room for one of them.
func TestNoDoubleBooking(t *testing.T) {
	ns := env.NewNamespace(t, "sched-booking")
	var specs []nodeSpec
	for _, s := range []string{"a", "b", "c", "d"} {
		specs = append(specs, nodeSpec{suffix: s, cpu: "4", memory: "4Gi"})
	}
	nodes := setup(t, ns, specs...)
	// Binpack sends every task to the fullest instance that fits: a binding the decision
	// did not count would over-commit it.
	s := strategy(ecsv1alpha1.PlacementStrategy{Type: ecsv1alpha1.PlacementStrategyBinpack, Field: "memory"})
	for i := range 20 {
		env.Create(t, taskPod(ns, fmt.Sprintf("job-%02d", i), "family:job", s, "", "1Gi"))
	}

	check := func(bound, waitingWant int) error {
		perNode := map[string]int{}
		var waiting []string
		for _, p := range pods(t, ns) {
			if p.Spec.NodeName != "" {
				perNode[p.Spec.NodeName]++
				continue
			}
			msg, err := unschedulable(&p)
			if err != nil {
				return err
			}
			if !strings.Contains(msg, "insufficient memory") {
				return fmt.Errorf("pod %s waits with message %q, want one about insufficient memory", p.Name, msg)
			}
			waiting = append(waiting, p.Name)
		}
		n := 0
		for node, c := range perNode {
			if !slices.Contains(nodes, node) {
				return fmt.Errorf("%d pods bound to %s, not an instance of the cluster", c, node)
			}
			if c > 4 {
				t.Fatalf("instance %s over-committed: %d pods of 1Gi on 4Gi", node, c)
			}
			n += c
		}
		if n != bound || len(waiting) != waitingWant {
			return fmt.Errorf("%d pods bound %v, %d waiting; want %d bound, %d waiting", n, perNode, len(waiting), bound, waitingWant)
		}
		return nil
	}
	testenv.Eventually(t, timeout, func() error { return check(16, 4) })

	t.Log("The instances report what their tasks take.")
	for _, node := range nodes {
		testenv.Eventually(t, timeout, func() error {
			ci := &ecsv1alpha1.ContainerInstance{}
			if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: node}, ci); err != nil {
				return err
			}
			for _, r := range ci.Status.RemainingResources {
				if r.Name == "MEMORY" && (r.IntegerValue == nil || *r.IntegerValue != 0) {
					return fmt.Errorf("instance %s has %v MiB left, want 0", node, r.IntegerValue)
				}
			}
			if ci.Status.PendingTasksCount != 4 {
				return fmt.Errorf("instance %s has %d pending tasks, want 4", node, ci.Status.PendingTasksCount)
			}
			return nil
		})
	}

	t.Log("A task that stops makes room for exactly one waiting task.")
	var victim corev1.Pod
	for _, p := range pods(t, ns) {
		if p.Spec.NodeName != "" {
			victim = p
			break
		}
	}
	if err := env.Client.Delete(ctx, &victim, client.GracePeriodSeconds(0)); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, timeout, func() error {
		if len(pods(t, ns)) != 19 {
			return fmt.Errorf("the stopped task's pod is not gone yet")
		}
		return check(16, 3)
	})
}

// TestDisconnectedAgent: an instance whose agent does not heartbeat takes no task, and the
// task says so with ECS's AGENT error.
func TestDisconnectedAgent(t *testing.T) {
	ns := env.NewNamespace(t, "sched-agent")
	setup(t, ns, nodeSpec{suffix: "a", cpu: "4", memory: "4Gi", disconnected: true})
	env.Create(t, taskPod(ns, "web", "service:web", strategy(capacity.ServiceStrategy...), "", "256Mi"))
	msg := waitUnschedulable(t, ns, "web")
	if !strings.Contains(msg, `encountered error "AGENT"`) {
		t.Errorf("message %q, want ECS's AGENT error", msg)
	}
}
