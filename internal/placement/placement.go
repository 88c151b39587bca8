package placement

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/placement/cql"
)

// Instance is a container instance as the scheduler sees it at decision time.
type Instance struct {
	// Name is the container instance name (= node name); used in failures and tie-breaks.
	Name string
	// ID is the instanceId / ec2InstanceId.
	ID string
	// Attributes are ecs.availability-zone, ecs.instance-type, ... and custom ones.
	Attributes     map[string]string
	AgentConnected bool
	AgentVersion   string
	// Active is true when the status is ACTIVE and the node schedulable (not DRAINING,
	// not cordoned).
	Active       bool
	RegisteredAt time.Time
	// RemainingCPU is the CPU units (1024 per vCPU) not reserved by tasks.
	RemainingCPU int64
	// RemainingMemory is the MiB not reserved by tasks.
	RemainingMemory int64
	// UsedPorts are the host ports taken, by tasks and reserved by the agent.
	UsedPorts map[Port]bool
	// RunningTasks is the number of tasks on the instance (running or pending).
	RunningTasks int
	// TaskGroups is the number of tasks of each group on the instance.
	TaskGroups map[string]int
}

// Port is a host port.
type Port struct {
	Number int32
	// Protocol is ProtocolTCP or ProtocolUDP; "" is read as tcp.
	Protocol string
}

// Host port protocols.
const (
	ProtocolTCP = "tcp"
	ProtocolUDP = "udp"
)

// Task is what a task needs.
type Task struct {
	// CPU and Memory are the units and MiB to reserve (0: no reservation).
	CPU, Memory int64
	// Ports are the host ports the task binds.
	Ports []Port
	// Group is the task group: "service:web", "family:batch" or custom.
	Group string
	// Constraints are memberOf and distinctInstance constraints; the caller adds a task
	// definition's memberOf constraints as PlacementConstraint{Type: memberOf}.
	Constraints []ecsv1alpha1.PlacementConstraint
	// Strategy is applied in order (up to 5). The caller passes its default (ECS: spread
	// on attribute:ecs.availability-zone for services); with an empty chain the first
	// instance by name wins.
	Strategy []ecsv1alpha1.PlacementStrategy
}

// Failure is why one instance could not take the task.
type Failure struct {
	Instance string
	// Reason is one of the Reason constants.
	Reason string
}

// Reasons of a Failure, ECS's PlacementFailure reasons.
const (
	// ReasonAgent: the instance's agent is not connected.
	ReasonAgent = "AGENT"
	// ReasonInactive: the instance is DRAINING or its node cordoned. ECS silently skips
	// such instances; the reason is ours.
	ReasonInactive = "INACTIVE"
	// ReasonCPU: not enough CPU units remain.
	ReasonCPU = "RESOURCE:CPU"
	// ReasonMemory: not enough memory remains.
	ReasonMemory = "RESOURCE:MEMORY"
	// ReasonPorts: a TCP host port of the task is taken.
	ReasonPorts = "RESOURCE:PORTS"
	// ReasonPortsUDP: a UDP host port of the task is taken.
	ReasonPortsUDP = "RESOURCE:PORTS_UDP"
	// ReasonDistinctInstance: a task of the same group runs on the instance.
	ReasonDistinctInstance = "DistinctInstance"
	// ReasonMemberOf: the instance does not match a memberOf expression.
	ReasonMemberOf = "MemberOf"
)

// Decision is where the task goes.
type Decision struct {
	// Instance is the chosen instance's Name; "" when none fits.
	Instance string
	// Failures has one entry per rejected instance, in instance-name order.
	Failures []Failure
}

// constraint is a parsed placement constraint.
type constraint struct {
	distinct bool
	expr     cql.Expr // memberOf
}

