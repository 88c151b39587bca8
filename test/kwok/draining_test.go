//go:build kwok

package kwok

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

const serviceYAML = `
apiVersion: ecs.kube-ecs.io/v1alpha1
kind: Service
metadata:
  name: web
spec:
  cluster: default
  taskDefinition: worker
  desiredCount: 20
  launchType: EC2
`

const serviceDesired = 20

// serviceState is the service's view of its tasks: the status it reports and its pods.
type serviceState struct {
	running     int32 // status.runningCount
	pods        int   // pods of the service, terminating ones included
	runningPods int   // bound, Running and not terminating
	onNode      int   // pods of the service on the watched node, terminating ones included
}

func getServiceState(t *testing.T, ns, node string) serviceState {
	t.Helper()
	svc := &ecsv1alpha1.Service{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "web"}, svc); err != nil {
		t.Fatalf("reading service web: %v", err)
	}
	s := serviceState{running: svc.Status.RunningCount}
	for _, p := range listPods(t, ns, ecsv1alpha1.ServiceLabel) {
		s.pods++
		if podRunning(&p) {
			s.runningPods++
		}
		if node != "" && p.Spec.NodeName == node {
			s.onNode++
		}
	}
	return s
}

func (s serviceState) String() string {
	return fmt.Sprintf("runningCount %d, %d pods (%d running), %d on the drained node", s.running, s.pods, s.runningPods, s.onNode)
}

func patchInstanceStatus(t *testing.T, ns, node string, status ecsv1alpha1.DesiredContainerInstanceStatus) {
	t.Helper()
	if _, err := kubectl("-n", ns, "patch", "containerinstances.ecs.kube-ecs.io", node, "--type=merge",
		"-p", fmt.Sprintf(`{"spec":{"status":%q}}`, status)); err != nil {
		t.Fatal(err)
	}
}

