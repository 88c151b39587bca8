package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TaskLifecycleStatus is ECS's lastStatus and desiredStatus of a task.
// +kubebuilder:validation:Enum=PROVISIONING;PENDING;ACTIVATING;RUNNING;DEACTIVATING;STOPPING;DEPROVISIONING;STOPPED
type TaskLifecycleStatus string

// Task lifecycle statuses, in order.
const (
	TaskProvisioning   TaskLifecycleStatus = "PROVISIONING"
	TaskPending        TaskLifecycleStatus = "PENDING"
	TaskActivating     TaskLifecycleStatus = "ACTIVATING"
	TaskRunning        TaskLifecycleStatus = "RUNNING"
	TaskDeactivating   TaskLifecycleStatus = "DEACTIVATING"
	TaskStopping       TaskLifecycleStatus = "STOPPING"
	TaskDeprovisioning TaskLifecycleStatus = "DEPROVISIONING"
	TaskStopped        TaskLifecycleStatus = "STOPPED"
)

// DesiredTaskStatus is what a user asks of a task: RUNNING, or STOPPED (StopTask).
// +kubebuilder:validation:Enum=RUNNING;STOPPED
type DesiredTaskStatus string

// Desired task statuses.
const (
	DesiredTaskRunning DesiredTaskStatus = "RUNNING"
	DesiredTaskStopped DesiredTaskStatus = "STOPPED"
)

// TaskStopCode is ECS's TaskStopCode.
// +kubebuilder:validation:Enum=TaskFailedToStart;EssentialContainerExited;UserInitiated;ServiceSchedulerInitiated;SpotInterruption;TerminationNotice;InfrastructureHealth
type TaskStopCode string

// Task stop codes.
const (
	StopCodeTaskFailedToStart         TaskStopCode = "TaskFailedToStart"
	StopCodeEssentialContainerExited  TaskStopCode = "EssentialContainerExited"
	StopCodeUserInitiated             TaskStopCode = "UserInitiated"
	StopCodeServiceSchedulerInitiated TaskStopCode = "ServiceSchedulerInitiated"
	StopCodeSpotInterruption          TaskStopCode = "SpotInterruption"
	StopCodeTerminationNotice         TaskStopCode = "TerminationNotice"
	StopCodeInfrastructureHealth      TaskStopCode = "InfrastructureHealth"
)

// ContainerOverride overrides settings of one container for one task.
type ContainerOverride struct {
	// name of the container to override.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	Name string `json:"name"`
	// command replaces the container's command.
	// +optional
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MaxLength=8192
	Command []string `json:"command,omitempty"`
	// environment variables added to (or replacing) the container's.
	// +optional
	// +kubebuilder:validation:MaxItems=500
	Environment []KeyValuePair `json:"environment,omitempty"`
	// environmentFiles added to the container's (recorded).
	// +optional
	// +kubebuilder:validation:MaxItems=10
	EnvironmentFiles []EnvironmentFile `json:"environmentFiles,omitempty"`
	// cpu units of the container.
	// +optional
	// +kubebuilder:validation:Minimum=0
	CPU *int32 `json:"cpu,omitempty"`
	// memory hard limit in MiB.
	// +optional
	// +kubebuilder:validation:Minimum=6
	Memory *int32 `json:"memory,omitempty"`
	// memoryReservation soft limit in MiB.
	// +optional
	// +kubebuilder:validation:Minimum=6
	MemoryReservation *int32 `json:"memoryReservation,omitempty"`
	// resourceRequirements of the container.
	// +optional
	// +kubebuilder:validation:MaxItems=2
	ResourceRequirements []ResourceRequirement `json:"resourceRequirements,omitempty"`
}

// TaskOverride overrides task definition settings for one task (RunTask overrides).
type TaskOverride struct {
	// containerOverrides per container.
	// +optional
	// +kubebuilder:validation:MaxItems=10
	ContainerOverrides []ContainerOverride `json:"containerOverrides,omitempty"`
	// cpu of the task.
	// +optional
	// +kubebuilder:validation:Pattern=`^([0-9]+|[0-9]+([.][0-9]+)? ?[vV][cC][pP][uU])$`
	// +kubebuilder:validation:MaxLength=16
	CPU string `json:"cpu,omitempty"`
	// memory of the task.
	// +optional
	// +kubebuilder:validation:Pattern=`^([0-9]+|[0-9]+([.][0-9]+)? ?[gG][bB])$`
	// +kubebuilder:validation:MaxLength=16
	Memory string `json:"memory,omitempty"`
	// taskRoleArn of the task (recorded).
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	TaskRoleArn string `json:"taskRoleArn,omitempty"`
	// executionRoleArn of the task (recorded).
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	ExecutionRoleArn string `json:"executionRoleArn,omitempty"`
	// ephemeralStorage of the task.
	// +optional
	EphemeralStorage *EphemeralStorage `json:"ephemeralStorage,omitempty"`
}

