package placement

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// groups sets inst's task counts per group and its running tasks to their sum.
func groups(inst Instance, counts map[string]int) Instance {
	inst.TaskGroups = counts
	inst.RunningTasks = 0
	for _, n := range counts {
		inst.RunningTasks += n
	}
	return inst
}

func TestStrategies(t *testing.T) {
	task := Task{CPU: 512, Memory: 512, Group: web}
	tests := []struct {
		name      string
		strategy  []ecsv1alpha1.PlacementStrategy
		instances []Instance
		want      string
	}{
		{
			name:     "binpack memory: fullest that fits",
			strategy: []ecsv1alpha1.PlacementStrategy{binpack(FieldMemory)},
			instances: []Instance{
				node("a", "az1", 4096, 4096),
				node("b", "az1", 4096, 600),
				node("c", "az1", 4096, 400), // does not fit
				node("d", "az1", 4096, 1024),
			},
			want: "b",
		},
		{
			name:     "binpack cpu: fullest that fits",
			strategy: []ecsv1alpha1.PlacementStrategy{binpack(FieldCPU)},
			instances: []Instance{
				node("a", "az1", 2048, 512),
				node("b", "az1", 511, 512),
				node("c", "az1", 1024, 8192),
				node("d", "az1", 520, 8192),
			},
			want: "d",
		},
		{
			name:     "binpack field is case-insensitive",
			strategy: []ecsv1alpha1.PlacementStrategy{binpack("MEMORY")},
			instances: []Instance{
				node("a", "az1", 4096, 4096),
				node("b", "az1", 4096, 1024),
			},
			want: "b",
		},
		{
			name:     "binpack ties go to the first name; then binpack cpu breaks them",
			strategy: []ecsv1alpha1.PlacementStrategy{binpack(FieldMemory), binpack(FieldCPU)},
			instances: []Instance{
				node("a", "az1", 1024, 1024),
				node("b", "az1", 4096, 1024),
				node("c", "az1", 600, 1024),
			},
			want: "c",
		},
		{
			name:     "spread instanceId: fewest tasks of the group, other groups ignored",
			strategy: []ecsv1alpha1.PlacementStrategy{spread(FieldInstanceID)},
			instances: []Instance{
				groups(node("a", "az1", 4096, 4096), map[string]int{web: 2}),
				groups(node("b", "az1", 4096, 4096), map[string]int{web: 1, "service:db": 9}),
				groups(node("c", "az1", 4096, 4096), map[string]int{web: 1}),
			},
			want: "b",
		},
		{
			name:     "spread host is spread instanceId",
			strategy: []ecsv1alpha1.PlacementStrategy{spread(FieldHost)},
			instances: []Instance{
				groups(node("a", "az1", 4096, 4096), map[string]int{web: 2}),
				groups(node("b", "az1", 4096, 4096), map[string]int{web: 3}),
			},
			want: "a",
		},
		{
			name:     "spread zone counts tasks on instances that cannot take the task",
			strategy: []ecsv1alpha1.PlacementStrategy{spreadZone},
			instances: []Instance{
				groups(node("a", "az1", 4096, 0), map[string]int{web: 3}), // full
				node("b", "az1", 4096, 4096),
				groups(node("c", "az2", 4096, 4096), map[string]int{web: 2}),
			},
			want: "c",
		},
		{
			name:     "spread zone counts tasks on inactive and disconnected instances",
			strategy: []ecsv1alpha1.PlacementStrategy{spreadZone},
			instances: []Instance{
				with(groups(node("a", "az1", 4096, 4096), map[string]int{web: 1}), func(i *Instance) { i.Active = false }),
				node("b", "az1", 4096, 4096),
				node("c", "az2", 4096, 4096),
			},
			want: "c",
		},
		{
			name:     "instances without the attribute are a group of their own",
			strategy: []ecsv1alpha1.PlacementStrategy{spreadZone},
			instances: []Instance{
				groups(node("a", "az1", 4096, 4096), map[string]int{web: 1}),
				groups(with(node("b", "", 4096, 4096), func(i *Instance) { i.Attributes = nil }), map[string]int{web: 1}),
				with(node("c", "", 4096, 4096), func(i *Instance) { i.Attributes = map[string]string{"other": "x"} }),
				node("d", "az2", 4096, 4096),
			},
			want: "d",
		},
		{
			name:     "spread zone then binpack memory",
			strategy: []ecsv1alpha1.PlacementStrategy{spreadZone, binpack(FieldMemory)},
			instances: []Instance{
				groups(node("a", "az1", 4096, 8192), map[string]int{web: 1}),
				node("b", "az1", 4096, 1024),
				node("c", "az2", 4096, 3000),
				node("d", "az2", 4096, 2000),
				node("e", "az2", 4096, 511), // does not fit
				groups(node("f", "az3", 4096, 600), map[string]int{web: 1}),
			},
			want: "d",
		},
		{
			name:     "spread zone then binpack memory: balanced zones, fullest instance overall",
			strategy: []ecsv1alpha1.PlacementStrategy{spreadZone, binpack(FieldMemory)},
			instances: []Instance{
				groups(node("a", "az1", 4096, 8192), map[string]int{web: 1}),
				groups(node("b", "az2", 4096, 700), map[string]int{web: 1}),
				groups(node("c", "az3", 4096, 2000), map[string]int{web: 1}),
			},
			want: "b",
		},
		{
			name:     "binpack memory then spread zone",
			strategy: []ecsv1alpha1.PlacementStrategy{binpack(FieldMemory), spreadZone},
			instances: []Instance{
				groups(node("a", "az1", 4096, 1024), map[string]int{web: 1}),
				node("b", "az2", 4096, 1024),
				node("c", "az3", 4096, 600),
			},
			want: "c",
		},
		{
			name:     "unknown strategy fields are skipped",
			strategy: []ecsv1alpha1.PlacementStrategy{binpack("gpu"), spread("zone"), binpack(FieldMemory)},
			instances: []Instance{
				node("a", "az1", 4096, 4096),
				node("b", "az1", 4096, 1024),
			},
			want: "b",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task := task
			task.Strategy = tt.strategy
			d := mustPlace(t, task, tt.instances, rand.New(rand.NewPCG(1, 2)))
			if d.Instance != tt.want {
				t.Errorf("Place() = %q, want %q (failures %v)", d.Instance, tt.want, d.Failures)
			}
		})
	}
}

