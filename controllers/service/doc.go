// Package service is the ECS service scheduler: it keeps a Service's desiredCount tasks
// running as Deployments (one per capacity provider of its strategy; a DaemonSet for DAEMON
// services) built from the resolved task definition revision, rolls new revisions out within
// minimumHealthyPercent and maximumPercent, stops tasks whose essential container exited or
// whose health check fails, trips the deployment circuit breaker and rolls back, throttles
// tasks that keep failing to start, and reports ECS's deployments list, counts and events.
// Its load balancers become a Kubernetes Service (and an Ingress), its service registry a
// headless Service.
//
// ECS deployments map onto Kubernetes objects this way: each deployment (ecs-svc/<id>) is a
// pod template whose labels carry the id, so each has its own ReplicaSets; PRIMARY is the
// template the workloads run now, ACTIVE the older ones that still have pods.
package service
