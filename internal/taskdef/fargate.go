package taskdef

import (
	"fmt"

	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// fargateMaxStopTimeout is the longest stopTimeout Fargate allows, in seconds.
const fargateMaxStopTimeout = 120

// CheckFargate applies Fargate's rules to the task definition of a Task or Service that is
// about to run on FARGATE, as ECS's RunTask and CreateService do: the rules of checkFargate,
// plus those a task that got past admission (the webhook fails open) is spared at start: a
// stopTimeout above 120 seconds, whose grace period the builder caps instead (gracePeriod),
// and task definition placement constraints, which Fargate tasks never meet.
func CheckFargate(spec *ecsv1alpha1.TaskDefinitionSpec) error {
	reason := fargateProblem(spec)
	if reason == "" {
		reason = fargateAdmissionProblem(spec)
	}
	return fargateError(reason)
}

// checkFargate applies Fargate's rules to a task definition launched on FARGATE. The API
// server applies them to task definitions whose requiresCompatibilities lists FARGATE, and
// the webhook (CheckFargate) to Tasks and Services that run on FARGATE; a task that gets
// past both is refused at start, as ECS refuses it, with the message below.
func checkFargate(spec *ecsv1alpha1.TaskDefinitionSpec) error {
	return fargateError(fargateProblem(spec))
}

func fargateError(reason string) error {
	if reason == "" {
		return nil
	}
	return fmt.Errorf("Task definition does not support launch_type FARGATE. %s", reason)
}

// fargateProblem is the first reason, in the API's wording, the task cannot run on Fargate.
func fargateProblem(spec *ecsv1alpha1.TaskDefinitionSpec) string {
	switch {
	case spec.NetworkMode != ecsv1alpha1.NetworkModeAwsvpc:
		return "Fargate only supports network mode 'awsvpc'."
	case spec.CPU == "":
		return "Fargate requires that 'cpu' be defined at the task level."
	case spec.Memory == "":
		return "Fargate requires that 'memory' be defined at the task level."
	case spec.PidMode == "host":
		return "Fargate does not support pidMode host."
	case spec.IpcMode == "host":
		return "Fargate does not support ipcMode host."
	}
	for _, c := range spec.ContainerDefinitions {
		if ptr.Deref(c.Privileged, false) {
			return "Fargate does not support privileged containers: remove privileged: true"
		}
		for _, pm := range c.PortMappings {
			// The API server's rule for awsvpc makes this unreachable for stored task
			// definitions; it stays for specs that bypass it.
			if pm.HostPort != nil && (pm.ContainerPort == nil || *pm.HostPort != *pm.ContainerPort) {
				return "When networkMode=awsvpc, the host ports and container ports in port mappings must match."
			}
		}
	}
	for _, v := range spec.Volumes {
		if v.Host != nil && v.Host.SourcePath != "" {
			return "Fargate does not support host volumes with a sourcePath; omit sourcePath for task-scoped scratch space"
		}
	}
	return ""
}

// fargateAdmissionProblem is the first reason, beyond fargateProblem's, that ECS refuses to
// start the task on Fargate; the messages are those of the API server's rules for task
// definitions that declare FARGATE.
func fargateAdmissionProblem(spec *ecsv1alpha1.TaskDefinitionSpec) string {
	for _, c := range spec.ContainerDefinitions {
		if ptr.Deref(c.StopTimeout, 0) > fargateMaxStopTimeout {
			return fmt.Sprintf("Fargate allows a stopTimeout of at most %d seconds", fargateMaxStopTimeout)
		}
	}
	if len(spec.PlacementConstraints) > 0 {
		return "Fargate does not support placement constraints"
	}
	return ""
}
