package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// SchedulingStrategy is REPLICA or DAEMON.
// +kubebuilder:validation:Enum=REPLICA;DAEMON
type SchedulingStrategy string

// Scheduling strategies.
const (
	SchedulingStrategyReplica SchedulingStrategy = "REPLICA"
	SchedulingStrategyDaemon  SchedulingStrategy = "DAEMON"
)

// ServiceLifecycleStatus is a service's status: ACTIVE, DRAINING or INACTIVE.
// +kubebuilder:validation:Enum=ACTIVE;DRAINING;INACTIVE
type ServiceLifecycleStatus string

// Service statuses.
const (
	ServiceActive   ServiceLifecycleStatus = "ACTIVE"
	ServiceDraining ServiceLifecycleStatus = "DRAINING"
	ServiceInactive ServiceLifecycleStatus = "INACTIVE"
)

// DeploymentStatus is the status of one deployment of a service.
// +kubebuilder:validation:Enum=PRIMARY;ACTIVE;INACTIVE
type DeploymentStatus string

// Deployment statuses.
const (
	DeploymentPrimary  DeploymentStatus = "PRIMARY"
	DeploymentActive   DeploymentStatus = "ACTIVE"
	DeploymentInactive DeploymentStatus = "INACTIVE"
)

// DeploymentRolloutState is ECS's rolloutState.
// +kubebuilder:validation:Enum=IN_PROGRESS;COMPLETED;FAILED
type DeploymentRolloutState string

// Rollout states.
const (
	RolloutInProgress DeploymentRolloutState = "IN_PROGRESS"
	RolloutCompleted  DeploymentRolloutState = "COMPLETED"
	RolloutFailed     DeploymentRolloutState = "FAILED"
)

// DeploymentControllerType is ECS, CODE_DEPLOY or EXTERNAL. kube-ecs is the ECS controller.
// +kubebuilder:validation:Enum=ECS;CODE_DEPLOY;EXTERNAL
type DeploymentControllerType string

// DeploymentController chooses who deploys the service.
type DeploymentController struct {
	// type of the controller: only ECS is carried out by kube-ecs.
	// +required
	Type DeploymentControllerType `json:"type"`
}

// CircuitBreakerThresholdConfiguration sets the failure threshold of the circuit breaker.
type CircuitBreakerThresholdConfiguration struct {
	// type is COUNT, BOUNDED_PERCENT (default) or UNBOUNDED_PERCENT.
	// +optional
	// +kubebuilder:validation:Enum=COUNT;BOUNDED_PERCENT;UNBOUNDED_PERCENT
	Type string `json:"type,omitempty"`
	// value of the threshold (default 50 for BOUNDED_PERCENT).
	// +optional
	// +kubebuilder:validation:Minimum=1
	Value *int32 `json:"value,omitempty"`
}

// DeploymentCircuitBreaker fails (and optionally rolls back) a deployment whose tasks keep
// failing.
type DeploymentCircuitBreaker struct {
	// enable the circuit breaker.
	// +required
	Enable bool `json:"enable"`
	// rollback to the last COMPLETED deployment when it trips.
	// +required
	Rollback bool `json:"rollback"`
	// resetOnHealthyTask resets the failure count when a task becomes healthy (default true).
	// +optional
	ResetOnHealthyTask *bool `json:"resetOnHealthyTask,omitempty"`
	// thresholdConfiguration of the failure count.
	// +optional
	ThresholdConfiguration *CircuitBreakerThresholdConfiguration `json:"thresholdConfiguration,omitempty"`
}

// DeploymentAlarms roll back a deployment when CloudWatch alarms fire (recorded).
type DeploymentAlarms struct {
	// alarmNames to watch.
	// +required
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:MaxLength=255
	AlarmNames []string `json:"alarmNames"`
	// enable alarm monitoring.
	// +required
	Enable bool `json:"enable"`
	// rollback when an alarm fires.
	// +required
	Rollback bool `json:"rollback"`
}

