//go:build kwok

package kwok

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// The strategies under test, as a user writes them.
var (
	binpackMemory = ecsv1alpha1.PlacementStrategy{Type: ecsv1alpha1.PlacementStrategyBinpack, Field: "memory"}
	spreadZone    = ecsv1alpha1.PlacementStrategy{Type: ecsv1alpha1.PlacementStrategySpread, Field: "attribute:" + ecsv1alpha1.AttributeAvailabilityZone}
	spreadID      = ecsv1alpha1.PlacementStrategy{Type: ecsv1alpha1.PlacementStrategySpread, Field: "instanceId"}
	random        = ecsv1alpha1.PlacementStrategy{Type: ecsv1alpha1.PlacementStrategyRandom}
)

// c5Only is the memberOf expression of the constrained case.
const c5Only = "attribute:ecs.instance-type == c5.xlarge"

// row is what one strategy did with its tasks: the measurements the test prints and checks.
type row struct {
	strategy string
	tasks    int
	placed   int
	// perNode counts the placed tasks of every eligible node (the nodes the constraints
	// allow), zeros included; perZone and zoneNodes count tasks and used nodes by zone.
	perNode    map[string]int
	perZone    map[string]int
	zoneNodes  map[string]int
	nodesUsed  int
	violations []string
	phases     phases
}

func (r row) nodeMinMax() (lo, hi int) {
	first := true
	for _, n := range r.perNode {
		if first || n < lo {
			lo = n
		}
		if first || n > hi {
			hi = n
		}
		first = false
	}
	return lo, hi
}

func (r row) zoneSkew() int {
	lo, hi := -1, 0
	for _, z := range zones {
		n := r.perZone[z]
		if lo < 0 || n < lo {
			lo = n
		}
		hi = max(hi, n)
	}
	return hi - lo
}

// measure reads where the tasks of ns landed. eligible says which nodes the tasks'
// constraints allow; distinct that no two of them may share a node.
func measure(t *testing.T, ns, strategy string, tasks int, eligible func(simNode) bool, distinct bool) row {
	t.Helper()
	r := row{strategy: strategy, tasks: tasks, perNode: map[string]int{}, perZone: map[string]int{}, zoneNodes: map[string]int{}}
	for _, n := range fleet {
		if eligible == nil || eligible(n) {
			r.perNode[n.name] = 0
		}
	}
	for _, p := range listPods(t, ns, ecsv1alpha1.TaskLabel) {
		if !podRunning(&p) {
			continue
		}
		r.placed++
		n, ok := nodeByName(p.Spec.NodeName)
		switch {
		case !ok:
			r.violations = append(r.violations, fmt.Sprintf("%s on %s, not a node of the fleet", p.Name, p.Spec.NodeName))
			continue
		case eligible != nil && !eligible(n):
			r.violations = append(r.violations, fmt.Sprintf("%s on %s (%s), which its constraints exclude", p.Name, n.name, n.instanceType))
		}
		if r.perNode[n.name] == 0 {
			r.nodesUsed++
			r.zoneNodes[n.zone]++
		}
		r.perNode[n.name]++
		r.perZone[n.zone]++
	}
	if distinct {
		for _, name := range sortedKeys(r.perNode) {
			if r.perNode[name] > 1 {
				r.violations = append(r.violations, fmt.Sprintf("distinctInstance: %d tasks on %s", r.perNode[name], name))
			}
		}
	}
	r.violations = append(r.violations, resourceViolations(t)...)
	return r
}

// table formats the rows for the test's output.
func table(rows []row) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "STRATEGY\tTASKS\tPLACED\tNODES USED\t1a/1b/1c TASKS\t1a/1b/1c NODES\tPER NODE MIN/MAX\tZONE SKEW\tVIOLATIONS\tPODS CREATED/BOUND/RUNNING AFTER")
	for _, r := range rows {
		lo, hi := r.nodeMinMax()
		var tasks, nodes []string
		for _, z := range zones {
			tasks = append(tasks, fmt.Sprint(r.perZone[z]))
			nodes = append(nodes, fmt.Sprint(r.zoneNodes[z]))
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%s\t%s\t%d/%d (%d nodes)\t%d\t%d\t%s / %s / %s\n", r.strategy, r.tasks, r.placed, r.nodesUsed,
			strings.Join(tasks, "/"), strings.Join(nodes, "/"), lo, hi, len(r.perNode), r.zoneSkew(), len(r.violations),
			r.phases.created, r.phases.bound, r.phases.running)
	}
	w.Flush()
	return b.String()
}