// TaskSpec is one standalone task: the RunTask request for a single task.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.launchType) && has(self.capacityProviderStrategy) && size(self.capacityProviderStrategy) > 0)",message="Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again."
// +kubebuilder:validation:XValidation:rule="!has(self.capacityProviderStrategy) || self.capacityProviderStrategy.filter(s, has(s.base) && s.base > 0).size() <= 1",message="Only one capacity provider in a strategy can have a base defined."
// +kubebuilder:validation:XValidation:rule="!has(self.capacityProviderStrategy) || size(self.capacityProviderStrategy) == 0 || self.capacityProviderStrategy.exists(s, has(s.weight) && s.weight > 0)",message="At least one capacity provider in a strategy must have a weight greater than 0."
// +kubebuilder:validation:XValidation:rule="!has(self.capacityProviderStrategy) || self.capacityProviderStrategy.all(s, self.capacityProviderStrategy.exists_one(t, t.capacityProvider == s.capacityProvider))",message="a capacity provider can appear only once in a strategy"
// +kubebuilder:validation:XValidation:rule="!has(self.launchType) || self.launchType != 'FARGATE' || !has(self.placementConstraints) || size(self.placementConstraints) == 0",message="Fargate does not support placement constraints"
// +kubebuilder:validation:XValidation:rule="self.taskDefinition == oldSelf.taskDefinition",message="taskDefinition is immutable: a task runs the revision it started with"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.desiredStatus) || oldSelf.desiredStatus != 'STOPPED' || (has(self.desiredStatus) && self.desiredStatus == 'STOPPED')",message="a stopped task cannot be started again: run a new Task"
type TaskSpec struct {
	// cluster to run the task in: the name of a Cluster in this namespace (default "default").
	// +optional
	// +kubebuilder:validation:MaxLength=255
	Cluster string `json:"cluster,omitempty"`
	// taskDefinition to run: family (latest ACTIVE revision), family:revision, or a
	// task definition ARN.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	TaskDefinition string `json:"taskDefinition"`
	// overrides of the task definition for this task.
	// +optional
	Overrides *TaskOverride `json:"overrides,omitempty"`
	// launchType is EC2, FARGATE, EXTERNAL or MANAGED_INSTANCES. Mutually exclusive with
	// capacityProviderStrategy; with neither, the Cluster's default strategy applies.
	// +optional
	LaunchType LaunchType `json:"launchType,omitempty"`
	// capacityProviderStrategy places the task on a capacity provider (at most 20 items).
	// +optional
	// +kubebuilder:validation:MaxItems=20
	CapacityProviderStrategy []CapacityProviderStrategyItem `json:"capacityProviderStrategy,omitempty"`
	// placementConstraints for this task (at most 10).
	// +optional
	// +kubebuilder:validation:MaxItems=10
	PlacementConstraints []PlacementConstraint `json:"placementConstraints,omitempty"`
	// placementStrategy for this task (at most 5).
	// +optional
	// +kubebuilder:validation:MaxItems=5
	PlacementStrategy []PlacementStrategy `json:"placementStrategy,omitempty"`
	// networkConfiguration of the task (awsvpc; recorded).
	// +optional
	NetworkConfiguration *NetworkConfiguration `json:"networkConfiguration,omitempty"`
	// platformVersion for Fargate (recorded; default LATEST).
	// +optional
	// +kubebuilder:validation:MaxLength=32
	PlatformVersion string `json:"platformVersion,omitempty"`
	// group of the task (default family:<family>).
	// +optional
	// +kubebuilder:validation:MaxLength=255
	Group string `json:"group,omitempty"`
	// startedBy is a free-form tag of who started the task.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9/_-]*$`
	StartedBy string `json:"startedBy,omitempty"`
	// referenceId is a reference of the caller's.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	ReferenceID string `json:"referenceId,omitempty"`
	// propagateTags is TASK_DEFINITION or NONE.
	// +optional
	PropagateTags PropagateTags `json:"propagateTags,omitempty"`
	// enableExecuteCommand allows kubectl exec into the task's containers.
	// +optional
	EnableExecuteCommand *bool `json:"enableExecuteCommand,omitempty"`
	// enableECSManagedTags adds ECS's own tags (recorded).
	// +optional
	EnableECSManagedTags *bool `json:"enableECSManagedTags,omitempty"`
	// tags of the task.
	// +optional
	// +kubebuilder:validation:MaxItems=50
	Tags []Tag `json:"tags,omitempty"`
	// desiredStatus is RUNNING (default) or STOPPED: setting STOPPED is StopTask.
	// +optional
	DesiredStatus DesiredTaskStatus `json:"desiredStatus,omitempty"`
	// stoppedReason is the reason a user gives when setting desiredStatus STOPPED.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	StoppedReason string `json:"stoppedReason,omitempty"`
}