// Place decides where the task goes among instances. It fails only when a memberOf
// expression does not parse; the error wraps the *cql.ParseError and names the
// constraint. rnd is used only by a random strategy; with a nil rnd random picks the
// first candidate by name.
func Place(task Task, instances []Instance, rnd *rand.Rand) (Decision, error) {
	constraints, err := parseConstraints(task.Constraints)
	if err != nil {
		return Decision{}, err
	}
	if len(instances) == 0 {
		return Decision{}, nil
	}
	sorted := instances
	if !slices.IsSortedFunc(sorted, byName) {
		sorted = slices.Clone(instances)
		slices.SortStableFunc(sorted, byName)
	}

	var d Decision
	candidates := make([]int, 0, len(sorted)) // indices into sorted, in name order
	for i := range sorted {
		if reason := reject(&sorted[i], &task, constraints); reason != "" {
			d.Failures = append(d.Failures, Failure{Instance: sorted[i].Name, Reason: reason})
			continue
		}
		candidates = append(candidates, i)
	}
	if len(candidates) == 0 {
		return d, nil
	}
	for _, s := range task.Strategy {
		if len(candidates) == 1 {
			break
		}
		candidates = applyStrategy(s, candidates, sorted, &task, rnd)
	}
	d.Instance = sorted[candidates[0]].Name
	return d, nil
}

func byName(a, b Instance) int { return strings.Compare(a.Name, b.Name) }

func parseConstraints(in []ecsv1alpha1.PlacementConstraint) ([]constraint, error) {
	out := make([]constraint, 0, len(in))
	for i, c := range in {
		switch c.Type {
		case ecsv1alpha1.PlacementConstraintDistinctInstance:
			out = append(out, constraint{distinct: true})
		case ecsv1alpha1.PlacementConstraintMemberOf:
			expr, err := cql.Parse(c.Expression)
			if err != nil {
				return nil, fmt.Errorf("placement constraint %d (memberOf %q): %w", i, c.Expression, err)
			}
			out = append(out, constraint{expr: expr})
		}
	}
	return out, nil
}

// reject returns the reason inst cannot take task, or "" when it can.
func reject(inst *Instance, task *Task, constraints []constraint) string {
	switch {
	case !inst.AgentConnected:
		return ReasonAgent
	case !inst.Active:
		return ReasonInactive
	case task.CPU > 0 && task.CPU > inst.RemainingCPU:
		return ReasonCPU
	case task.Memory > 0 && task.Memory > inst.RemainingMemory:
		return ReasonMemory
	}
	if reason := portConflict(inst, task); reason != "" {
		return reason
	}
	for _, c := range constraints {
		if c.distinct {
			if inst.TaskGroups[task.Group] > 0 {
				return ReasonDistinctInstance
			}
			continue
		}
		if !c.expr.Eval(subject{inst}) {
			return ReasonMemberOf
		}
	}
	return ""
}

// portConflict reports a taken TCP port before a taken UDP one, as ECS checks PORTS
// before PORTS_UDP.
func portConflict(inst *Instance, task *Task) string {
	if len(task.Ports) == 0 || len(inst.UsedPorts) == 0 {
		return ""
	}
	udp := false
	for _, p := range task.Ports {
		if p.Number == 0 {
			continue
		}
		p = normalize(p)
		if !inst.UsedPorts[p] {
			continue
		}
		if p.Protocol != ProtocolUDP {
			return ReasonPorts
		}
		udp = true
	}
	if udp {
		return ReasonPortsUDP
	}
	return ""
}

func normalize(p Port) Port {
	switch strings.ToLower(p.Protocol) {
	case ProtocolUDP:
		p.Protocol = ProtocolUDP
	default:
		p.Protocol = ProtocolTCP
	}
	return p
}

// Reserve returns inst with task's resources, ports and group added, so that a caller
// placing several tasks in one pass does not book the same room twice. inst's maps are
// copied, not changed.
func Reserve(inst Instance, task Task) Instance {
	inst.RemainingCPU -= task.CPU
	inst.RemainingMemory -= task.Memory
	inst.RunningTasks++
	if n := len(task.Ports); n > 0 {
		used := make(map[Port]bool, len(inst.UsedPorts)+n)
		maps.Copy(used, inst.UsedPorts)
		for _, p := range task.Ports {
			if p.Number != 0 {
				used[normalize(p)] = true
			}
		}
		inst.UsedPorts = used
	}
	groups := make(map[string]int, len(inst.TaskGroups)+1)
	maps.Copy(groups, inst.TaskGroups)
	groups[task.Group]++
	inst.TaskGroups = groups
	return inst
}