func TestRandom(t *testing.T) {
	instances := []Instance{
		groups(node("a", "az1", 4096, 4096), map[string]int{web: 1}),
		node("b", "az2", 4096, 4096),
		node("c", "az2", 4096, 4096),
		node("d", "az3", 4096, 4096),
		node("e", "az3", 1, 1), // does not fit
	}
	tests := []struct {
		name     string
		strategy []ecsv1alpha1.PlacementStrategy
		want     []string // every instance random may pick, each picked at least once
	}{
		{name: "random alone", strategy: []ecsv1alpha1.PlacementStrategy{random()}, want: []string{"a", "b", "c", "d"}},
		{name: "random among spread's choice", strategy: []ecsv1alpha1.PlacementStrategy{spreadZone, random()}, want: []string{"b", "c", "d"}},
		{name: "random then binpack has nothing left to break", strategy: []ecsv1alpha1.PlacementStrategy{random(), binpack(FieldMemory)}, want: []string{"a", "b", "c", "d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task := Task{CPU: 256, Memory: 256, Group: web, Strategy: tt.strategy}
			picked := map[string]int{}
			for seed := range uint64(200) {
				d := mustPlace(t, task, instances, rand.New(rand.NewPCG(seed, 7)))
				again := mustPlace(t, task, instances, rand.New(rand.NewPCG(seed, 7)))
				if d.Instance != again.Instance {
					t.Fatalf("seed %d: %q then %q with the same seed", seed, d.Instance, again.Instance)
				}
				picked[d.Instance]++
			}
			got := slices.Sorted(func(yield func(string) bool) {
				for name := range picked {
					if !yield(name) {
						return
					}
				}
			})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("instances picked over 200 seeds (-want +got):\n%s\ncounts: %v", diff, picked)
			}
		})
	}
	t.Run("nil rnd picks the first name", func(t *testing.T) {
		task := Task{Group: web, Strategy: []ecsv1alpha1.PlacementStrategy{random()}}
		if d := mustPlace(t, task, instances, nil); d.Instance != "a" {
			t.Errorf("Place() = %q, want a", d.Instance)
		}
	})
}

// zoneCounts counts group's tasks per zone.
func zoneCounts(instances []Instance, group string) map[string]int {
	counts := map[string]int{}
	for _, inst := range instances {
		counts[inst.Attributes[zone]] += inst.TaskGroups[group]
	}
	return counts
}

func skew(counts map[string]int) int {
	lo, hi := -1, 0
	for _, n := range counts {
		if lo < 0 || n < lo {
			lo = n
		}
		hi = max(hi, n)
	}
	return hi - lo
}

// placeAll places n copies of task one after another, reserving each. check runs after each
// placement.
func placeAll(t *testing.T, task Task, instances []Instance, n int, rnd *rand.Rand, check func(placed int, instances []Instance)) []Instance {
	t.Helper()
	instances = slices.Clone(instances)
	index := map[string]int{}
	for i, inst := range instances {
		index[inst.Name] = i
	}
	for placed := 1; placed <= n; placed++ {
		d := mustPlace(t, task, instances, rnd)
		if d.Instance == "" {
			t.Fatalf("task %d not placed: %s", placed, d.Message())
		}
		i := index[d.Instance]
		instances[i] = Reserve(instances[i], task)
		if check != nil {
			check(placed, instances)
		}
	}
	return instances
}

