// Package taskdef translates one ECS task definition revision, with a task's RunTask
// overrides and its launch type, into the Kubernetes PodSpec that runs the task. The Task
// controller builds one Pod from it; the Service controller builds pod templates.
//
// It is pure: no client, no clock, no environment, and the same Input always gives the
// same Result (maps are never iterated into the output unsorted).
//
//	res, err := taskdef.Build(taskdef.Input{Spec: &rev.Spec, Overrides: task.Spec.Overrides, LaunchType: lt})
//
// Result.PodSpec is the pod's spec without what the callers own: names, labels, owner,
// schedulerName, node name, tolerations, service account. Result.Annotations carry what a
// PodSpec cannot say (the essential containers, the ECS names of renamed containers,
// startTimeouts, the Fargate size in CapacityProvisioned); put them on the pod.
// Result.Unsupported lists the fields Kubernetes cannot honour, each with its path in the
// task definition; surface them on the object's status. They are not put on the pod, so
// rewording a note never rolls out a service.
//
// Every error Build returns is permanent for its input: report it (conditions, events), do
// not retry. Errors are for input the API server cannot have let through, overrides ECS
// rejects (an unknown container: "Override for container named x is not a container in the
// TaskDefinition."), containers that ask for more cpu or memory than the task has (ECS
// rejects them and Kubernetes would reject the pod), a dependency cycle
// ("dependency cycle: a -> b -> a"), and, on FARGATE, a task definition Fargate cannot run
// ("Task definition does not support launch_type FARGATE. ...").
//
// The mapping, in short (docs/task-definitions.md has the full rules and every difference
// from ECS):
//   - Containers: ECS names become DNS-1123 labels. Containers others depend on are init
//     containers, dependencies first: START and HEALTHY make native sidecars
//     (restartPolicy Always; HEALTHY adds a startup probe), COMPLETE and SUCCESS plain init
//     containers. The pod's restartPolicy is Never; the Task controller stops the task when
//     an essential container exits.
//   - healthCheck is an exec readiness probe with ECS's defaults (30 s, 5 s, 3 retries).
//   - cpu units are cpu requests, memory the memory limit, memoryReservation the memory
//     request; the task's cpu and memory are pod-level resources.
//   - environment, secrets (Kubernetes Secret keys; ARNs mapped to Secret names) and the
//     overrides become env; entryPoint is command, command is args. Every container also
//     gets ECS_CONTAINER_METADATA_URI_V4 (and _URI), the agent's task metadata endpoint on
//     its node, unless the task definition sets them.
//   - networkMode decides the ports (bridge static host ports, host networking), stopTimeout
//     the grace period, volumes emptyDir/hostPath/PVC, runtimePlatform the node selector.
package taskdef
