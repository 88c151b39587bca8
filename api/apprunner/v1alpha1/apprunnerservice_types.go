package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ServiceStatusValue is App Runner's ServiceStatus.
// +kubebuilder:validation:Enum=CREATE_FAILED;RUNNING;DELETED;DELETE_FAILED;PAUSED;OPERATION_IN_PROGRESS
type ServiceStatusValue string

// App Runner service statuses.
const (
	StatusCreateFailed        ServiceStatusValue = "CREATE_FAILED"
	StatusRunning             ServiceStatusValue = "RUNNING"
	StatusDeleted             ServiceStatusValue = "DELETED"
	StatusDeleteFailed        ServiceStatusValue = "DELETE_FAILED"
	StatusPaused              ServiceStatusValue = "PAUSED"
	StatusOperationInProgress ServiceStatusValue = "OPERATION_IN_PROGRESS"
)

// OperationType is App Runner's OperationType.
// +kubebuilder:validation:Enum=START_DEPLOYMENT;CREATE_SERVICE;PAUSE_SERVICE;RESUME_SERVICE;DELETE_SERVICE;UPDATE_SERVICE
type OperationType string

// Operation types.
const (
	OperationStartDeployment OperationType = "START_DEPLOYMENT"
	OperationCreateService   OperationType = "CREATE_SERVICE"
	OperationPauseService    OperationType = "PAUSE_SERVICE"
	OperationResumeService   OperationType = "RESUME_SERVICE"
	OperationDeleteService   OperationType = "DELETE_SERVICE"
	OperationUpdateService   OperationType = "UPDATE_SERVICE"
)

// OperationStatus is App Runner's OperationStatus.
// +kubebuilder:validation:Enum=PENDING;IN_PROGRESS;FAILED;SUCCEEDED;ROLLBACK_IN_PROGRESS;ROLLBACK_FAILED;ROLLBACK_SUCCEEDED
type OperationStatus string

// Operation statuses.
const (
	OperationPending            OperationStatus = "PENDING"
	OperationInProgress         OperationStatus = "IN_PROGRESS"
	OperationFailed             OperationStatus = "FAILED"
	OperationSucceeded          OperationStatus = "SUCCEEDED"
	OperationRollbackInProgress OperationStatus = "ROLLBACK_IN_PROGRESS"
	OperationRollbackFailed     OperationStatus = "ROLLBACK_FAILED"
	OperationRollbackSucceeded  OperationStatus = "ROLLBACK_SUCCEEDED"
)

// ImageConfiguration is how an image is run (App Runner's ImageConfiguration).
type ImageConfiguration struct {
	// port the container listens on (default "8080").
	// +optional
	// +kubebuilder:validation:Pattern=`^[0-9]{1,5}$`
	// +kubebuilder:validation:MaxLength=5
	Port string `json:"port,omitempty"`
	// startCommand replaces the image's command. A plain command line is split on spaces and
	// run directly (images without a shell work); one with shell syntax (quotes, $, pipes,
	// redirections, globs, ; or &&, a leading VAR=value) is run by /bin/sh -c.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	StartCommand string `json:"startCommand,omitempty"`
	// runtimeEnvironmentVariables of the instances.
	// +optional
	// +kubebuilder:validation:MaxProperties=200
	RuntimeEnvironmentVariables map[string]string `json:"runtimeEnvironmentVariables,omitempty"`
	// runtimeEnvironmentSecrets of the instances: a Kubernetes Secret key as
	// "<secret-name>:<key>", or an ARN mapped as described in docs/api.md.
	// +optional
	// +kubebuilder:validation:MaxProperties=200
	RuntimeEnvironmentSecrets map[string]string `json:"runtimeEnvironmentSecrets,omitempty"`
}

// ImageRepository is an image source.
type ImageRepository struct {
	// imageIdentifier is the image reference.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	ImageIdentifier string `json:"imageIdentifier"`
	// imageConfiguration of the image.
	// +optional
	ImageConfiguration *ImageConfiguration `json:"imageConfiguration,omitempty"`
	// imageRepositoryType is ECR or ECR_PUBLIC (recorded: any registry the cluster can
	// pull from works).
	// +required
	// +kubebuilder:validation:Enum=ECR;ECR_PUBLIC
	ImageRepositoryType string `json:"imageRepositoryType"`
}