// DeploymentConfiguration bounds a rolling deployment.
type DeploymentConfiguration struct {
	// maximumPercent of desiredCount that may be RUNNING or PENDING during a deployment,
	// rounded down (default 200; DAEMON: 100).
	// +optional
	// +kubebuilder:validation:Minimum=100
	// +kubebuilder:validation:Maximum=2000
	MaximumPercent *int32 `json:"maximumPercent,omitempty"`
	// minimumHealthyPercent of desiredCount that must stay RUNNING and healthy, rounded up
	// (default 100; DAEMON: 0).
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	MinimumHealthyPercent *int32 `json:"minimumHealthyPercent,omitempty"`
	// deploymentCircuitBreaker of the service.
	// +optional
	DeploymentCircuitBreaker *DeploymentCircuitBreaker `json:"deploymentCircuitBreaker,omitempty"`
	// alarms of the deployment (recorded).
	// +optional
	Alarms *DeploymentAlarms `json:"alarms,omitempty"`
	// strategy is ROLLING (default). BLUE_GREEN, LINEAR and CANARY are recorded and
	// deployed as ROLLING.
	// +optional
	// +kubebuilder:validation:Enum=ROLLING;BLUE_GREEN;LINEAR;CANARY
	Strategy string `json:"strategy,omitempty"`
	// bakeTimeInMinutes after a blue/green shift (recorded).
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1440
	BakeTimeInMinutes *int32 `json:"bakeTimeInMinutes,omitempty"`
}

// LoadBalancer attaches a container port of the service's tasks to a load balancer. On
// Kubernetes it becomes a Service (and an Ingress where the cluster has a controller).
type LoadBalancer struct {
	// targetGroupArn of the target group (recorded; names the Kubernetes Service).
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	TargetGroupArn string `json:"targetGroupArn,omitempty"`
	// loadBalancerName of a Classic Load Balancer (recorded).
	// +optional
	// +kubebuilder:validation:MaxLength=255
	LoadBalancerName string `json:"loadBalancerName,omitempty"`
	// containerName of the container to attach.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	ContainerName string `json:"containerName,omitempty"`
	// containerPort of the container to attach.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	ContainerPort *int32 `json:"containerPort,omitempty"`
	// deregistrationDelaySeconds is how long a stopping task stays out of the load balancer
	// before its containers get SIGTERM, so that connections drain (the target group's
	// deregistration delay; kube-ecs extension, default 5).
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=3600
	DeregistrationDelaySeconds *int32 `json:"deregistrationDelaySeconds,omitempty"`
	// ingress exposes the port over HTTP through the cluster's ingress controller (an
	// Ingress object; kube-ecs extension).
	// +optional
	Ingress *LoadBalancerIngress `json:"ingress,omitempty"`
}

// LoadBalancerIngress is the HTTP routing rule of a load balancer: an Application Load
// Balancer listener rule, as a Kubernetes Ingress rule.
type LoadBalancerIngress struct {
	// host the rule matches (any host when empty).
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Host string `json:"host,omitempty"`
	// path prefix the rule matches (default /).
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:Pattern=`^/`
	Path string `json:"path,omitempty"`
	// ingressClassName of the Ingress (the cluster's default class when empty).
	// +optional
	// +kubebuilder:validation:MaxLength=253
	IngressClassName string `json:"ingressClassName,omitempty"`
}

// ServiceRegistry registers the service's tasks for discovery (a headless Service).
type ServiceRegistry struct {
	// registryArn of the Cloud Map service (recorded).
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	RegistryArn string `json:"registryArn,omitempty"`
	// port of the SRV record.
	// +optional
	Port *int32 `json:"port,omitempty"`
	// containerName of the SRV record.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	ContainerName string `json:"containerName,omitempty"`
	// containerPort of the SRV record.
	// +optional
	ContainerPort *int32 `json:"containerPort,omitempty"`
}

