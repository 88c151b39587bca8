package placement

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/placement/cql"
)

const (
	zone         = "ecs.availability-zone"
	instanceType = "ecs.instance-type"
	web          = "service:web"
)

// node is a healthy, empty instance in az with cpu units and memory MiB to give.
func node(name, az string, cpu, memory int64) Instance {
	return Instance{
		Name:            name,
		ID:              "i-" + name,
		Attributes:      map[string]string{zone: az, instanceType: "t3.large"},
		AgentConnected:  true,
		AgentVersion:    "1.80.0",
		Active:          true,
		RemainingCPU:    cpu,
		RemainingMemory: memory,
	}
}

// with returns inst changed by f, for table entries.
func with(inst Instance, f func(*Instance)) Instance {
	f(&inst)
	return inst
}

func tcp(n int32) Port { return Port{Number: n, Protocol: ProtocolTCP} }
func udp(n int32) Port { return Port{Number: n, Protocol: ProtocolUDP} }

func distinct() ecsv1alpha1.PlacementConstraint {
	return ecsv1alpha1.PlacementConstraint{Type: ecsv1alpha1.PlacementConstraintDistinctInstance}
}

func memberOf(expr string) ecsv1alpha1.PlacementConstraint {
	return ecsv1alpha1.PlacementConstraint{Type: ecsv1alpha1.PlacementConstraintMemberOf, Expression: expr}
}

func binpack(field string) ecsv1alpha1.PlacementStrategy {
	return ecsv1alpha1.PlacementStrategy{Type: ecsv1alpha1.PlacementStrategyBinpack, Field: field}
}

func spread(field string) ecsv1alpha1.PlacementStrategy {
	return ecsv1alpha1.PlacementStrategy{Type: ecsv1alpha1.PlacementStrategySpread, Field: field}
}

func random() ecsv1alpha1.PlacementStrategy {
	return ecsv1alpha1.PlacementStrategy{Type: ecsv1alpha1.PlacementStrategyRandom}
}

var spreadZone = spread(FieldAttributePrefix + zone)

func mustPlace(t testing.TB, task Task, instances []Instance, rnd *rand.Rand) Decision {
	t.Helper()
	d, err := Place(task, instances, rnd)
	if err != nil {
		t.Fatalf("Place: %v", err)
	}
	return d
}