// TestPlacementStrategies runs 100 standalone tasks with each ECS placement strategy on
// the 30 simulated instances, one fresh namespace (cluster) at a time, and checks that
// where they landed is what the strategy promises.
func TestPlacementStrategies(t *testing.T) {
	const tasks = 100
	// binpack fills a node before it opens the next; by memory alone the tasks need
	// ceil(100 * 256 MiB / 8192 MiB) = 4 nodes. An m5.large runs out of CPU (16 tasks of 128
	// units) first, which may cost one node more.
	packed := (tasks*taskMemoryMiB + int(fleet[0].memoryMiB) - 1) / int(fleet[0].memoryMiB)
	cases := []struct {
		name     string
		strategy []ecsv1alpha1.PlacementStrategy
		check    func(t *testing.T, r row)
	}{
		{"binpack(memory)", []ecsv1alpha1.PlacementStrategy{binpackMemory}, func(t *testing.T, r row) {
			if r.nodesUsed > packed+1 {
				t.Errorf("binpack(memory) used %d nodes, want at most %d (%d by memory, +1)", r.nodesUsed, packed+1, packed)
			}
		}},
		{"spread(attribute:ecs.availability-zone)", []ecsv1alpha1.PlacementStrategy{spreadZone}, func(t *testing.T, r row) {
			if s := r.zoneSkew(); s > 1 {
				t.Errorf("zones hold %v tasks: skew %d, want at most 1", r.perZone, s)
			}
		}},
		{"spread(instanceId)", []ecsv1alpha1.PlacementStrategy{spreadID}, func(t *testing.T, r row) {
			if lo, hi := r.nodeMinMax(); hi-lo > 1 {
				t.Errorf("per node: min %d, max %d tasks, want a difference of at most 1", lo, hi)
			}
		}},
		{"random", []ecsv1alpha1.PlacementStrategy{random}, func(t *testing.T, r row) {}},
		{"spread(AZ)+binpack(memory)", []ecsv1alpha1.PlacementStrategy{spreadZone, binpackMemory}, func(t *testing.T, r row) {
			if s := r.zoneSkew(); s > 1 {
				t.Errorf("zones hold %v tasks: skew %d, want at most 1", r.perZone, s)
			}
			for _, z := range zones {
				if r.zoneNodes[z] > 2 {
					t.Errorf("zone %s: %d nodes used, want at most 2 (binpack within the zone)", z, r.zoneNodes[z])
				}
			}
		}},
	}

	var rows []row
	t.Cleanup(func() { report(t, rows) })
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ns := newNamespace(t, "placement")
			names := taskNames("task", 1, tasks)
			start := time.Now()
			runTasks(t, ns, names, placementSpec{strategy: tc.strategy})
			ph := waitTasksRunning(t, ns, names, start, 3*time.Minute)
			r := measure(t, ns, tc.name, tasks, nil, false)
			r.phases = ph
			rows = append(rows, r)
			t.Logf("%s: %d/%d placed on %d nodes, tasks by zone %v; pods created %s, bound %s, RUNNING %s after the first task",
				tc.name, r.placed, tasks, r.nodesUsed, r.perZone, ph.created, ph.bound, ph.running)
			if r.placed != tasks {
				t.Errorf("%d of %d tasks placed", r.placed, tasks)
			}
			for _, v := range r.violations {
				t.Errorf("violation: %s", v)
			}
			tc.check(t, r)
		})
	}

	t.Run("memberOf(c5.xlarge)+distinctInstance", func(t *testing.T) {
		c5 := func(n simNode) bool { return n.instanceType == "c5.xlarge" }
		eligible := 0
		for _, n := range fleet {
			if c5(n) {
				eligible++
			}
		}
		ns := newNamespace(t, "placement")
		spec := placementSpec{constraints: []ecsv1alpha1.PlacementConstraint{
			{Type: ecsv1alpha1.PlacementConstraintMemberOf, Expression: c5Only},
			{Type: ecsv1alpha1.PlacementConstraintDistinctInstance},
		}}
		names := taskNames("task", 1, eligible)
		start := time.Now()
		runTasks(t, ns, names, spec)
		ph := waitTasksRunning(t, ns, names, start, 3*time.Minute)

		// One more than there are c5 instances: no instance satisfies both constraints.
		extra := taskNames("task", eligible+1, 1)[0]
		runTasks(t, ns, []string{extra}, spec)
		var msg string
		eventually(t, time.Minute, "task "+extra+" to report why it cannot be placed", func() (bool, string, error) {
			task := getTask(t, ns, extra)
			c := placedCondition(task)
			if c == nil {
				return false, "no Placed condition yet; lastStatus " + string(task.Status.LastStatus), nil
			}
			msg = c.Message
			return c.Status == metav1.ConditionFalse && strings.Contains(c.Message, "placement constraints"),
				fmt.Sprintf("Placed=%s %s: %s", c.Status, c.Reason, c.Message), nil
		})
		r := measure(t, ns, "memberOf(c5.xlarge)+distinctInstance", eligible+1, c5, true)
		r.phases = ph
		rows = append(rows, r)
		t.Logf("%d tasks on %d distinct c5.xlarge nodes, RUNNING %s after the first; task %s: %q", r.placed, r.nodesUsed, ph.running, extra, msg)

		if task := getTask(t, ns, extra); task.Status.LastStatus != ecsv1alpha1.TaskPending {
			t.Errorf("task %s is %s, want PENDING", extra, task.Status.LastStatus)
		}
		if pod := getPod(t, ns, extra); pod == nil || pod.Spec.NodeName != "" {
			t.Errorf("the pod of task %s should exist unbound, got %v", extra, podNode(pod))
		}
		if r.placed != eligible || r.nodesUsed != eligible {
			t.Errorf("%d tasks placed on %d nodes, want %d on %d", r.placed, r.nodesUsed, eligible, eligible)
		}
		for _, v := range r.violations {
			t.Errorf("violation: %s", v)
		}

		// Clusters are isolated: another namespace's cluster counts none of these tasks, so
		// its own task of the same group and constraints still finds its c5 instances free.
		other := newNamespace(t, "placement-other")
		runTasks(t, other, []string{extra}, spec)
		waitTasksRunning(t, other, []string{extra}, time.Now(), time.Minute)
		if pod := getPod(t, other, extra); !c5(mustNode(t, pod.Spec.NodeName)) {
			t.Errorf("task %s of the other cluster runs on %s, not a c5.xlarge", extra, pod.Spec.NodeName)
		}
		// And each cluster's instances report only its own tasks (runningTasksCount).
		for _, want := range []struct {
			ns      string
			running int32
		}{{ns, int32(eligible)}, {other, 1}} {
			eventually(t, 30*time.Second, "the running tasks of the instances of "+want.ns, func() (bool, string, error) {
				cis := &ecsv1alpha1.ContainerInstanceList{}
				if err := k8s.List(context.Background(), cis, client.InNamespace(want.ns)); err != nil {
					return false, "", err
				}
				var running int32
				for _, ci := range cis.Items {
					running += ci.Status.RunningTasksCount
				}
				return running == want.running, fmt.Sprintf("runningTasksCount sums to %d, want %d", running, want.running), nil
			})
		}
	})
}

