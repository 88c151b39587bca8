package placement

import "fmt"

// MessageNoInstances is ECS's explanation when the cluster has no container instance.
const MessageNoInstances = "No Container Instances were found in your cluster."

// stage orders the filters: the closest matching instance is the one rejected last.
func stage(reason string) int {
	switch reason {
	case ReasonAgent, ReasonInactive:
		return 0
	case ReasonCPU:
		return 1
	case ReasonMemory:
		return 2
	case ReasonPorts, ReasonPortsUDP:
		return 3
	default: // DistinctInstance, MemberOf
		return 4
	}
}

// Message is ECS's explanation of an unplaceable task, the end of the service event
// "(service x) was unable to place a task because no container instance met all of its
// requirements. <Message>". It names the closest matching instance: the one rejected by
// the latest filter stage, ties to the first by name. It is "" when the task was placed.
func (d Decision) Message() string {
	if d.Instance != "" {
		return ""
	}
	if len(d.Failures) == 0 {
		return MessageNoInstances
	}
	closest := d.Failures[0]
	for _, f := range d.Failures[1:] {
		if stage(f.Reason) > stage(closest.Reason) {
			closest = f
		}
	}
	prefix := "The closest matching (container-instance " + closest.Instance + ")"
	switch closest.Reason {
	case ReasonCPU:
		return prefix + " has insufficient CPU units available."
	case ReasonMemory:
		return prefix + " has insufficient memory available."
	case ReasonPorts, ReasonPortsUDP:
		return prefix + " is already using a port required by your task."
	case ReasonInactive:
		return prefix + " is not ACTIVE."
	case ReasonDistinctInstance, ReasonMemberOf:
		return prefix + " does not satisfy the placement constraints."
	default:
		return fmt.Sprintf("%s encountered error %q.", prefix, closest.Reason)
	}
}