// NetworkBinding is a port a container is reachable on.
type NetworkBinding struct {
	// bindIP is the address the port is bound to.
	// +optional
	BindIP string `json:"bindIP,omitempty"`
	// containerPort of the binding.
	// +optional
	ContainerPort int32 `json:"containerPort,omitempty"`
	// hostPort of the binding.
	// +optional
	HostPort int32 `json:"hostPort,omitempty"`
	// protocol of the binding.
	// +optional
	Protocol TransportProtocol `json:"protocol,omitempty"`
}

// NetworkInterface is a task's network interface (awsvpc).
type NetworkInterface struct {
	// attachmentId of the interface.
	// +optional
	AttachmentID string `json:"attachmentId,omitempty"`
	// privateIpv4Address is the pod IP.
	// +optional
	PrivateIpv4Address string `json:"privateIpv4Address,omitempty"`
	// ipv6Address of the pod, when it has one.
	// +optional
	Ipv6Address string `json:"ipv6Address,omitempty"`
}

// Attachment is a resource attached to a task: for awsvpc tasks, the network interface
// (type ElasticNetworkInterface) whose details carry the pod's IP address.
type Attachment struct {
	// id of the attachment.
	ID string `json:"id"`
	// type of the attachment: ElasticNetworkInterface.
	Type string `json:"type"`
	// status of the attachment: PRECREATED, CREATED, ATTACHING, ATTACHED, DETACHING, DETACHED.
	Status string `json:"status"`
	// details of the attachment, such as privateIPv4Address.
	// +optional
	Details []KeyValuePair `json:"details,omitempty"`
}

// Container is the observed state of one container of a task.
type Container struct {
	// name of the container.
	Name string `json:"name"`
	// containerArn of the container.
	// +optional
	ContainerArn string `json:"containerArn,omitempty"`
	// image of the container.
	// +optional
	Image string `json:"image,omitempty"`
	// imageDigest the image resolved to.
	// +optional
	ImageDigest string `json:"imageDigest,omitempty"`
	// runtimeId is the container runtime's ID.
	// +optional
	RuntimeID string `json:"runtimeId,omitempty"`
	// lastStatus is PENDING, RUNNING or STOPPED.
	// +optional
	LastStatus TaskLifecycleStatus `json:"lastStatus,omitempty"`
	// exitCode of the container once stopped.
	// +optional
	ExitCode *int32 `json:"exitCode,omitempty"`
	// reason the container stopped.
	// +optional
	Reason string `json:"reason,omitempty"`
	// healthStatus of the container (UNKNOWN without a health check).
	// +optional
	HealthStatus HealthStatus `json:"healthStatus,omitempty"`
	// essential is whether the container is essential.
	// +optional
	Essential bool `json:"essential,omitempty"`
	// networkBindings of the container.
	// +optional
	NetworkBindings []NetworkBinding `json:"networkBindings,omitempty"`
	// networkInterfaces of the container.
	// +optional
	NetworkInterfaces []NetworkInterface `json:"networkInterfaces,omitempty"`
	// cpu units of the container.
	// +optional
	CPU string `json:"cpu,omitempty"`
	// memory of the container in MiB.
	// +optional
	Memory string `json:"memory,omitempty"`
	// memoryReservation of the container in MiB.
	// +optional
	MemoryReservation string `json:"memoryReservation,omitempty"`
}

