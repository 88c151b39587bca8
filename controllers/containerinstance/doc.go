// Package containerinstance registers the nodes of a Cluster's EC2 capacity providers as
// ContainerInstances and reports each one's ECS state: attributes from node labels,
// registered and remaining CPU, memory and ports, task counts, agent connectivity (from the
// agent's heartbeat Lease) and ACTIVE or DRAINING.
//
// Registration lives in the manager, not in the agent, so that it works where no agent
// runs (kwok clusters of simulated nodes): a node is a container instance of a Cluster when
// one of the Cluster's ec2CapacityProviders selects it, or, for a Cluster without any, when
// it is not in a Fargate capacity pool. The agent only heartbeats.
package containerinstance