// ServiceSpec is an ECS service: the CreateService request, field for field.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.launchType) && has(self.capacityProviderStrategy) && size(self.capacityProviderStrategy) > 0)",message="Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again."
// +kubebuilder:validation:XValidation:rule="!has(self.capacityProviderStrategy) || self.capacityProviderStrategy.filter(s, has(s.base) && s.base > 0).size() <= 1",message="Only one capacity provider in a strategy can have a base defined."
// +kubebuilder:validation:XValidation:rule="!has(self.capacityProviderStrategy) || size(self.capacityProviderStrategy) == 0 || self.capacityProviderStrategy.exists(s, has(s.weight) && s.weight > 0)",message="At least one capacity provider in a strategy must have a weight greater than 0."
// +kubebuilder:validation:XValidation:rule="!has(self.capacityProviderStrategy) || self.capacityProviderStrategy.all(s, self.capacityProviderStrategy.exists_one(t, t.capacityProvider == s.capacityProvider))",message="a capacity provider can appear only once in a strategy"
// +kubebuilder:validation:XValidation:rule="!has(self.schedulingStrategy) || self.schedulingStrategy != 'DAEMON' || !has(self.deploymentConfiguration) || !has(self.deploymentConfiguration.maximumPercent) || self.deploymentConfiguration.maximumPercent == 100",message="The daemon scheduling strategy requires a maximumPercent of 100."
// +kubebuilder:validation:XValidation:rule="!has(self.schedulingStrategy) || self.schedulingStrategy != 'DAEMON' || !has(self.placementStrategy) || size(self.placementStrategy) == 0",message="Placement strategies are not supported with the DAEMON scheduling strategy."
// +kubebuilder:validation:XValidation:rule="!has(self.schedulingStrategy) || self.schedulingStrategy != 'DAEMON' || ((!has(self.launchType) || self.launchType != 'FARGATE') && (!has(self.capacityProviderStrategy) || !self.capacityProviderStrategy.exists(s, s.capacityProvider in ['FARGATE', 'FARGATE_SPOT'])))",message="The DAEMON scheduling strategy is not supported on Fargate."
// +kubebuilder:validation:XValidation:rule="!has(self.launchType) || self.launchType != 'FARGATE' || !has(self.placementConstraints) || size(self.placementConstraints) == 0",message="Fargate does not support placement constraints"
// +kubebuilder:validation:XValidation:rule="!has(self.serviceName) || !has(oldSelf.serviceName) || self.serviceName == oldSelf.serviceName",message="serviceName is immutable"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.schedulingStrategy) || (has(self.schedulingStrategy) && self.schedulingStrategy == oldSelf.schedulingStrategy)",message="schedulingStrategy is immutable: create a new service"
type ServiceSpec struct {
	// serviceName of the service. Optional: the name is metadata.name; when set it must be
	// equal to it.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	ServiceName string `json:"serviceName,omitempty"`
	// cluster to run the service in: the name of a Cluster in this namespace (default
	// "default").
	// +optional
	// +kubebuilder:validation:MaxLength=255
	Cluster string `json:"cluster,omitempty"`
	// taskDefinition to run: family (follows the latest ACTIVE revision), family:revision
	// (pinned) or a task definition ARN.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	TaskDefinition string `json:"taskDefinition"`
	// loadBalancers of the service.
	// +optional
	// +kubebuilder:validation:MaxItems=5
	LoadBalancers []LoadBalancer `json:"loadBalancers,omitempty"`
	// serviceRegistries of the service (at most one).
	// +optional
	// +kubebuilder:validation:MaxItems=1
	ServiceRegistries []ServiceRegistry `json:"serviceRegistries,omitempty"`
	// desiredCount of tasks (REPLICA; default 1 when omitted). Ignored for DAEMON services,
	// which run one task on each container instance.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100000
	DesiredCount *int32 `json:"desiredCount,omitempty"`
	// clientToken for idempotency (recorded).
	// +optional
	// +kubebuilder:validation:MaxLength=64
	ClientToken string `json:"clientToken,omitempty"`
	// launchType of the service's tasks. Mutually exclusive with capacityProviderStrategy.
	// +optional
	LaunchType LaunchType `json:"launchType,omitempty"`
	// capacityProviderStrategy of the service (at most 20 items).
	// +optional
	// +kubebuilder:validation:MaxItems=20
	CapacityProviderStrategy []CapacityProviderStrategyItem `json:"capacityProviderStrategy,omitempty"`
	// platformVersion for Fargate (recorded).
	// +optional
	// +kubebuilder:validation:MaxLength=32
	PlatformVersion string `json:"platformVersion,omitempty"`
	// role for the load balancer (recorded).
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	Role string `json:"role,omitempty"`
	// deploymentConfiguration bounds rolling deployments.
	// +optional
	DeploymentConfiguration *DeploymentConfiguration `json:"deploymentConfiguration,omitempty"`
	// placementConstraints of the service's tasks (at most 10).
	// +optional
	// +kubebuilder:validation:MaxItems=10
	PlacementConstraints []PlacementConstraint `json:"placementConstraints,omitempty"`
	// placementStrategy of the service's tasks (at most 5).
	// +optional
	// +kubebuilder:validation:MaxItems=5
	PlacementStrategy []PlacementStrategy `json:"placementStrategy,omitempty"`
	// networkConfiguration of the service's tasks (awsvpc; recorded).
	// +optional
	NetworkConfiguration *NetworkConfiguration `json:"networkConfiguration,omitempty"`
	// healthCheckGracePeriodSeconds during which health check failures are ignored.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=2147483647
	HealthCheckGracePeriodSeconds *int32 `json:"healthCheckGracePeriodSeconds,omitempty"`
	// schedulingStrategy is REPLICA (default) or DAEMON.
	// +optional
	SchedulingStrategy SchedulingStrategy `json:"schedulingStrategy,omitempty"`
	// deploymentController of the service (ECS).
	// +optional
	DeploymentController *DeploymentController `json:"deploymentController,omitempty"`
	// tags of the service.
	// +optional
	// +kubebuilder:validation:MaxItems=50
	Tags []Tag `json:"tags,omitempty"`
	// enableECSManagedTags adds ECS's own tags (recorded).
	// +optional
	EnableECSManagedTags *bool `json:"enableECSManagedTags,omitempty"`
	// propagateTags is TASK_DEFINITION, SERVICE or NONE.
	// +optional
	PropagateTags PropagateTags `json:"propagateTags,omitempty"`
	// enableExecuteCommand allows kubectl exec into the service's tasks.
	// +optional
	EnableExecuteCommand *bool `json:"enableExecuteCommand,omitempty"`
	// availabilityZoneRebalancing is ENABLED or DISABLED.
	// +optional
	AvailabilityZoneRebalancing AvailabilityZoneRebalancing `json:"availabilityZoneRebalancing,omitempty"`
	// serviceConnectConfiguration is accepted as ECS writes it and recorded; Service
	// Connect is not emulated (use the Kubernetes Service kube-ecs creates).
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	ServiceConnectConfiguration *runtime.RawExtension `json:"serviceConnectConfiguration,omitempty"`
	// volumeConfigurations (EBS volumes configured at launch) are accepted and recorded.
	// +optional
	// +kubebuilder:validation:MaxItems=1
	// +kubebuilder:validation:items:Type=object
	// +kubebuilder:validation:items:XPreserveUnknownFields
	VolumeConfigurations []runtime.RawExtension `json:"volumeConfigurations,omitempty"`
	// vpcLatticeConfigurations are accepted and recorded.
	// +optional
	// +kubebuilder:validation:MaxItems=5
	// +kubebuilder:validation:items:Type=object
	// +kubebuilder:validation:items:XPreserveUnknownFields
	VpcLatticeConfigurations []runtime.RawExtension `json:"vpcLatticeConfigurations,omitempty"`
}