// TaskStatus is the observed state of a task, with ECS's fields.
type TaskStatus struct {
	// observedGeneration is the generation the status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// taskArn of the task.
	// +optional
	TaskArn string `json:"taskArn,omitempty"`
	// clusterArn of the task's cluster.
	// +optional
	ClusterArn string `json:"clusterArn,omitempty"`
	// taskDefinitionArn of the revision the task runs.
	// +optional
	TaskDefinitionArn string `json:"taskDefinitionArn,omitempty"`
	// containerInstanceArn the task runs on (EC2 only).
	// +optional
	ContainerInstanceArn string `json:"containerInstanceArn,omitempty"`
	// lastStatus of the task.
	// +optional
	LastStatus TaskLifecycleStatus `json:"lastStatus,omitempty"`
	// desiredStatus of the task.
	// +optional
	DesiredStatus TaskLifecycleStatus `json:"desiredStatus,omitempty"`
	// healthStatus of the task: from its essential containers' health checks.
	// +optional
	HealthStatus HealthStatus `json:"healthStatus,omitempty"`
	// stopCode of a stopped task.
	// +optional
	StopCode TaskStopCode `json:"stopCode,omitempty"`
	// stoppedReason of a stopped task, in ECS's words.
	// +optional
	StoppedReason string `json:"stoppedReason,omitempty"`
	// launchType the task runs with.
	// +optional
	LaunchType LaunchType `json:"launchType,omitempty"`
	// capacityProviderName the task was placed with.
	// +optional
	CapacityProviderName string `json:"capacityProviderName,omitempty"`
	// availabilityZone the task runs in.
	// +optional
	AvailabilityZone string `json:"availabilityZone,omitempty"`
	// cpu of the task in units.
	// +optional
	CPU string `json:"cpu,omitempty"`
	// memory of the task in MiB.
	// +optional
	Memory string `json:"memory,omitempty"`
	// group of the task.
	// +optional
	Group string `json:"group,omitempty"`
	// startedBy of the task.
	// +optional
	StartedBy string `json:"startedBy,omitempty"`
	// connectivity is CONNECTED or DISCONNECTED.
	// +optional
	Connectivity string `json:"connectivity,omitempty"`
	// containers of the task.
	// +optional
	// +listType=map
	// +listMapKey=name
	Containers []Container `json:"containers,omitempty"`
	// attachments of the task: its network interface when networkMode is awsvpc.
	// +optional
	Attachments []Attachment `json:"attachments,omitempty"`
	// version increments with every change of the task's state.
	// +optional
	Version int64 `json:"version,omitempty"`
	// podName is the Pod that runs the task.
	// +optional
	PodName string `json:"podName,omitempty"`

	// createdAt is when the task was created.
	// +optional
	CreatedAt *metav1.Time `json:"createdAt,omitempty"`
	// pullStartedAt is when the first image pull started.
	// +optional
	PullStartedAt *metav1.Time `json:"pullStartedAt,omitempty"`
	// pullStoppedAt is when the last image pull finished.
	// +optional
	PullStoppedAt *metav1.Time `json:"pullStoppedAt,omitempty"`
	// connectivityAt is when the task got network connectivity.
	// +optional
	ConnectivityAt *metav1.Time `json:"connectivityAt,omitempty"`
	// startedAt is when the task reached RUNNING.
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`
	// stoppingAt is when the task began stopping.
	// +optional
	StoppingAt *metav1.Time `json:"stoppingAt,omitempty"`
	// executionStoppedAt is when the task's containers stopped.
	// +optional
	ExecutionStoppedAt *metav1.Time `json:"executionStoppedAt,omitempty"`
	// stoppedAt is when the task reached STOPPED.
	// +optional
	StoppedAt *metav1.Time `json:"stoppedAt,omitempty"`

	// conditions: Ready, Placed, ContainersHealthy.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Task is one standalone ECS task (RunTask), run as a Pod.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ecstask,categories=ecs
// +kubebuilder:printcolumn:name="Last Status",type=string,JSONPath=`.status.lastStatus`
// +kubebuilder:printcolumn:name="Desired",type=string,JSONPath=`.status.desiredStatus`
// +kubebuilder:printcolumn:name="Task Definition",type=string,JSONPath=`.spec.taskDefinition`
// +kubebuilder:printcolumn:name="Health",type=string,JSONPath=`.status.healthStatus`,priority=1
// +kubebuilder:printcolumn:name="Stop Code",type=string,JSONPath=`.status.stopCode`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Task struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec TaskSpec `json:"spec"`
	// +optional
	Status TaskStatus `json:"status,omitempty"`
}

// TaskList is a list of Task.
//
// +kubebuilder:object:root=true
type TaskList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Task `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Task{}, &TaskList{})
}