// SourceCodeVersion is the branch a code repository deploys.
type SourceCodeVersion struct {
	// type is BRANCH.
	// +required
	// +kubebuilder:validation:Enum=BRANCH
	Type string `json:"type"`
	// value is the branch name.
	// +required
	// +kubebuilder:validation:MaxLength=255
	Value string `json:"value"`
}

// CodeConfigurationValues configure the build and run of a code repository.
type CodeConfigurationValues struct {
	// runtime of the build.
	// +required
	// +kubebuilder:validation:Enum=PYTHON_3;NODEJS_12;NODEJS_14;NODEJS_16;NODEJS_18;NODEJS_22;CORRETTO_8;CORRETTO_11;GO_1;DOTNET_6;PHP_81;RUBY_31;PYTHON_311
	Runtime string `json:"runtime"`
	// buildCommand of the build.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	BuildCommand string `json:"buildCommand,omitempty"`
	// startCommand of the service.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	StartCommand string `json:"startCommand,omitempty"`
	// port of the service (default "8080").
	// +optional
	// +kubebuilder:validation:Pattern=`^[0-9]{1,5}$`
	// +kubebuilder:validation:MaxLength=5
	Port string `json:"port,omitempty"`
	// runtimeEnvironmentVariables of the instances.
	// +optional
	// +kubebuilder:validation:MaxProperties=200
	RuntimeEnvironmentVariables map[string]string `json:"runtimeEnvironmentVariables,omitempty"`
	// runtimeEnvironmentSecrets of the instances.
	// +optional
	// +kubebuilder:validation:MaxProperties=200
	RuntimeEnvironmentSecrets map[string]string `json:"runtimeEnvironmentSecrets,omitempty"`
}

// CodeConfiguration says where the build configuration comes from.
type CodeConfiguration struct {
	// configurationSource is REPOSITORY (apprunner.yaml) or API.
	// +required
	// +kubebuilder:validation:Enum=REPOSITORY;API
	ConfigurationSource string `json:"configurationSource"`
	// codeConfigurationValues when configurationSource is API.
	// +optional
	CodeConfigurationValues *CodeConfigurationValues `json:"codeConfigurationValues,omitempty"`
}

// CodeRepository is a source code repository. kube-ecs does not build code: a service with
// a code repository reports CREATE_FAILED with a message saying so.
type CodeRepository struct {
	// repositoryUrl of the repository.
	// +required
	// +kubebuilder:validation:MaxLength=2048
	RepositoryURL string `json:"repositoryUrl"`
	// sourceCodeVersion to deploy.
	// +required
	SourceCodeVersion SourceCodeVersion `json:"sourceCodeVersion"`
	// codeConfiguration of the build.
	// +optional
	CodeConfiguration *CodeConfiguration `json:"codeConfiguration,omitempty"`
	// sourceDirectory in the repository.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	SourceDirectory string `json:"sourceDirectory,omitempty"`
}

// AuthenticationConfiguration gives App Runner access to the source (recorded; use an
// image pull secret with kube-ecs).
type AuthenticationConfiguration struct {
	// connectionArn of a GitHub or Bitbucket connection.
	// +optional
	// +kubebuilder:validation:MaxLength=1011
	ConnectionArn string `json:"connectionArn,omitempty"`
	// accessRoleArn for a private ECR repository.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	AccessRoleArn string `json:"accessRoleArn,omitempty"`
}

// SourceConfiguration is where the service's code or image comes from.
// +kubebuilder:validation:XValidation:rule="has(self.imageRepository) != has(self.codeRepository)",message="sourceConfiguration needs exactly one of imageRepository or codeRepository"
type SourceConfiguration struct {
	// codeRepository source.
	// +optional
	CodeRepository *CodeRepository `json:"codeRepository,omitempty"`
	// imageRepository source.
	// +optional
	ImageRepository *ImageRepository `json:"imageRepository,omitempty"`
	// autoDeploymentsEnabled deploys each new image version (default true, except for
	// ECR_PUBLIC images): the controller resolves the image tag to a digest (anonymously)
	// every --apprunner-image-poll-interval, pins the instances to it and deploys a new
	// digest as START_DEPLOYMENT. An image given by digest is run as written.
	// +optional
	AutoDeploymentsEnabled *bool `json:"autoDeploymentsEnabled,omitempty"`
	// authenticationConfiguration for the source.
	// +optional
	AuthenticationConfiguration *AuthenticationConfiguration `json:"authenticationConfiguration,omitempty"`
}