func TestSpreadKeepsZonesBalanced(t *testing.T) {
	// Unequal zones: 2, 3 and 5 instances, given in no particular order; az3 has the most
	// room but must not get more tasks. Another group's tasks do not count.
	var instances []Instance
	for i, az := range []string{"az3", "az1", "az2", "az3", "az3", "az2", "az1", "az3", "az2", "az3"} {
		inst := node(fmt.Sprintf("i-%02d", (i*7)%10), az, 16384, 32768)
		if i%3 == 0 {
			inst = groups(inst, map[string]int{"service:db": i})
		}
		instances = append(instances, inst)
	}
	task := Task{CPU: 128, Memory: 256, Group: web}
	chains := map[string][]ecsv1alpha1.PlacementStrategy{
		"spread zone":                      {spreadZone},
		"spread zone, binpack memory":      {spreadZone, binpack(FieldMemory)},
		"spread zone, spread instanceId":   {spreadZone, spread(FieldInstanceID)},
		"spread zone, random":              {spreadZone, random()},
		"spread zone, binpack cpu":         {spreadZone, binpack("CPU")},
		"spread zone, random, binpack cpu": {spreadZone, random(), binpack(FieldCPU)},
	}
	for name, chain := range chains {
		t.Run(name, func(t *testing.T) {
			task := task
			task.Strategy = chain
			for n := 1; n <= 30; n++ {
				rnd := rand.New(rand.NewPCG(uint64(n), 42))
				final := placeAll(t, task, instances, n, rnd, func(placed int, instances []Instance) {
					if counts := zoneCounts(instances, web); skew(counts) > 1 {
						t.Fatalf("n=%d: after %d tasks zone counts %v have skew > 1", n, placed, counts)
					}
				})
				counts := zoneCounts(final, web)
				if got := counts["az1"] + counts["az2"] + counts["az3"]; got != n {
					t.Fatalf("n=%d: %d tasks placed (%v)", n, got, counts)
				}
			}
		})
	}
}

func TestSpreadZoneThenBinpackFillsOneInstancePerZone(t *testing.T) {
	instances := []Instance{
		node("a1", "az1", 8192, 8192), node("a2", "az1", 8192, 4096),
		node("b1", "az2", 8192, 8192), node("b2", "az2", 8192, 8192), node("b3", "az2", 8192, 3072),
		node("c1", "az3", 8192, 2048),
	}
	task := Task{CPU: 256, Memory: 1024, Group: web, Strategy: []ecsv1alpha1.PlacementStrategy{spreadZone, binpack(FieldMemory)}}
	final := placeAll(t, task, instances, 9, nil, nil)
	got := map[string]int{}
	for _, inst := range final {
		got[inst.Name] = inst.TaskGroups[web]
	}
	// Within a zone the fullest instance first, until it is full. c1 holds only two tasks:
	// az3 keeps counting them, so the zones stay balanced until az3 has no room, and the
	// ninth task goes to the fullest instance of the other zones.
	want := map[string]int{"a1": 0, "a2": 4, "b1": 0, "b2": 0, "b3": 3, "c1": 2}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tasks per instance (-want +got):\n%s", diff)
	}
}

func TestDistinctInstanceNeverColocates(t *testing.T) {
	instances := []Instance{
		groups(node("a", "az1", 4096, 4096), map[string]int{"service:db": 2}),
		node("b", "az1", 4096, 4096),
		node("c", "az2", 4096, 4096),
		with(node("d", "az2", 4096, 4096), func(i *Instance) { i.Active = false }),
		node("e", "az3", 4096, 4096),
		node("f", "az3", 4096, 4096),
		node("g", "az3", 4096, 4096),
	}
	for _, chain := range [][]ecsv1alpha1.PlacementStrategy{
		{spreadZone}, {random()}, {binpack(FieldMemory)}, {spreadZone, spread(FieldInstanceID)}, nil,
	} {
		for seed := range uint64(5) {
			task := Task{CPU: 256, Memory: 256, Group: web, Constraints: []ecsv1alpha1.PlacementConstraint{distinct()}, Strategy: chain}
			rnd := rand.New(rand.NewPCG(seed, 1))
			current := slices.Clone(instances)
			placed := 0
			for {
				d := mustPlace(t, task, current, rnd)
				if d.Instance == "" {
					want := "The closest matching (container-instance a) does not satisfy the placement constraints."
					if got := d.Message(); got != want {
						t.Errorf("%v: Message() = %q, want %q", chain, got, want)
					}
					break
				}
				i := slices.IndexFunc(current, func(inst Instance) bool { return inst.Name == d.Instance })
				current[i] = Reserve(current[i], task)
				placed++
				if placed > len(instances) {
					t.Fatalf("%v: placed %d tasks on %d instances", chain, placed, len(instances))
				}
			}
			if placed != 6 {
				t.Errorf("%v: placed %d tasks, want one per active instance (6)", chain, placed)
			}
			for _, inst := range current {
				if n := inst.TaskGroups[web]; n > 1 {
					t.Errorf("%v: %d tasks of %s on %s", chain, n, web, inst.Name)
				}
			}
		}
	}
}