// Deployment is one ECS deployment of a service: a task definition revision rolled out.
type Deployment struct {
	// id of the deployment: ecs-svc/<19 digits>.
	ID string `json:"id"`
	// status is PRIMARY (newest), ACTIVE (being replaced) or INACTIVE.
	Status DeploymentStatus `json:"status"`
	// taskDefinition is the ARN of the revision the deployment runs.
	TaskDefinition string `json:"taskDefinition"`
	// desiredCount of the deployment.
	DesiredCount int32 `json:"desiredCount"`
	// pendingCount of the deployment.
	PendingCount int32 `json:"pendingCount"`
	// runningCount of the deployment.
	RunningCount int32 `json:"runningCount"`
	// failedTasks is the number of consecutive failed tasks.
	// +optional
	FailedTasks int32 `json:"failedTasks,omitempty"`
	// createdAt is when the deployment started.
	// +optional
	CreatedAt *metav1.Time `json:"createdAt,omitempty"`
	// updatedAt is when the deployment last changed.
	// +optional
	UpdatedAt *metav1.Time `json:"updatedAt,omitempty"`
	// launchType of the deployment.
	// +optional
	LaunchType LaunchType `json:"launchType,omitempty"`
	// capacityProviderStrategy of the deployment.
	// +optional
	CapacityProviderStrategy []CapacityProviderStrategyItem `json:"capacityProviderStrategy,omitempty"`
	// rolloutState of the deployment.
	// +optional
	RolloutState DeploymentRolloutState `json:"rolloutState,omitempty"`
	// rolloutStateReason explains rolloutState.
	// +optional
	RolloutStateReason string `json:"rolloutStateReason,omitempty"`
	// specHash identifies what the deployment runs (the revision and the service settings
	// its tasks are built from; kube-ecs extension). A FAILED deployment's hash is not
	// deployed again until the service or its task definition changes.
	// +optional
	SpecHash string `json:"specHash,omitempty"`
}

// CircuitBreakerState is the state of a deployment circuit breaker.
// +kubebuilder:validation:Enum=TRIGGERED;MONITORING;MONITORING_COMPLETE;DISABLED
type CircuitBreakerState string