// InstanceConfiguration is the size of each instance.
// +kubebuilder:validation:XValidation:rule="!has(self.cpu) || !has(self.memory) || !self.cpu.matches('^([0-9]+|[0-9]+([.][0-9]+)? ?[vV][cC][pP][uU])$') || !self.memory.matches('^([0-9]+|[0-9]+([.][0-9]+)? ?[gG][bB])$') || ((self.cpu.matches('^[0-9]+$') ? int(self.cpu) : int(double(self.cpu.lowerAscii().replace('vcpu', ' ').trim()) * 1024.0)) in [256, 512, 1024, 2048, 4096] && (self.memory.matches('^[0-9]+$') ? int(self.memory) : int(double(self.memory.lowerAscii().replace('gb', ' ').trim()) * 1024.0)) in {256: [512, 1024], 512: [1024], 1024: [2048, 3072, 4096], 2048: [4096, 6144], 4096: [8192, 10240, 12288]}[(self.cpu.matches('^[0-9]+$') ? int(self.cpu) : int(double(self.cpu.lowerAscii().replace('vcpu', ' ').trim()) * 1024.0))])",messageExpression="\"instance cpu \" + self.cpu + \" with memory \" + self.memory + \" is not a valid App Runner pair. Valid pairs: 0.25 vCPU with 0.5 or 1 GB; 0.5 vCPU with 1 GB; 1 vCPU with 2, 3 or 4 GB; 2 vCPU with 4 or 6 GB; 4 vCPU with 8, 10 or 12 GB.\""
type InstanceConfiguration struct {
	// cpu of each instance: 256|512|1024|2048|4096 or (0.25|0.5|1|2|4) vCPU (default 1 vCPU).
	// +optional
	// +kubebuilder:validation:Pattern=`^(256|512|1024|2048|4096|(0[.]25|0[.]5|1|2|4) ?[vV][cC][pP][uU])$`
	// +kubebuilder:validation:MaxLength=9
	CPU string `json:"cpu,omitempty"`
	// memory of each instance: 512|1024|...|12288 or (0.5|1|2|3|4|6|8|10|12) GB (default 2 GB).
	// +optional
	// +kubebuilder:validation:Pattern=`^(512|1024|2048|3072|4096|6144|8192|10240|12288|(0[.]5|1|2|3|4|6|8|10|12) ?[gG][bB])$`
	// +kubebuilder:validation:MaxLength=6
	Memory string `json:"memory,omitempty"`
	// instanceRoleArn of the instances (recorded).
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	InstanceRoleArn string `json:"instanceRoleArn,omitempty"`
}

// HealthCheckConfiguration is how instances are health-checked.
type HealthCheckConfiguration struct {
	// protocol is TCP (default) or HTTP.
	// +optional
	// +kubebuilder:validation:Enum=TCP;HTTP
	Protocol string `json:"protocol,omitempty"`
	// path of an HTTP check (default /).
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:Pattern=`^/`
	Path string `json:"path,omitempty"`
	// interval in seconds between checks (1-20, default 5).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=20
	Interval *int32 `json:"interval,omitempty"`
	// timeout in seconds of one check (1-20, default 2).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=20
	Timeout *int32 `json:"timeout,omitempty"`
	// healthyThreshold of consecutive successes (1-20, default 1).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=20
	HealthyThreshold *int32 `json:"healthyThreshold,omitempty"`
	// unhealthyThreshold of consecutive failures (1-20, default 5).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=20
	UnhealthyThreshold *int32 `json:"unhealthyThreshold,omitempty"`
}

