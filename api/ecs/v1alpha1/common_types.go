package v1alpha1

// Types shared by several ECS kinds. Each mirrors the ECS API shape of the same name.

// KeyValuePair is ECS's name/value pair (environment variables, properties).
type KeyValuePair struct {
	// name of the pair.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Name string `json:"name,omitempty"`
	// value of the pair.
	// +optional
	// +kubebuilder:validation:MaxLength=32768
	Value string `json:"value,omitempty"`
}

// Tag is an ECS resource tag. kube-ecs copies tags to the labels of the objects it creates
// only where they are valid label values; they are otherwise kept for reference.
type Tag struct {
	// key of the tag.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	Key string `json:"key,omitempty"`
	// value of the tag.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Value string `json:"value,omitempty"`
}

// LaunchType is where a task runs.
// +kubebuilder:validation:Enum=EC2;FARGATE;EXTERNAL;MANAGED_INSTANCES
type LaunchType string

// Launch types.
const (
	LaunchTypeEC2              LaunchType = "EC2"
	LaunchTypeFargate          LaunchType = "FARGATE"
	LaunchTypeExternal         LaunchType = "EXTERNAL"
	LaunchTypeManagedInstances LaunchType = "MANAGED_INSTANCES"
)

// Compatibility is a launch type a task definition is validated against.
// +kubebuilder:validation:Enum=EC2;FARGATE;EXTERNAL;MANAGED_INSTANCES
type Compatibility string

// Compatibilities.
const (
	CompatibilityEC2              Compatibility = "EC2"
	CompatibilityFargate          Compatibility = "FARGATE"
	CompatibilityExternal         Compatibility = "EXTERNAL"
	CompatibilityManagedInstances Compatibility = "MANAGED_INSTANCES"
)

// Built-in capacity provider names.
const (
	CapacityProviderFargate     = "FARGATE"
	CapacityProviderFargateSpot = "FARGATE_SPOT"
)

// CapacityProviderStrategyItem is one provider of a capacity provider strategy: after each
// provider's base is met, tasks are split by weight.
type CapacityProviderStrategyItem struct {
	// capacityProvider is the name of the provider: FARGATE, FARGATE_SPOT or one of the
	// Cluster's EC2 capacity providers.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	CapacityProvider string `json:"capacityProvider"`
	// weight is the relative share of tasks after base is met (0-1000, default 0).
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	Weight *int32 `json:"weight,omitempty"`
	// base is the minimum number of tasks on this provider (0-100000). Only one provider of
	// a strategy may set a base.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100000
	Base *int32 `json:"base,omitempty"`
}

// PlacementConstraintType is the kind of a placement constraint.
// +kubebuilder:validation:Enum=distinctInstance;memberOf
type PlacementConstraintType string

// Placement constraint types.
const (
	PlacementConstraintDistinctInstance PlacementConstraintType = "distinctInstance"
	PlacementConstraintMemberOf         PlacementConstraintType = "memberOf"
)

// PlacementConstraint restricts the container instances a task may be placed on.
// +kubebuilder:validation:XValidation:rule="self.type != 'distinctInstance' || !has(self.expression)",message="a distinctInstance constraint takes no expression"
// +kubebuilder:validation:XValidation:rule="self.type != 'memberOf' || has(self.expression)",message="a memberOf constraint needs an expression in the cluster query language, for example 'attribute:ecs.instance-type =~ t3.*'"
type PlacementConstraint struct {
	// type is distinctInstance or memberOf.
	// +required
	Type PlacementConstraintType `json:"type"`
	// expression is a cluster query language expression (memberOf only).
	// +optional
	// +kubebuilder:validation:MaxLength=2000
	Expression string `json:"expression,omitempty"`
}

// TaskDefinitionPlacementConstraintType is the only constraint type a task definition allows.
// +kubebuilder:validation:Enum=memberOf
type TaskDefinitionPlacementConstraintType string

// TaskDefinitionPlacementConstraint is a placement constraint stated in a task definition.
type TaskDefinitionPlacementConstraint struct {
	// type is memberOf.
	// +required
	Type TaskDefinitionPlacementConstraintType `json:"type"`
	// expression is a cluster query language expression.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2000
	Expression string `json:"expression"`
}

// PlacementStrategyType is the kind of a placement strategy.
// +kubebuilder:validation:Enum=random;spread;binpack
type PlacementStrategyType string

// Placement strategy types.
const (
	PlacementStrategyRandom  PlacementStrategyType = "random"
	PlacementStrategySpread  PlacementStrategyType = "spread"
	PlacementStrategyBinpack PlacementStrategyType = "binpack"
)

// PlacementStrategy orders the container instances that pass the constraints.
// +kubebuilder:validation:XValidation:rule="self.type != 'binpack' || (has(self.field) && self.field.lowerAscii() in ['cpu', 'memory'])",message="a binpack strategy needs field cpu or memory"
// +kubebuilder:validation:XValidation:rule="self.type != 'spread' || has(self.field)",message="a spread strategy needs a field: instanceId (or host) or attribute:<name>, for example attribute:ecs.availability-zone"
// +kubebuilder:validation:XValidation:rule="self.type != 'random' || !has(self.field)",message="a random strategy takes no field"
type PlacementStrategy struct {
	// type is random, spread or binpack.
	// +required
	Type PlacementStrategyType `json:"type"`
	// field is what the strategy applies to: cpu or memory for binpack; instanceId, host or
	// attribute:<name> for spread.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	Field string `json:"field,omitempty"`
}

// AssignPublicIP is ECS's ENABLED/DISABLED switch.
// +kubebuilder:validation:Enum=ENABLED;DISABLED
type AssignPublicIP string

// AwsVpcConfiguration is accepted for compatibility with ECS requests. Pods always get a
// cluster IP of their own; subnets and security groups are recorded, not enforced.
type AwsVpcConfiguration struct {
	// subnets the task would be attached to on AWS.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MaxLength=255
	Subnets []string `json:"subnets,omitempty"`
	// securityGroups the task would be attached to on AWS.
	// +optional
	// +kubebuilder:validation:MaxItems=5
	// +kubebuilder:validation:items:MaxLength=255
	SecurityGroups []string `json:"securityGroups,omitempty"`
	// assignPublicIp is ENABLED or DISABLED.
	// +optional
	AssignPublicIP AssignPublicIP `json:"assignPublicIp,omitempty"`
}

// NetworkConfiguration is the network configuration of a task or service.
type NetworkConfiguration struct {
	// awsvpcConfiguration is the awsvpc network configuration.
	// +optional
	AwsvpcConfiguration *AwsVpcConfiguration `json:"awsvpcConfiguration,omitempty"`
}

// PropagateTags says where the tags of a task come from.
// +kubebuilder:validation:Enum=TASK_DEFINITION;SERVICE;NONE
type PropagateTags string

// HealthStatus is the health of a container or task.
// +kubebuilder:validation:Enum=HEALTHY;UNHEALTHY;UNKNOWN
type HealthStatus string

// Health statuses.
const (
	HealthStatusHealthy   HealthStatus = "HEALTHY"
	HealthStatusUnhealthy HealthStatus = "UNHEALTHY"
	HealthStatusUnknown   HealthStatus = "UNKNOWN"
)

// AvailabilityZoneRebalancing turns ECS's AZ rebalancing on or off for a service.
// +kubebuilder:validation:Enum=ENABLED;DISABLED
type AvailabilityZoneRebalancing string
