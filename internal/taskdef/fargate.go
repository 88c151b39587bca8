package taskdef

import (
	"fmt"

	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// checkFargate applies Fargate's rules to a task definition launched on FARGATE. Admission
// applies them to task definitions whose requiresCompatibilities lists FARGATE; ECS also
// refuses to run any other that breaks them, with the message below.
func checkFargate(spec *ecsv1alpha1.TaskDefinitionSpec) error {
	if reason := fargateProblem(spec); reason != "" {
		return fmt.Errorf("Task definition does not support launch_type FARGATE. %s", reason)
	}
	return nil
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
	}
	for _, v := range spec.Volumes {
		if v.Host != nil && v.Host.SourcePath != "" {
			return "Fargate does not support host volumes with a sourcePath; omit sourcePath for task-scoped scratch space"
		}
	}
	return ""
}