// AutoScalingConfiguration scales instances on concurrent requests. Unlike App Runner,
// minSize may be 0: the service scales to zero and requests are held while it starts.
// +kubebuilder:validation:XValidation:rule="!has(self.minSize) || !has(self.maxSize) || self.minSize <= self.maxSize",message="autoScalingConfiguration minSize must be less than or equal to maxSize"
// +kubebuilder:validation:XValidation:rule="!has(self.minSize) || has(self.maxSize) || self.minSize <= 25",message="autoScalingConfiguration minSize must be less than or equal to maxSize (default 25)"
type AutoScalingConfiguration struct {
	// autoScalingConfigurationName names the configuration (recorded).
	// +optional
	// +kubebuilder:validation:MinLength=4
	// +kubebuilder:validation:MaxLength=32
	AutoScalingConfigurationName string `json:"autoScalingConfigurationName,omitempty"`
	// maxConcurrency is the concurrent requests per instance before scaling up (1-200,
	// default 100).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=200
	MaxConcurrency *int32 `json:"maxConcurrency,omitempty"`
	// minSize is the number of provisioned instances kept (0-25, default 1; 0 scales to zero).
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=25
	MinSize *int32 `json:"minSize,omitempty"`
	// maxSize is the maximum number of instances (1-1000, default 25).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	MaxSize *int32 `json:"maxSize,omitempty"`
}

// EgressConfiguration is the outbound network of the instances (recorded).
type EgressConfiguration struct {
	// egressType is DEFAULT or VPC.
	// +optional
	// +kubebuilder:validation:Enum=DEFAULT;VPC
	EgressType string `json:"egressType,omitempty"`
	// vpcConnectorArn for VPC egress.
	// +optional
	// +kubebuilder:validation:MaxLength=1011
	VpcConnectorArn string `json:"vpcConnectorArn,omitempty"`
}

// IngressConfiguration is the inbound network of the service.
type IngressConfiguration struct {
	// isPubliclyAccessible: when false the service gets no Ingress, only the in-cluster URL.
	// +optional
	IsPubliclyAccessible *bool `json:"isPubliclyAccessible,omitempty"`
}

// NetworkConfiguration is the network of the service.
type NetworkConfiguration struct {
	// egressConfiguration of the instances.
	// +optional
	EgressConfiguration *EgressConfiguration `json:"egressConfiguration,omitempty"`
	// ingressConfiguration of the service.
	// +optional
	IngressConfiguration *IngressConfiguration `json:"ingressConfiguration,omitempty"`
	// ipAddressType is IPV4 (default) or DUAL_STACK.
	// +optional
	// +kubebuilder:validation:Enum=IPV4;DUAL_STACK
	IPAddressType string `json:"ipAddressType,omitempty"`
}

// ObservabilityConfiguration turns tracing on (recorded).
type ObservabilityConfiguration struct {
	// observabilityEnabled turns tracing on.
	// +required
	ObservabilityEnabled bool `json:"observabilityEnabled"`
	// observabilityConfigurationArn of the configuration.
	// +optional
	// +kubebuilder:validation:MaxLength=1011
	ObservabilityConfigurationArn string `json:"observabilityConfigurationArn,omitempty"`
}

// EncryptionConfiguration names a KMS key (recorded).
type EncryptionConfiguration struct {
	// kmsKey ARN.
	// +required
	// +kubebuilder:validation:MaxLength=256
	KmsKey string `json:"kmsKey"`
}

// Tag is an App Runner tag.
type Tag struct {
	// key of the tag.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	Key string `json:"key,omitempty"`
	// value of the tag.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Value string `json:"value,omitempty"`
}

// AppRunnerServiceSpec is App Runner's CreateService input in Kubernetes camelCase, with
// the autoscaling configuration inline and kube-ecs's pause switch.
type AppRunnerServiceSpec struct {
	// serviceName of the service. Optional: the name is metadata.name; when set it must be
	// equal to it.
	// +optional
	// +kubebuilder:validation:MinLength=4
	// +kubebuilder:validation:MaxLength=40
	ServiceName string `json:"serviceName,omitempty"`
	// sourceConfiguration is the image (or code) to run.
	// +required
	SourceConfiguration SourceConfiguration `json:"sourceConfiguration"`
	// instanceConfiguration is the size of each instance.
	// +optional
	InstanceConfiguration *InstanceConfiguration `json:"instanceConfiguration,omitempty"`
	// tags of the service.
	// +optional
	// +kubebuilder:validation:MaxItems=50
	Tags []Tag `json:"tags,omitempty"`
	// encryptionConfiguration of the service (recorded).
	// +optional
	EncryptionConfiguration *EncryptionConfiguration `json:"encryptionConfiguration,omitempty"`
	// healthCheckConfiguration of the instances.
	// +optional
	HealthCheckConfiguration *HealthCheckConfiguration `json:"healthCheckConfiguration,omitempty"`
	// autoScalingConfigurationArn names a shared configuration (recorded; use
	// autoScalingConfiguration).
	// +optional
	// +kubebuilder:validation:MaxLength=1011
	AutoScalingConfigurationArn string `json:"autoScalingConfigurationArn,omitempty"`
	// autoScalingConfiguration of the service.
	// +optional
	AutoScalingConfiguration *AutoScalingConfiguration `json:"autoScalingConfiguration,omitempty"`
	// networkConfiguration of the service.
	// +optional
	NetworkConfiguration *NetworkConfiguration `json:"networkConfiguration,omitempty"`
	// observabilityConfiguration of the service (recorded).
	// +optional
	ObservabilityConfiguration *ObservabilityConfiguration `json:"observabilityConfiguration,omitempty"`
	// paused takes the service to zero instances (PauseService); false resumes the last
	// deployed version (ResumeService).
	// +optional
	Paused bool `json:"paused,omitempty"`
}