func mustNode(t *testing.T, name string) simNode {
	t.Helper()
	n, ok := nodeByName(name)
	if !ok {
		t.Fatalf("%q is not a node of the fleet", name)
	}
	return n
}

func podNode(p *corev1.Pod) string {
	if p == nil {
		return "no pod"
	}
	return "node " + p.Spec.NodeName
}

// report prints the measurements and checks what only shows across strategies: binpack
// uses the fewest nodes, and nothing was ever violated.
func report(t *testing.T, rows []row) {
	if len(rows) == 0 {
		return
	}
	out := table(rows)
	t.Logf("placement of the tasks on %d simulated instances (%d zones x %d; m5.large 2 vCPU/8 GiB and c5.xlarge 4 vCPU/8 GiB alternating), task %d CPU units / %d MiB:\n%s",
		len(fleet), len(zones), nodesPerZone, taskCPU, taskMemoryMiB, out)
	_ = os.WriteFile(filepath.Join(work, "placement.txt"), []byte(out), 0o644)
	var binpack *row
	violations := 0
	for i := range rows {
		violations += len(rows[i].violations)
		if rows[i].strategy == "binpack(memory)" {
			binpack = &rows[i]
		}
	}
	if violations > 0 {
		t.Errorf("%d constraint or resource violations in all, want 0", violations)
	}
	if binpack == nil {
		return
	}
	for _, r := range rows {
		if r.tasks == binpack.tasks && r.placed == r.tasks && r.nodesUsed < binpack.nodesUsed {
			t.Errorf("%s used %d nodes, fewer than binpack(memory)'s %d", r.strategy, r.nodesUsed, binpack.nodesUsed)
		}
	}
}
