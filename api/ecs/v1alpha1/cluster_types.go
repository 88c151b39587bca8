package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ClusterLifecycleStatus is a cluster's status.
// +kubebuilder:validation:Enum=ACTIVE;PROVISIONING;DEPROVISIONING;FAILED;INACTIVE
type ClusterLifecycleStatus string

// Cluster statuses.
const (
	ClusterActive         ClusterLifecycleStatus = "ACTIVE"
	ClusterProvisioning   ClusterLifecycleStatus = "PROVISIONING"
	ClusterDeprovisioning ClusterLifecycleStatus = "DEPROVISIONING"
	ClusterFailed         ClusterLifecycleStatus = "FAILED"
	ClusterInactive       ClusterLifecycleStatus = "INACTIVE"
)

// ClusterSetting is a cluster setting such as containerInsights.
type ClusterSetting struct {
	// name of the setting: containerInsights.
	// +required
	// +kubebuilder:validation:Enum=containerInsights
	Name string `json:"name"`
	// value of the setting: enabled, enhanced or disabled.
	// +required
	// +kubebuilder:validation:Enum=enabled;enhanced;disabled
	Value string `json:"value"`
}

// ExecuteCommandLogConfiguration says where execute-command sessions are logged (recorded).
type ExecuteCommandLogConfiguration struct {
	// cloudWatchEncryptionEnabled of the log.
	// +optional
	CloudWatchEncryptionEnabled *bool `json:"cloudWatchEncryptionEnabled,omitempty"`
	// cloudWatchLogGroupName of the log.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	CloudWatchLogGroupName string `json:"cloudWatchLogGroupName,omitempty"`
	// s3BucketName of the log.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	S3BucketName string `json:"s3BucketName,omitempty"`
	// s3EncryptionEnabled of the log.
	// +optional
	S3EncryptionEnabled *bool `json:"s3EncryptionEnabled,omitempty"`
	// s3KeyPrefix of the log.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	S3KeyPrefix string `json:"s3KeyPrefix,omitempty"`
}

// ExecuteCommandConfiguration configures execute-command sessions (recorded).
type ExecuteCommandConfiguration struct {
	// kmsKeyId for the session.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	KmsKeyID string `json:"kmsKeyId,omitempty"`
	// logging is NONE, DEFAULT or OVERRIDE.
	// +optional
	// +kubebuilder:validation:Enum=NONE;DEFAULT;OVERRIDE
	Logging string `json:"logging,omitempty"`
	// logConfiguration when logging is OVERRIDE.
	// +optional
	LogConfiguration *ExecuteCommandLogConfiguration `json:"logConfiguration,omitempty"`
}

// ClusterConfiguration is the cluster's configuration (recorded).
type ClusterConfiguration struct {
	// executeCommandConfiguration of the cluster.
	// +optional
	ExecuteCommandConfiguration *ExecuteCommandConfiguration `json:"executeCommandConfiguration,omitempty"`
}

// ClusterServiceConnectDefaults sets the default Service Connect namespace (recorded).
type ClusterServiceConnectDefaults struct {
	// namespace for Service Connect.
	// +required
	// +kubebuilder:validation:MaxLength=1024
	Namespace string `json:"namespace"`
}

// EC2CapacityProvider is kube-ecs's form of an EC2 Auto Scaling group capacity provider:
// the nodes it selects are the cluster's container instances for that provider.
type EC2CapacityProvider struct {
	// name of the provider, used in capacityProviders and strategies.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^[a-zA-Z0-9_-]+$`
	// +kubebuilder:validation:XValidation:rule="!(self in ['FARGATE', 'FARGATE_SPOT']) && !self.startsWith('aws') && !self.startsWith('ecs')",message="an EC2 capacity provider name cannot be FARGATE or FARGATE_SPOT or start with aws or ecs"
	Name string `json:"name"`
	// nodeSelector selects the nodes of this provider by label.
	// +required
	NodeSelector metav1.LabelSelector `json:"nodeSelector"`
}