// Operation is an App Runner operation on the service.
type Operation struct {
	// id of the operation.
	ID string `json:"id"`
	// type of the operation.
	Type OperationType `json:"type"`
	// status of the operation.
	Status OperationStatus `json:"status"`
	// startedAt is when the operation started.
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`
	// endedAt is when the operation ended.
	// +optional
	EndedAt *metav1.Time `json:"endedAt,omitempty"`
}

// AppRunnerServiceStatus is the observed state of an App Runner service.
type AppRunnerServiceStatus struct {
	// observedGeneration is the generation the status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// serviceId of the service (32 hex characters).
	// +optional
	ServiceID string `json:"serviceId,omitempty"`
	// serviceArn of the service.
	// +optional
	ServiceArn string `json:"serviceArn,omitempty"`
	// serviceUrl is the https URL of the service.
	// +optional
	ServiceURL string `json:"serviceUrl,omitempty"`
	// status of the service.
	// +optional
	Status ServiceStatusValue `json:"status,omitempty"`
	// currentOperation is the latest operation.
	// +optional
	CurrentOperation *Operation `json:"currentOperation,omitempty"`
	// activeInstances are instances serving requests.
	// +optional
	ActiveInstances int32 `json:"activeInstances"`
	// provisionedInstances are instances running, serving or idle.
	// +optional
	ProvisionedInstances int32 `json:"provisionedInstances"`
	// imageDigest of the deployed image.
	// +optional
	ImageDigest string `json:"imageDigest,omitempty"`
	// createdAt is when the service was created.
	// +optional
	CreatedAt *metav1.Time `json:"createdAt,omitempty"`
	// updatedAt is when the service last changed.
	// +optional
	UpdatedAt *metav1.Time `json:"updatedAt,omitempty"`
	// conditions: Ready, DeploymentAvailable, EndpointReady, and ImageResolved with
	// auto-deploy.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// AppRunnerService is an App Runner service: an image behind an HTTPS URL, scaled on
// concurrent requests.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ars;apprunner,categories=ecs
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.status`
// +kubebuilder:printcolumn:name="URL",type=string,JSONPath=`.status.serviceUrl`
// +kubebuilder:printcolumn:name="Active",type=integer,JSONPath=`.status.activeInstances`
// +kubebuilder:printcolumn:name="Provisioned",type=integer,JSONPath=`.status.provisionedInstances`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="!has(self.spec.serviceName) || self.spec.serviceName == self.metadata.name",message="spec.serviceName must equal metadata.name: an AppRunnerService object is one App Runner service, named by metadata.name"
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 40 && self.metadata.name.matches('^[a-z][-a-z0-9]{3,39}$') && !self.metadata.name.endsWith('-')",message="an App Runner service name (metadata.name) must have 4 to 40 lower-case letters, digits and '-', start with a letter and not end with '-' (App Runner's limit, and kube-ecs creates a Kubernetes Service of that name)"
type AppRunnerService struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec AppRunnerServiceSpec `json:"spec"`
	// +optional
	Status AppRunnerServiceStatus `json:"status,omitempty"`
}

// AppRunnerServiceList is a list of AppRunnerService.
//
// +kubebuilder:object:root=true
type AppRunnerServiceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AppRunnerService `json:"items"`
}

func init() {
	SchemeBuilder.Register(&AppRunnerService{}, &AppRunnerServiceList{})
}
