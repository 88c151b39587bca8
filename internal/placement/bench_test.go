package placement

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// BenchmarkPlace1000x100 places 1000 tasks, one after another, on 100 instances in three
// zones with the usual service chain: spread zone, then binpack memory. One op is the
// whole pass; ns/task is one decision.
func BenchmarkPlace1000x100(b *testing.B) {
	const tasks = 1000
	zones := []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	instances := make([]Instance, 100)
	index := map[string]int{}
	for i := range instances {
		inst := node(fmt.Sprintf("i-%03d", i), zones[i%3], 8192, 16384+int64(i%4)*4096)
		inst.Attributes["ecs.ami-id"] = "ami-0123456789"
		inst.UsedPorts = map[Port]bool{tcp(22): true, tcp(2375): true, tcp(2376): true, tcp(51678): true, tcp(51679): true}
		inst = groups(inst, map[string]int{"service:db": i % 2})
		instances[i] = inst
		index[inst.Name] = i
	}
	task := Task{
		CPU:    256,
		Memory: 512,
		Ports:  []Port{{Number: 0}},
		Group:  web,
		Strategy: []ecsv1alpha1.PlacementStrategy{
			spread(FieldAttributePrefix + "ecs.availability-zone"),
			binpack(FieldMemory),
		},
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	for b.Loop() {
		current := slices.Clone(instances)
		for range tasks {
			d, err := Place(task, current, rnd)
			if err != nil || d.Instance == "" {
				b.Fatalf("Place() = %v, %v", d, err)
			}
			i := index[d.Instance]
			current[i] = Reserve(current[i], task)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*tasks), "ns/task")
}