// ClusterSpec is an ECS cluster: the CreateCluster request, plus the EC2 capacity providers
// that select nodes.
//
// +kubebuilder:validation:XValidation:rule="!has(self.defaultCapacityProviderStrategy) || self.defaultCapacityProviderStrategy.filter(s, has(s.base) && s.base > 0).size() <= 1",message="Only one capacity provider in a strategy can have a base defined."
// +kubebuilder:validation:XValidation:rule="!has(self.defaultCapacityProviderStrategy) || size(self.defaultCapacityProviderStrategy) == 0 || self.defaultCapacityProviderStrategy.exists(s, has(s.weight) && s.weight > 0)",message="At least one capacity provider in a strategy must have a weight greater than 0."
// +kubebuilder:validation:XValidation:rule="!has(self.defaultCapacityProviderStrategy) || self.defaultCapacityProviderStrategy.all(s, has(self.capacityProviders) && s.capacityProvider in self.capacityProviders)",message="The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Add it to capacityProviders first."
// +kubebuilder:validation:XValidation:rule="!has(self.capacityProviders) || self.capacityProviders.all(p, p in ['FARGATE', 'FARGATE_SPOT'] || (has(self.ec2CapacityProviders) && self.ec2CapacityProviders.exists(e, e.name == p)))",message="capacityProviders may name FARGATE, FARGATE_SPOT or a provider defined in ec2CapacityProviders"
// +kubebuilder:validation:XValidation:rule="!has(self.ec2CapacityProviders) || self.ec2CapacityProviders.all(e, self.ec2CapacityProviders.exists_one(f, f.name == e.name))",message="ec2CapacityProviders names must be unique"
// +kubebuilder:validation:XValidation:rule="!has(self.clusterName) || !has(oldSelf.clusterName) || self.clusterName == oldSelf.clusterName",message="clusterName is immutable"
type ClusterSpec struct {
	// clusterName of the cluster. Optional: the name is metadata.name; when set it must be
	// equal to it.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	ClusterName string `json:"clusterName,omitempty"`
	// tags of the cluster.
	// +optional
	// +kubebuilder:validation:MaxItems=50
	Tags []Tag `json:"tags,omitempty"`
	// settings of the cluster.
	// +optional
	// +kubebuilder:validation:MaxItems=1
	Settings []ClusterSetting `json:"settings,omitempty"`
	// configuration of the cluster.
	// +optional
	Configuration *ClusterConfiguration `json:"configuration,omitempty"`
	// capacityProviders associated with the cluster: FARGATE, FARGATE_SPOT and names from
	// ec2CapacityProviders.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=20
	// +kubebuilder:validation:items:MaxLength=255
	CapacityProviders []string `json:"capacityProviders,omitempty"`
	// defaultCapacityProviderStrategy for tasks and services that give neither a launch
	// type nor a strategy.
	// +optional
	// +kubebuilder:validation:MaxItems=20
	DefaultCapacityProviderStrategy []CapacityProviderStrategyItem `json:"defaultCapacityProviderStrategy,omitempty"`
	// serviceConnectDefaults of the cluster (recorded).
	// +optional
	ServiceConnectDefaults *ClusterServiceConnectDefaults `json:"serviceConnectDefaults,omitempty"`
	// ec2CapacityProviders define the EC2 capacity providers of this cluster by the nodes
	// they select. A node selected by one becomes a ContainerInstance of the cluster.
	// +optional
	// +kubebuilder:validation:MaxItems=20
	EC2CapacityProviders []EC2CapacityProvider `json:"ec2CapacityProviders,omitempty"`
}

// ClusterStatus is the observed state of a cluster, with ECS's counts.
type ClusterStatus struct {
	// observedGeneration is the generation the status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// clusterArn of the cluster.
	// +optional
	ClusterArn string `json:"clusterArn,omitempty"`
	// status of the cluster.
	// +optional
	Status ClusterLifecycleStatus `json:"status,omitempty"`
	// registeredContainerInstancesCount is the number of container instances.
	// +optional
	RegisteredContainerInstancesCount int32 `json:"registeredContainerInstancesCount"`
	// runningTasksCount is the number of RUNNING tasks.
	// +optional
	RunningTasksCount int32 `json:"runningTasksCount"`
	// pendingTasksCount is the number of PENDING tasks.
	// +optional
	PendingTasksCount int32 `json:"pendingTasksCount"`
	// activeServicesCount is the number of ACTIVE services.
	// +optional
	ActiveServicesCount int32 `json:"activeServicesCount"`
	// capacityProviders usable by the cluster's tasks.
	// +optional
	CapacityProviders []string `json:"capacityProviders,omitempty"`
	// conditions: Ready, Deleting.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Cluster is an ECS cluster: a namespace-scoped grouping of tasks, services and container
// instances.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ecscluster,categories=ecs
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.status`
// +kubebuilder:printcolumn:name="Instances",type=integer,JSONPath=`.status.registeredContainerInstancesCount`
// +kubebuilder:printcolumn:name="Running",type=integer,JSONPath=`.status.runningTasksCount`
// +kubebuilder:printcolumn:name="Pending",type=integer,JSONPath=`.status.pendingTasksCount`
// +kubebuilder:printcolumn:name="Services",type=integer,JSONPath=`.status.activeServicesCount`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="!has(self.spec) || !has(self.spec.clusterName) || self.spec.clusterName == self.metadata.name",message="spec.clusterName must equal metadata.name: a Cluster object is one ECS cluster, named by metadata.name"
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 63",message="a cluster name (metadata.name) can have at most 63 characters: it is a label value on the cluster's pods and nodes"
type Cluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +optional
	Spec ClusterSpec `json:"spec,omitempty"`
	// +optional
	Status ClusterStatus `json:"status,omitempty"`
}

// ClusterList is a list of Cluster.
//
// +kubebuilder:object:root=true
type ClusterList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Cluster `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Cluster{}, &ClusterList{})
}
