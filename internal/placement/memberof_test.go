package placement

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// predicates are cluster query expressions with what they mean, written independently of
// the cql package.
var predicates = []struct {
	expr string
	ok   func(Instance) bool
}{
	{"attribute:ecs.instance-type == t3.small", func(i Instance) bool { return i.Attributes[instanceType] == "t3.small" }},
	{"attribute:ecs.availability-zone in [az1, az2]", func(i Instance) bool {
		return i.Attributes[zone] == "az1" || i.Attributes[zone] == "az2"
	}},
	{"attribute:ecs.availability-zone not_in [az3]", func(i Instance) bool { return i.Attributes[zone] != "az3" }},
	{"attribute:gpu exists", func(i Instance) bool { _, ok := i.Attributes["gpu"]; return ok }},
	{"attribute:gpu !exists", func(i Instance) bool { _, ok := i.Attributes["gpu"]; return !ok }},
	{"attribute:ecs.instance-type == m5.xlarge or attribute:ecs.availability-zone == az3", func(i Instance) bool {
		return i.Attributes[instanceType] == "m5.xlarge" || i.Attributes[zone] == "az3"
	}},
	{"attribute:ecs.instance-type != t3.large and attribute:ecs.availability-zone != az1", func(i Instance) bool {
		return i.Attributes[instanceType] != "t3.large" && i.Attributes[zone] != "az1"
	}},
	{"task:group == service:db", func(i Instance) bool { return i.TaskGroups["service:db"] > 0 }},
	{"not(task:group == service:db)", func(i Instance) bool { return i.TaskGroups["service:db"] == 0 }},
	{"runningTasksCount < 3", func(i Instance) bool { return i.RunningTasks < 3 }},
	{"agentVersion == 1.80.0", func(i Instance) bool { return i.AgentVersion == "1.80.0" }},
}

func randomInstances(rnd *rand.Rand) []Instance {
	zones := []string{"az1", "az2", "az3"}
	types := []string{"t3.small", "t3.large", "m5.xlarge"}
	var instances []Instance
	for i := range 2 + rnd.IntN(14) {
		inst := node(fmt.Sprintf("i-%02d", i), zones[rnd.IntN(3)], int64(rnd.IntN(4096)), int64(rnd.IntN(8192)))
		inst.Attributes[instanceType] = types[rnd.IntN(3)]
		if rnd.IntN(3) == 0 {
			inst.Attributes["gpu"] = "true"
		}
		if rnd.IntN(4) == 0 {
			inst.AgentVersion = "1.79.0"
		}
		inst.AgentConnected = rnd.IntN(10) > 0
		inst.Active = rnd.IntN(10) > 0
		inst = groups(inst, map[string]int{"service:db": rnd.IntN(2), web: rnd.IntN(3)})
		instances = append(instances, inst)
	}
	return instances
}

func TestMemberOfNeverViolated(t *testing.T) {
	rnd := rand.New(rand.NewPCG(2024, 11))
	chains := [][]ecsv1alpha1.PlacementStrategy{
		nil, {random()}, {spreadZone, binpack(FieldMemory)}, {spread(FieldInstanceID), random()}, {binpack(FieldCPU)},
	}
	for round := range 300 {
		instances := randomInstances(rnd)
		// One or two memberOf constraints, as from a service and its task definition.
		var picked []int
		for range 1 + rnd.IntN(2) {
			picked = append(picked, rnd.IntN(len(predicates)))
		}
		task := Task{CPU: int64(rnd.IntN(512)), Memory: int64(rnd.IntN(1024)), Group: web, Strategy: chains[rnd.IntN(len(chains))]}
		var exprs []string
		for _, p := range picked {
			task.Constraints = append(task.Constraints, memberOf(predicates[p].expr))
			exprs = append(exprs, predicates[p].expr)
		}
		holds := func(inst Instance) bool {
			for _, p := range picked {
				if !predicates[p].ok(inst) {
					return false
				}
			}
			return true
		}
		for step := range 10 {
			d := mustPlace(t, task, instances, rnd)
			rejected := map[string]string{}
			for _, f := range d.Failures {
				rejected[f.Instance] = f.Reason
			}
			for _, inst := range instances {
				reason, isRejected := rejected[inst.Name]
				switch {
				case !isRejected && !holds(inst):
					t.Fatalf("round %d step %d: %s kept although %q does not hold (chosen %q)", round, step, inst.Name, exprs, d.Instance)
				case reason == ReasonMemberOf && holds(inst):
					t.Fatalf("round %d step %d: %s rejected although %q holds", round, step, inst.Name, exprs)
				}
			}
			if d.Instance == "" {
				break
			}
			i := slices.IndexFunc(instances, func(inst Instance) bool { return inst.Name == d.Instance })
			instances[i] = Reserve(instances[i], task)
		}
	}
}