func TestPlaceFilters(t *testing.T) {
	small := Task{CPU: 256, Memory: 512, Group: web}
	tests := []struct {
		name      string
		task      Task
		instances []Instance
		want      Decision
	}{
		{
			name: "no instances",
			task: small,
			want: Decision{},
		},
		{
			name:      "fits",
			task:      small,
			instances: []Instance{node("a", "az1", 1024, 2048)},
			want:      Decision{Instance: "a"},
		},
		{
			name: "agent disconnected and inactive are excluded",
			task: small,
			instances: []Instance{
				with(node("a", "az1", 4096, 8192), func(i *Instance) { i.AgentConnected = false }),
				with(node("b", "az1", 4096, 8192), func(i *Instance) { i.Active = false }),
				with(node("c", "az1", 4096, 8192), func(i *Instance) { i.Active, i.AgentConnected = false, false }),
				node("d", "az1", 256, 512),
			},
			want: Decision{Instance: "d", Failures: []Failure{
				{"a", ReasonAgent}, {"b", ReasonInactive}, {"c", ReasonAgent},
			}},
		},
		{
			name: "cpu then memory",
			task: small,
			instances: []Instance{
				node("a", "az1", 255, 8192),
				node("b", "az1", 100, 100),
				node("c", "az1", 4096, 511),
			},
			want: Decision{Failures: []Failure{{"a", ReasonCPU}, {"b", ReasonCPU}, {"c", ReasonMemory}}},
		},
		{
			name:      "no reservation fits an overcommitted instance",
			task:      Task{Group: web},
			instances: []Instance{node("a", "az1", -10, -10)},
			want:      Decision{Instance: "a"},
		},
		{
			name: "tcp and udp ports are distinct",
			task: Task{Ports: []Port{tcp(80), udp(53)}, Group: web},
			instances: []Instance{
				with(node("a", "az1", 1024, 1024), func(i *Instance) { i.UsedPorts = map[Port]bool{tcp(80): true} }),
				with(node("b", "az1", 1024, 1024), func(i *Instance) { i.UsedPorts = map[Port]bool{udp(53): true} }),
				with(node("c", "az1", 1024, 1024), func(i *Instance) { i.UsedPorts = map[Port]bool{udp(53): true, tcp(80): true} }),
				with(node("d", "az1", 1024, 1024), func(i *Instance) { i.UsedPorts = map[Port]bool{udp(80): true, tcp(53): true, tcp(22): true} }),
			},
			want: Decision{Instance: "d", Failures: []Failure{
				{"a", ReasonPorts}, {"b", ReasonPortsUDP}, {"c", ReasonPorts},
			}},
		},
		{
			name: "protocol is case-insensitive, empty is tcp, port 0 is dynamic",
			task: Task{Ports: []Port{{Number: 8080}, {Number: 0}, {Number: 514, Protocol: "UDP"}}, Group: web},
			instances: []Instance{
				with(node("a", "az1", 1024, 1024), func(i *Instance) { i.UsedPorts = map[Port]bool{tcp(8080): true} }),
				with(node("b", "az1", 1024, 1024), func(i *Instance) { i.UsedPorts = map[Port]bool{udp(514): true} }),
				with(node("c", "az1", 1024, 1024), func(i *Instance) { i.UsedPorts = map[Port]bool{tcp(0): true, udp(0): true} }),
			},
			want: Decision{Instance: "c", Failures: []Failure{{"a", ReasonPorts}, {"b", ReasonPortsUDP}}},
		},
		{
			name: "distinctInstance looks at the task's group only",
			task: Task{Group: web, Constraints: []ecsv1alpha1.PlacementConstraint{distinct()}},
			instances: []Instance{
				with(node("a", "az1", 1024, 1024), func(i *Instance) { i.TaskGroups = map[string]int{web: 1} }),
				with(node("b", "az1", 1024, 1024), func(i *Instance) { i.TaskGroups = map[string]int{"service:db": 3, web: 0} }),
			},
			want: Decision{Instance: "b", Failures: []Failure{{"a", ReasonDistinctInstance}}},
		},
		{
			name: "memberOf",
			task: Task{Group: web, Constraints: []ecsv1alpha1.PlacementConstraint{memberOf("attribute:ecs.instance-type == t3.small")}},
			instances: []Instance{
				node("a", "az1", 1024, 1024),
				with(node("b", "az1", 1024, 1024), func(i *Instance) { i.Attributes = map[string]string{instanceType: "t3.small"} }),
			},
			want: Decision{Instance: "b", Failures: []Failure{{"a", ReasonMemberOf}}},
		},
		{
			name: "constraints in order, after resources",
			task: Task{Memory: 512, Group: web, Constraints: []ecsv1alpha1.PlacementConstraint{
				memberOf("attribute:ecs.availability-zone == az1"), distinct(),
			}},
			instances: []Instance{
				with(node("a", "az2", 1024, 1024), func(i *Instance) { i.TaskGroups = map[string]int{web: 1} }),
				with(node("b", "az1", 1024, 1024), func(i *Instance) { i.TaskGroups = map[string]int{web: 1} }),
				with(node("c", "az2", 1024, 100), func(i *Instance) { i.TaskGroups = map[string]int{web: 1} }),
			},
			want: Decision{Failures: []Failure{{"a", ReasonMemberOf}, {"b", ReasonDistinctInstance}, {"c", ReasonMemory}}},
		},
		{
			name: "failures in name order whatever the input order; empty chain picks the first name",
			task: small,
			instances: []Instance{
				node("z", "az1", 1024, 1024),
				node("m", "az1", 1, 1),
				node("x", "az1", 1024, 1024),
				node("b", "az1", 1, 1),
			},
			want: Decision{Instance: "x", Failures: []Failure{{"b", ReasonCPU}, {"m", ReasonCPU}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustPlace(t, tt.task, tt.instances, rand.New(rand.NewPCG(1, 2)))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Place() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlaceDoesNotReorderInput(t *testing.T) {
	instances := []Instance{node("b", "az1", 1, 1), node("a", "az1", 1, 1)}
	mustPlace(t, Task{CPU: 2}, instances, nil)
	if instances[0].Name != "b" {
		t.Errorf("Place sorted the caller's slice: %v, %v", instances[0].Name, instances[1].Name)
	}
}

func TestPlaceInvalidExpression(t *testing.T) {
	task := Task{Constraints: []ecsv1alpha1.PlacementConstraint{
		distinct(),
		memberOf("attribute:ecs.instance-type == t3.small"),
		memberOf("attribute:ecs.instance-type =="),
	}}
	for _, instances := range [][]Instance{nil, {node("a", "az1", 1024, 1024)}} {
		d, err := Place(task, instances, nil)
		var perr *cql.ParseError
		if !errors.As(err, &perr) {
			t.Fatalf("Place() error = %v, want a *cql.ParseError", err)
		}
		if !strings.Contains(err.Error(), "placement constraint 2") {
			t.Errorf("Place() error = %q, want it to name placement constraint 2", err)
		}
		if diff := cmp.Diff(Decision{}, d); diff != "" {
			t.Errorf("Place() decision on error (-want +got):\n%s", diff)
		}
	}
}

func TestMessage(t *testing.T) {
	tests := []struct {
		name string
		d    Decision
		want string
	}{
		{
			name: "placed",
			d:    Decision{Instance: "a", Failures: []Failure{{"b", ReasonCPU}}},
			want: "",
		},
		{
			name: "no instances",
			d:    Decision{},
			want: "No Container Instances were found in your cluster.",
		},
		{
			name: "agent",
			d:    Decision{Failures: []Failure{{"a", ReasonAgent}, {"b", ReasonInactive}}},
			want: `The closest matching (container-instance a) encountered error "AGENT".`,
		},
		{
			name: "inactive ties agent, first name wins",
			d:    Decision{Failures: []Failure{{"a", ReasonInactive}, {"b", ReasonAgent}}},
			want: "The closest matching (container-instance a) is not ACTIVE.",
		},
		{
			name: "cpu",
			d:    Decision{Failures: []Failure{{"a", ReasonAgent}, {"b", ReasonCPU}, {"c", ReasonCPU}}},
			want: "The closest matching (container-instance b) has insufficient CPU units available.",
		},
		{
			name: "memory beats cpu",
			d:    Decision{Failures: []Failure{{"a", ReasonCPU}, {"b", ReasonInactive}, {"c", ReasonMemory}}},
			want: "The closest matching (container-instance c) has insufficient memory available.",
		},
		{
			name: "tcp port",
			d:    Decision{Failures: []Failure{{"a", ReasonMemory}, {"b", ReasonPorts}}},
			want: "The closest matching (container-instance b) is already using a port required by your task.",
		},
		{
			name: "udp port",
			d:    Decision{Failures: []Failure{{"a", ReasonPortsUDP}, {"b", ReasonMemory}}},
			want: "The closest matching (container-instance a) is already using a port required by your task.",
		},
		{
			name: "memberOf",
			d:    Decision{Failures: []Failure{{"a", ReasonPorts}, {"b", ReasonMemberOf}}},
			want: "The closest matching (container-instance b) does not satisfy the placement constraints.",
		},
		{
			name: "distinctInstance",
			d:    Decision{Failures: []Failure{{"a", ReasonDistinctInstance}, {"b", ReasonMemberOf}, {"c", ReasonPortsUDP}}},
			want: "The closest matching (container-instance a) does not satisfy the placement constraints.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.d.Message(); got != tt.want {
				t.Errorf("Message() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMessageFromPlace(t *testing.T) {
	instances := []Instance{
		with(node("i-1", "az1", 4096, 8192), func(i *Instance) { i.AgentConnected = false }),
		node("i-2", "az1", 4096, 256),
		node("i-3", "az1", 4096, 300),
		node("i-4", "az1", 128, 8192),
	}
	d := mustPlace(t, Task{CPU: 512, Memory: 512}, instances, nil)
	want := "The closest matching (container-instance i-2) has insufficient memory available."
	if got := d.Message(); got != want {
		t.Errorf("Message() = %q, want %q", got, want)
	}
}

func TestReserve(t *testing.T) {
	inst := with(node("a", "az1", 1024, 2048), func(i *Instance) {
		i.UsedPorts = map[Port]bool{tcp(22): true}
		i.TaskGroups = map[string]int{web: 1}
		i.RunningTasks = 1
	})
	task := Task{CPU: 256, Memory: 512, Ports: []Port{{Number: 80}, {Number: 0}, {Number: 53, Protocol: "UDP"}}, Group: "family:batch"}
	got := Reserve(inst, task)
	want := with(node("a", "az1", 768, 1536), func(i *Instance) {
		i.UsedPorts = map[Port]bool{tcp(22): true, tcp(80): true, udp(53): true}
		i.TaskGroups = map[string]int{web: 1, "family:batch": 1}
		i.RunningTasks = 2
	})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Reserve() mismatch (-want +got):\n%s", diff)
	}
	if len(inst.UsedPorts) != 1 || len(inst.TaskGroups) != 1 {
		t.Errorf("Reserve() changed its input's maps: %v, %v", inst.UsedPorts, inst.TaskGroups)
	}
	// The reserved ports now conflict.
	d := mustPlace(t, task, []Instance{got}, nil)
	if diff := cmp.Diff(Decision{Failures: []Failure{{"a", ReasonPorts}}}, d); diff != "" {
		t.Errorf("Place() after Reserve (-want +got):\n%s", diff)
	}
}

func TestSubject(t *testing.T) {
	inst := with(node("a", "az1", 1, 1), func(i *Instance) {
		i.RunningTasks = 4
		i.TaskGroups = map[string]int{"service:web": 2, "family:batch": 2, "service:gone": 0}
	})
	s := subject{&inst}
	if diff := cmp.Diff([]string{"family:batch", "service:web"}, s.TaskGroups()); diff != "" {
		t.Errorf("TaskGroups() (-want +got):\n%s", diff)
	}
	if got := s.RunningTasksCount(); got != 4 {
		t.Errorf("RunningTasksCount() = %d, want 4", got)
	}
	if got := s.InstanceID(); got != "i-a" {
		t.Errorf("InstanceID() = %q, want i-a", got)
	}
	if v, ok := s.Attribute(zone); v != "az1" || !ok {
		t.Errorf("Attribute(%q) = %q, %v", zone, v, ok)
	}
	if _, ok := s.Attribute("missing"); ok {
		t.Errorf("Attribute(missing) found")
	}
}
