// Package cluster reports an ECS cluster's status and guards its deletion as ECS's
// DeleteCluster does.
//
// A Cluster holds nothing: Tasks, Services and ContainerInstances name it. The controller
// counts them (and the pods of the services' tasks) into ECS's counts, and keeps a finalizer
// on every Cluster so that deleting one waits, with ECS's exception on the Deleting
// condition, until its services are gone, then its tasks have stopped, then its container
// instances are deregistered. Container instances block as they do in ECS, though nothing
// registers them yet (the agent in cmd/agent will).
package cluster