// TestDrainingInstance: a container instance set to DRAINING loses its service tasks, which
// the service replaces on other instances, keeps its standalone tasks, and takes no new
// task until it is ACTIVE again (UpdateContainerInstancesState).
func TestDrainingInstance(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t, "draining")

	start := time.Now()
	create(t, ns, serviceYAML, &ecsv1alpha1.Service{})
	eventually(t, 3*time.Minute, fmt.Sprintf("service web at %d running tasks", serviceDesired), func() (bool, string, error) {
		s := getServiceState(t, ns, "")
		return s.running == serviceDesired && s.pods == serviceDesired && s.runningPods == serviceDesired, s.String(), nil
	})
	t.Logf("service web: %d tasks RUNNING in %s", serviceDesired, since(start))

	// The node to drain: the first (by name) that runs a service task.
	var node string
	for _, p := range listPods(t, ns, ecsv1alpha1.ServiceLabel) {
		if node == "" || p.Spec.NodeName < node {
			node = p.Spec.NodeName
		}
	}
	target, ok := nodeByName(node)
	if !ok {
		t.Fatalf("service pods run on %q, not a node of the fleet", node)
	}
	pinned := placementSpec{constraints: []ecsv1alpha1.PlacementConstraint{
		{Type: ecsv1alpha1.PlacementConstraintMemberOf, Expression: "ec2InstanceId == " + target.instanceID},
	}}
	standalone := taskNames("pinned", 1, 6)
	runTasks(t, ns, standalone, pinned)
	waitTasksRunning(t, ns, standalone, time.Now(), 2*time.Minute)
	uids := map[string]types.UID{}
	for _, name := range standalone {
		pod := getPod(t, ns, name)
		if pod.Spec.NodeName != node {
			t.Fatalf("task %s pinned to %s (%s) runs on %s", name, node, target.instanceID, pod.Spec.NodeName)
		}
		uids[name] = pod.UID
	}
	before := getServiceState(t, ns, node)
	t.Logf("node %s (%s, %s): %d service tasks and %d standalone tasks before draining", node, target.instanceID, target.zone, before.onNode, len(standalone))

	drainStart := time.Now()
	patchInstanceStatus(t, ns, node, ecsv1alpha1.DesiredContainerInstanceDraining)
	eventually(t, time.Minute, "container instance "+node+" to report DRAINING", func() (bool, string, error) {
		ci := &ecsv1alpha1.ContainerInstance{}
		err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: node}, ci)
		return err == nil && ci.Status.Status == ecsv1alpha1.ContainerInstanceDraining, "status " + string(ci.Status.Status), err
	})
	// The service notices at once (it watches container instances): its workloads surge by
	// one task per task on the draining instance, to start the replacements elsewhere
	// before those tasks stop (minimumHealthyPercent 100).
	eventually(t, 15*time.Second, "service web to surge for the draining instance", func() (bool, string, error) {
		deps := &appsv1.DeploymentList{}
		if err := k8s.List(ctx, deps, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.ServiceLabel: "web"}); err != nil {
			return false, "", err
		}
		var replicas int32
		for _, d := range deps.Items {
			if d.Spec.Replicas != nil {
				replicas += *d.Spec.Replicas
			}
		}
		return replicas == serviceDesired+int32(before.onNode), fmt.Sprintf("workloads ask for %d tasks", replicas), nil
	})
	surged := since(drainStart)
	var after serviceState
	eventually(t, 2*time.Minute, "the service tasks to leave "+node+" and be replaced", func() (bool, string, error) {
		after = getServiceState(t, ns, node)
		return after.onNode == 0 && after.running == serviceDesired && after.pods == serviceDesired && after.runningPods == serviceDesired, after.String(), nil
	})
	drained := since(drainStart)

	// The standalone tasks stay where they were, untouched: ECS drains only service tasks.
	stillThere := 0
	for _, name := range standalone {
		task := getTask(t, ns, name)
		pod := getPod(t, ns, name)
		switch {
		case task.Status.LastStatus != ecsv1alpha1.TaskRunning:
			t.Errorf("standalone task %s is %s on the draining instance, want RUNNING", name, task.Status.LastStatus)
		case pod == nil || pod.UID != uids[name] || !podRunning(pod) || pod.Spec.NodeName != node:
			t.Errorf("the pod of standalone task %s changed while %s drained: %s", name, node, podNode(pod))
		default:
			stillThere++
		}
	}

	// A DRAINING instance takes no new task, not even one pinned to it. ECS does not
	// consider draining instances at all, so the explanation names the closest instance
	// that was considered: one the memberOf constraint excludes.
	waiting := "pinned-007"
	runTasks(t, ns, []string{waiting}, pinned)
	var refused string
	eventually(t, time.Minute, "task "+waiting+" to wait while its only instance drains", func() (bool, string, error) {
		task := getTask(t, ns, waiting)
		c := placedCondition(task)
		if c == nil {
			return false, "no Placed condition yet", nil
		}
		refused = c.Message
		return c.Status == metav1.ConditionFalse && strings.Contains(c.Message, "placement constraints"), fmt.Sprintf("Placed=%s: %s", c.Status, c.Message), nil
	})
	if task := getTask(t, ns, waiting); task.Status.LastStatus != ecsv1alpha1.TaskPending {
		t.Errorf("task %s is %s while its only instance drains, want PENDING", waiting, task.Status.LastStatus)
	}
	if pod := getPod(t, ns, waiting); pod == nil || pod.Spec.NodeName != "" {
		t.Errorf("task %s was placed on a DRAINING instance: %s", waiting, podNode(pod))
	}
	t.Logf("task %s pinned to the DRAINING instance waits: %q", waiting, refused)

	// ACTIVE again: the waiting task is placed there.
	activeStart := time.Now()
	patchInstanceStatus(t, ns, node, ecsv1alpha1.DesiredContainerInstanceActive)
	waitTasksRunning(t, ns, []string{waiting}, activeStart, time.Minute)
	if pod := getPod(t, ns, waiting); pod.Spec.NodeName != node {
		t.Errorf("task %s pinned to %s runs on %s", waiting, node, pod.Spec.NodeName)
	}
	reactivated := since(activeStart)
	final := getServiceState(t, ns, node)

	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "NODE\tSERVICE TASKS ON NODE BEFORE/AFTER\tSTANDALONE ON NODE BEFORE/AFTER\tSERVICE RUNNING AFTER\tSURGE AFTER\tDRAINED AFTER\tPLACED AFTER ACTIVE IN")
	fmt.Fprintf(w, "%s (%s %s)\t%d/%d\t%d/%d\t%d/%d\t%s\t%s\t%s\n", node, target.instanceType, target.zone, before.onNode, after.onNode,
		len(standalone), stillThere, final.running, serviceDesired, surged, drained, reactivated)
	w.Flush()
	t.Logf("draining a container instance:\n%s", b.String())
	if final.running != serviceDesired || final.runningPods != serviceDesired {
		t.Errorf("service web after draining: %s, want %d running", final, serviceDesired)
	}
	if before.onNode == 0 {
		t.Errorf("no service task ran on %s before draining: nothing was drained", node)
	}
	if v := resourceViolations(t); len(v) > 0 {
		t.Errorf("resource violations: %v", v)
	}
}
