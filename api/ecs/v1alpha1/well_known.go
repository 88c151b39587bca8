package v1alpha1

// Labels, annotations, finalizers and field managers, in one place.
const (
	// LabelPrefix is the prefix of every kube-ecs label and annotation.
	LabelPrefix = "ecs.kube-ecs.io/"

	// ClusterLabel names the Cluster a task's pod, service's children or node belongs to.
	ClusterLabel = LabelPrefix + "cluster"
	// TaskLabel names the Task a pod runs.
	TaskLabel = LabelPrefix + "task"
	// ServiceLabel names the Service a child belongs to.
	ServiceLabel = LabelPrefix + "service"
	// FamilyLabel names the task definition family of a revision or pod.
	FamilyLabel = LabelPrefix + "family"
	// RevisionLabel is the task definition revision number of a ControllerRevision or pod.
	RevisionLabel = LabelPrefix + "revision"
	// DeploymentIDLabel is the ECS deployment id (digits of ecs-svc/<id>) of a service's pods.
	DeploymentIDLabel = LabelPrefix + "deployment-id"
	// LaunchTypeLabel is the launch type of a task's pod.
	LaunchTypeLabel = LabelPrefix + "launch-type"
	// CapacityProviderLabel is the capacity provider of a task's pod.
	CapacityProviderLabel = LabelPrefix + "capacity-provider"

	// StartedByAnnotation is the startedBy of a service's tasks.
	StartedByAnnotation = LabelPrefix + "started-by"
	// GroupAnnotation is the group of a task's pod.
	GroupAnnotation = LabelPrefix + "group"
	// EssentialContainersAnnotation on a task's pod lists its essential containers by their
	// Kubernetes names, comma-separated: the Task controller stops the task when one exits.
	EssentialContainersAnnotation = LabelPrefix + "essential-containers"
	// ContainerNamesAnnotation on a task's pod maps converted Kubernetes container names back
	// to ECS names as "<k8s>=<ecs>,..." (only the names that changed).
	ContainerNamesAnnotation = LabelPrefix + "container-names"
	// StartTimeoutsAnnotation on a task's pod records containers' startTimeout as
	// "<k8s>=<seconds>,...".
	StartTimeoutsAnnotation = LabelPrefix + "start-timeouts"
	// ECSNameAnnotation keeps the original ECS name (family, service or cluster) when it is
	// not a valid Kubernetes name and kubectl ecs import converted it.
	ECSNameAnnotation = LabelPrefix + "ecs-name"
	// ServiceAccountAnnotation on a TaskDefinition names the ServiceAccount its tasks run as
	// (kube-ecs's form of taskRoleArn).
	ServiceAccountAnnotation = LabelPrefix + "service-account"
	// CapacityProvisionedAnnotation is the Fargate size of a pod, in EKS Fargate's format
	// ("0.25vCPU 0.5GB").
	CapacityProvisionedAnnotation = "CapacityProvisioned"

	// WorkloadLabel on a service's pods names the Deployment or DaemonSet that runs them (one
	// per capacity provider of the service's strategy).
	WorkloadLabel = LabelPrefix + "workload"
	// DeploymentIDAnnotation on a service's Deployment or DaemonSet is the ECS deployment
	// (ecs-svc/<id>) its pod template runs.
	DeploymentIDAnnotation = LabelPrefix + "deployment-id"
	// SpecHashAnnotation on a service's Deployment or DaemonSet is the hash of what its pod
	// template runs, without the deployment id (Deployment.specHash).
	SpecHashAnnotation = LabelPrefix + "spec-hash"
	// ForceNewDeploymentAnnotation on a Service: a new value starts a new deployment of the
	// same revision (UpdateService --force-new-deployment).
	ForceNewDeploymentAnnotation = LabelPrefix + "force-new-deployment"
	// ForceDeleteAnnotation "true" on a Service allows deleting it while desiredCount is
	// above 0 (DeleteService --force).
	ForceDeleteAnnotation = LabelPrefix + "force-delete"
	// ServiceFinalizer keeps a deleted Service DRAINING until its tasks have stopped.
	ServiceFinalizer = LabelPrefix + "service-drain"
	// ClusterFinalizer blocks a Cluster's deletion while it has services or tasks.
	ClusterFinalizer = LabelPrefix + "cluster-protection"

	// FieldManager is the server-side apply field manager of every child kube-ecs writes.
	FieldManager = "kube-ecs"

	// SchedulerName is the scheduler that places EC2 tasks.
	SchedulerName = "kube-ecs-scheduler"

	// AgentLeasePrefix prefixes the name of the Lease an agent renews for its node
	// ("agent-<node>", in the agent's namespace): its heartbeat.
	AgentLeasePrefix = "agent-"
	// AgentMetadataPort is the host port of the agent's task metadata endpoint.
	AgentMetadataPort = 51679
	// AgentVersionAnnotation on an agent's Lease is the agent's version.
	AgentVersionAnnotation = LabelPrefix + "agent-version"
	// SpotInterruptionAnnotation on a node of the FARGATE_SPOT capacity pool (any value) asks
	// kube-ecs to interrupt the Spot capacity: the tasks there get SIGTERM and stop with
	// SpotInterruption; the node takes no task until the warning has passed.
	SpotInterruptionAnnotation = LabelPrefix + "spot-interruption"
	// SpotReclaimAtAnnotation is set by kube-ecs on an interrupted node: when the warning ends
	// and the capacity is reclaimed (RFC 3339).
	SpotReclaimAtAnnotation = LabelPrefix + "spot-reclaim-at"
	// SpotInterruptionTaint (NoSchedule) keeps new tasks off an interrupted node until its
	// capacity has been reclaimed and replaced.
	SpotInterruptionTaint = LabelPrefix + "spot-interruption"
	// SpotInterruptionDisruptionReason is the reason of the DisruptionTarget condition kube-ecs
	// sets on the pods of interrupted Spot tasks.
	SpotInterruptionDisruptionReason = "SpotInterruption"

	// PlacementAnnotation on an EC2 task's pod is what the ECS scheduler places it by: JSON
	// {"constraints": [...], "strategy": [...], "capacityProvider": "..."}.
	PlacementAnnotation = LabelPrefix + "placement"
	// DefaultClusterName is the cluster used when a task or service names none.
	DefaultClusterName = "default"
)

// Built-in ECS attributes and the node labels they come from.
const (
	AttributeAvailabilityZone = "ecs.availability-zone"
	AttributeInstanceType     = "ecs.instance-type"
	AttributeOSType           = "ecs.os-type"
	AttributeCPUArchitecture  = "ecs.cpu-architecture"
	AttributeAMIID            = "ecs.ami-id"

	NodeLabelZone         = "topology.kubernetes.io/zone"
	NodeLabelInstanceType = "node.kubernetes.io/instance-type"
	NodeLabelOS           = "kubernetes.io/os"
	NodeLabelArch         = "kubernetes.io/arch"
	// NodeLabelAMIID is the label kube-ecs reads ecs.ami-id from, when a node has it.
	NodeLabelAMIID = LabelPrefix + "ami-id"
)
