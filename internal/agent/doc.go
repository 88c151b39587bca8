// Package agent holds what the kube-ecs agent (cmd/agent, one per EC2 node) does besides
// wiring: its heartbeat and the task metadata endpoint version 4 it serves to the tasks of its
// node.
//
// # Heartbeat
//
// Heartbeat keeps a coordination.k8s.io/v1 Lease named ecsv1alpha1.AgentLeasePrefix+<node>
// ("agent-<node>") in the agent's namespace: holderIdentity is the node, leaseDurationSeconds
// the heartbeat timeout (40 s), renewTime renewed every interval (10 s). The manager counts
// the container instance of the node connected while renewTime + leaseDurationSeconds is in
// the future. When the agent stops it deletes the Lease, so a stopped agent disconnects at
// once and a crashed one after the timeout. RenewLease is the pure decision of what to write.
//
// # Task metadata endpoint v4
//
// Server answers, for a pod of the node (by UID) and one of its containers (by Kubernetes
// name), the four documents of ECS's task metadata endpoint v4, with ECS's PascalCase keys:
//
//	GET /v4/<podUID>/<container>             the container (ContainerMetadata)
//	GET /v4/<podUID>/<container>/task        the task and all its containers (TaskMetadata)
//	GET /v4/<podUID>/<container>/stats       Docker-style stats of the container (DockerStats)
//	GET /v4/<podUID>/<container>/task/stats  DockerId -> stats of every container of the task
//
// internal/taskdef points ECS_CONTAINER_METADATA_URI_V4 (and ECS_CONTAINER_METADATA_URI) of
// every task container at http://<host IP>:51679/v4/<pod UID>/<container>. The documents
// are computed from the pod (labels, annotations, status; states through internal/lifecycle),
// the node (availability zone) and the kubelet's stats summary (read through the API server's
// node proxy, cached for a few seconds). An unknown pod or container is a 404 whose body is a
// JSON string, as ECS's agent answers.
package agent
