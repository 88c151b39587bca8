package placement

import (
	"math/rand/v2"
	"strings"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// Strategy fields.
const (
	FieldCPU             = "cpu"
	FieldMemory          = "memory"
	FieldInstanceID      = "instanceId"
	FieldHost            = "host"
	FieldAttributePrefix = "attribute:"
)

// applyStrategy keeps the candidates s likes best. candidates are indices into all, in
// name order, and so is the result.
func applyStrategy(s ecsv1alpha1.PlacementStrategy, candidates []int, all []Instance, task *Task, rnd *rand.Rand) []int {
	switch s.Type {
	case ecsv1alpha1.PlacementStrategyBinpack:
		switch {
		case strings.EqualFold(s.Field, FieldCPU):
			return keepMin(candidates, func(i int) int64 { return all[i].RemainingCPU })
		case strings.EqualFold(s.Field, FieldMemory):
			return keepMin(candidates, func(i int) int64 { return all[i].RemainingMemory })
		}
	case ecsv1alpha1.PlacementStrategySpread:
		if strings.EqualFold(s.Field, FieldInstanceID) || strings.EqualFold(s.Field, FieldHost) {
			return keepMin(candidates, func(i int) int64 { return int64(all[i].TaskGroups[task.Group]) })
		}
		if name, ok := strings.CutPrefix(s.Field, FieldAttributePrefix); ok {
			values, counts := spreadCounts(all, name, task.Group)
			return keepMin(candidates, func(i int) int64 { return counts[values[i]] })
		}
	case ecsv1alpha1.PlacementStrategyRandom:
		if rnd == nil {
			return candidates[:1]
		}
		i := rnd.IntN(len(candidates))
		return candidates[i : i+1]
	}
	return candidates
}

// spreadCounts numbers the values of attribute name over all instances (values[i] is the
// number of all[i]'s value; a missing attribute is the value "") and counts group's tasks
// per value over every instance, whether it can take the task or not. One pass, so that a
// decision stays linear in the number of instances.
func spreadCounts(all []Instance, name, group string) (values []int, counts []int64) {
	values = make([]int, len(all))
	numbers := make(map[string]int)
	for i := range all {
		v := all[i].Attributes[name]
		n, ok := numbers[v]
		if !ok {
			n = len(counts)
			numbers[v] = n
			counts = append(counts, 0)
		}
		values[i] = n
		if len(all[i].TaskGroups) > 0 {
			counts[n] += int64(all[i].TaskGroups[group])
		}
	}
	return values, counts
}

// keepMin keeps, in order, the candidates with the least key. It reuses candidates'
// backing array.
func keepMin(candidates []int, key func(int) int64) []int {
	best := key(candidates[0])
	kept := candidates[:1]
	for _, c := range candidates[1:] {
		switch k := key(c); {
		case k < best:
			best = k
			kept = append(kept[:0], c)
		case k == best:
			kept = append(kept, c)
		}
	}
	return kept
}
