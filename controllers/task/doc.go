// Package task reconciles Tasks (ECS RunTask) into Pods and reports ECS's task lifecycle.
//
// A Task resolves its task definition reference once, when its pod is created, and runs that
// revision until it stops: the resolved revision is recorded in status.taskDefinitionArn.
// The pod spec comes from internal/taskdef; the ECS state from internal/lifecycle, both
// pure. This package reads the world, asks them, writes the pod, and writes the status once.
package task