// Circuit breaker states.
const (
	CircuitBreakerTriggered          CircuitBreakerState = "TRIGGERED"
	CircuitBreakerMonitoring         CircuitBreakerState = "MONITORING"
	CircuitBreakerMonitoringComplete CircuitBreakerState = "MONITORING_COMPLETE"
	CircuitBreakerDisabled           CircuitBreakerState = "DISABLED"
)

// ServiceCircuitBreakerStatus is the circuit breaker of the PRIMARY deployment, as ECS's
// ServiceDeploymentCircuitBreaker reports it.
type ServiceCircuitBreakerStatus struct {
	// status of the circuit breaker.
	Status CircuitBreakerState `json:"status"`
	// failureCount is the number of failed tasks counted against the threshold.
	FailureCount int32 `json:"failureCount"`
	// threshold of failed tasks that trips the breaker.
	Threshold int32 `json:"threshold"`
}

// ServiceEvent is one entry of a service's event log, in ECS's words.
type ServiceEvent struct {
	// id of the event.
	ID string `json:"id"`
	// createdAt is when the event happened.
	CreatedAt metav1.Time `json:"createdAt"`
	// message of the event.
	Message string `json:"message"`
}

// ServiceStatus is the observed state of a service, with ECS's fields.
type ServiceStatus struct {
	// observedGeneration is the generation the status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// serviceArn of the service.
	// +optional
	ServiceArn string `json:"serviceArn,omitempty"`
	// clusterArn of the service's cluster.
	// +optional
	ClusterArn string `json:"clusterArn,omitempty"`
	// status is ACTIVE, DRAINING or INACTIVE.
	// +optional
	Status ServiceLifecycleStatus `json:"status,omitempty"`
	// taskDefinition is the ARN of the PRIMARY deployment's revision.
	// +optional
	TaskDefinition string `json:"taskDefinition,omitempty"`
	// desiredCount of the service.
	// +optional
	DesiredCount int32 `json:"desiredCount"`
	// runningCount of the service.
	// +optional
	RunningCount int32 `json:"runningCount"`
	// pendingCount of the service.
	// +optional
	PendingCount int32 `json:"pendingCount"`
	// deployments of the service, PRIMARY first.
	// +optional
	// +listType=map
	// +listMapKey=id
	Deployments []Deployment `json:"deployments,omitempty"`
	// lastFailedDeployment is the most recent deployment the circuit breaker failed, once its
	// tasks are gone and it left the deployments list (kube-ecs extension). Its specHash is
	// not deployed again until the service or its task definition changes; the annotation
	// ecs.kube-ecs.io/force-new-deployment retries it.
	// +optional
	LastFailedDeployment *Deployment `json:"lastFailedDeployment,omitempty"`
	// deploymentCircuitBreaker is the state of the PRIMARY deployment's circuit breaker.
	// +optional
	DeploymentCircuitBreaker *ServiceCircuitBreakerStatus `json:"deploymentCircuitBreaker,omitempty"`
	// events of the service, newest first (at most 100).
	// +optional
	// +kubebuilder:validation:MaxItems=100
	Events []ServiceEvent `json:"events,omitempty"`
	// createdAt is when the service was created.
	// +optional
	CreatedAt *metav1.Time `json:"createdAt,omitempty"`
	// conditions: Ready, Available, Progressing, SteadyState.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Service is an ECS service: desiredCount tasks of a task definition kept running, with
// rolling deployments.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ecsservice;ecssvc,categories=ecs
// +kubebuilder:printcolumn:name="Desired",type=integer,JSONPath=`.status.desiredCount`
// +kubebuilder:printcolumn:name="Running",type=integer,JSONPath=`.status.runningCount`
// +kubebuilder:printcolumn:name="Pending",type=integer,JSONPath=`.status.pendingCount`
// +kubebuilder:printcolumn:name="Rollout",type=string,JSONPath=`.status.deployments[0].rolloutState`
// +kubebuilder:printcolumn:name="Task Definition",type=string,JSONPath=`.spec.taskDefinition`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="!has(self.spec.serviceName) || self.spec.serviceName == self.metadata.name",message="spec.serviceName must equal metadata.name: a Service object is one ECS service, named by metadata.name"
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 63 && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",message="a service name (metadata.name) must be a DNS-1035 label: lower-case letters, digits and '-', starting with a letter, at most 63 characters, because kube-ecs creates a Kubernetes Service of that name"
type Service struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec ServiceSpec `json:"spec"`
	// +optional
	Status ServiceStatus `json:"status,omitempty"`
}

// ServiceList is a list of Service.
//
// +kubebuilder:object:root=true
type ServiceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Service `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Service{}, &ServiceList{})
}
