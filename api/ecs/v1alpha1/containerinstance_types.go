package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ContainerInstanceLifecycleStatus is a container instance's status.
// +kubebuilder:validation:Enum=REGISTERING;REGISTRATION_FAILED;ACTIVE;INACTIVE;DEREGISTERING;DRAINING
type ContainerInstanceLifecycleStatus string

// Container instance statuses.
const (
	ContainerInstanceRegistering        ContainerInstanceLifecycleStatus = "REGISTERING"
	ContainerInstanceRegistrationFailed ContainerInstanceLifecycleStatus = "REGISTRATION_FAILED"
	ContainerInstanceActive             ContainerInstanceLifecycleStatus = "ACTIVE"
	ContainerInstanceInactive           ContainerInstanceLifecycleStatus = "INACTIVE"
	ContainerInstanceDeregistering      ContainerInstanceLifecycleStatus = "DEREGISTERING"
	ContainerInstanceDraining           ContainerInstanceLifecycleStatus = "DRAINING"
)

// DesiredContainerInstanceStatus is what UpdateContainerInstancesState may set.
// +kubebuilder:validation:Enum=ACTIVE;DRAINING
type DesiredContainerInstanceStatus string

// Desired container instance statuses.
const (
	DesiredContainerInstanceActive   DesiredContainerInstanceStatus = "ACTIVE"
	DesiredContainerInstanceDraining DesiredContainerInstanceStatus = "DRAINING"
)

// Resource is a registered or remaining resource of a container instance: CPU and MEMORY
// as INTEGER, PORTS and PORTS_UDP as STRINGSET.
type Resource struct {
	// name is CPU, MEMORY, PORTS or PORTS_UDP.
	Name string `json:"name"`
	// type is INTEGER, LONG or STRINGSET.
	Type string `json:"type"`
	// integerValue of an INTEGER resource.
	// +optional
	IntegerValue *int32 `json:"integerValue,omitempty"`
	// longValue of a LONG resource.
	// +optional
	LongValue *int64 `json:"longValue,omitempty"`
	// stringSetValue of a STRINGSET resource.
	// +optional
	StringSetValue []string `json:"stringSetValue,omitempty"`
}

// VersionInfo describes the agent of a container instance.
type VersionInfo struct {
	// agentVersion of the kube-ecs agent.
	// +optional
	AgentVersion string `json:"agentVersion,omitempty"`
	// agentHash of the kube-ecs agent build.
	// +optional
	AgentHash string `json:"agentHash,omitempty"`
	// dockerVersion is the node's container runtime version.
	// +optional
	DockerVersion string `json:"dockerVersion,omitempty"`
}

// CustomAttribute is a user-defined attribute of a container instance.
type CustomAttribute struct {
	// name of the attribute (not starting with ecs.).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[a-zA-Z0-9_.-]+$`
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('ecs.')",message="attributes starting with ecs. are built in and cannot be set"
	Name string `json:"name"`
	// value of the attribute.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	Value string `json:"value,omitempty"`
}

// ContainerInstanceSpec is a node registered into a cluster.
type ContainerInstanceSpec struct {
	// cluster the instance is registered in.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="cluster is immutable: deregister the instance and register it again"
	Cluster string `json:"cluster"`
	// nodeName of the Kubernetes node.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="nodeName is immutable"
	NodeName string `json:"nodeName"`
	// capacityProviderName is the EC2 capacity provider that selected the node.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	CapacityProviderName string `json:"capacityProviderName,omitempty"`
	// status is ACTIVE (default) or DRAINING: UpdateContainerInstancesState.
	// +optional
	Status DesiredContainerInstanceStatus `json:"status,omitempty"`
	// attributes are custom attributes (at most 10), usable in memberOf expressions.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=10
	Attributes []CustomAttribute `json:"attributes,omitempty"`
}

// ContainerInstanceStatus is the observed state of a container instance.
type ContainerInstanceStatus struct {
	// observedGeneration is the generation the status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// containerInstanceArn of the instance.
	// +optional
	ContainerInstanceArn string `json:"containerInstanceArn,omitempty"`
	// ec2InstanceId of the instance: the node's provider ID, or its name.
	// +optional
	EC2InstanceID string `json:"ec2InstanceId,omitempty"`
	// status of the instance.
	// +optional
	Status ContainerInstanceLifecycleStatus `json:"status,omitempty"`
	// statusReason explains status.
	// +optional
	StatusReason string `json:"statusReason,omitempty"`
	// agentConnected is true while the agent heartbeats. Only connected instances accept
	// task placements.
	// +optional
	AgentConnected bool `json:"agentConnected"`
	// lastHeartbeatTime is the agent's last heartbeat.
	// +optional
	LastHeartbeatTime *metav1.Time `json:"lastHeartbeatTime,omitempty"`
	// attributes of the instance, built-in (ecs.*) and custom.
	// +optional
	Attributes []Attribute `json:"attributes,omitempty"`
	// registeredResources of the instance.
	// +optional
	RegisteredResources []Resource `json:"registeredResources,omitempty"`
	// remainingResources of the instance.
	// +optional
	RemainingResources []Resource `json:"remainingResources,omitempty"`
	// runningTasksCount on the instance.
	// +optional
	RunningTasksCount int32 `json:"runningTasksCount"`
	// pendingTasksCount on the instance.
	// +optional
	PendingTasksCount int32 `json:"pendingTasksCount"`
	// registeredAt is when the instance registered.
	// +optional
	RegisteredAt *metav1.Time `json:"registeredAt,omitempty"`
	// versionInfo of the agent.
	// +optional
	VersionInfo *VersionInfo `json:"versionInfo,omitempty"`
	// conditions: Ready, AgentConnected.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// ContainerInstance is a Kubernetes node registered into an ECS cluster.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ci;ecsinstance,categories=ecs
// +kubebuilder:printcolumn:name="Cluster",type=string,JSONPath=`.spec.cluster`
// +kubebuilder:printcolumn:name="Node",type=string,JSONPath=`.spec.nodeName`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.status`
// +kubebuilder:printcolumn:name="Agent",type=boolean,JSONPath=`.status.agentConnected`
// +kubebuilder:printcolumn:name="Running",type=integer,JSONPath=`.status.runningTasksCount`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ContainerInstance struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec ContainerInstanceSpec `json:"spec"`
	// +optional
	Status ContainerInstanceStatus `json:"status,omitempty"`
}

// ContainerInstanceList is a list of ContainerInstance.
//
// +kubebuilder:object:root=true
type ContainerInstanceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ContainerInstance `json:"items"`
}

func init() {
	SchemeBuilder.Register(&ContainerInstance{}, &ContainerInstanceList{})
}
