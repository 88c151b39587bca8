package v1alpha1

// Condition types. Every kind has Ready; the others belong to one kind each.
const (
	// ReadyCondition is true when the object is fully reconciled and usable.
	ReadyCondition = "Ready"

	// PlacedCondition (Task) is true once the task's pod is bound to a node.
	PlacedCondition = "Placed"
	// ContainersHealthyCondition (Task) is true while every essential container with a
	// health check is HEALTHY.
	ContainersHealthyCondition = "ContainersHealthy"

	// AvailableCondition (Service) is true while at least minimumHealthyPercent of the
	// desired tasks are RUNNING and healthy.
	AvailableCondition = "Available"
	// ProgressingCondition (Service) is true while a deployment is IN_PROGRESS.
	ProgressingCondition = "Progressing"
	// SteadyStateCondition (Service) is true when one deployment runs desiredCount tasks.
	SteadyStateCondition = "SteadyState"

	// DeletingCondition (Cluster) is true while a deletion waits on what the cluster holds.
	DeletingCondition = "Deleting"

	// AgentConnectedCondition (ContainerInstance) is true while the agent heartbeats.
	AgentConnectedCondition = "AgentConnected"
)

// Condition reasons.
const (
	// ReconciledReason: the object's children match its spec.
	ReconciledReason = "Reconciled"
	// ReconcileErrorReason: the last reconcile failed; the message says why.
	ReconcileErrorReason = "ReconcileError"
	// NotOwnedReason: a child of the expected name exists and is not controlled by this object.
	NotOwnedReason = "NotOwned"

	// TaskDefinitionNotFoundReason: the referenced family or revision does not exist.
	TaskDefinitionNotFoundReason = "TaskDefinitionNotFound"
	// TaskDefinitionInactiveReason: the referenced revision is INACTIVE.
	TaskDefinitionInactiveReason = "TaskDefinitionInactive"
	// TaskDefinitionInvalidReason: the revision cannot be turned into a pod (for example an
	// override names a container the task definition does not have).
	TaskDefinitionInvalidReason = "TaskDefinitionInvalid"
	// ClusterNotFoundReason: the referenced cluster does not exist (ClusterNotFoundException).
	ClusterNotFoundReason = "ClusterNotFound"

	// PlacementFailedReason: no container instance met the task's requirements.
	PlacementFailedReason = "PlacementFailed"
	// ScheduledReason: the task's pod is bound to a node.
	ScheduledReason = "Scheduled"
	// PendingReason: the task's pod waits to be scheduled or started.
	PendingReason = "Pending"
	// RunningReason: the task is RUNNING.
	RunningReason = "Running"
	// TaskStoppedReason: the task is STOPPED.
	TaskStoppedReason = "TaskStopped"
	// HealthyReason: every essential container with a health check is HEALTHY.
	HealthyReason = "Healthy"
	// HealthUnknownReason: no essential container has a health check, or none has reported.
	HealthUnknownReason = "HealthUnknown"
	// HealthCheckFailingReason: an essential container's health check fails.
	HealthCheckFailingReason = "HealthCheckFailing"

	// DeploymentInProgressReason: a deployment is rolling out.
	DeploymentInProgressReason = "DeploymentInProgress"
	// DeploymentCompletedReason: the PRIMARY deployment is COMPLETED.
	DeploymentCompletedReason = "DeploymentCompleted"
	// DeploymentFailedReason: the circuit breaker failed the deployment.
	DeploymentFailedReason = "DeploymentFailed"

	// DeploymentRolledBackReason: the circuit breaker failed the deployment and the service
	// rolled back to the last COMPLETED one.
	DeploymentRolledBackReason = "DeploymentRolledBack"
	// DeploymentBlockedReason: minimumHealthyPercent and maximumPercent leave no room to stop
	// or start a task.
	DeploymentBlockedReason = "DeploymentBlocked"
	// TasksThrottledReason: tasks keep failing to start and their replacement is slowed down.
	TasksThrottledReason = "TasksThrottled"
	// TasksUnplaceableReason: a task of the service cannot be placed.
	TasksUnplaceableReason = "TasksUnplaceable"
	// ScalingReason: running tasks differ from desiredCount with no deployment in progress.
	ScalingReason = "Scaling"
	// SteadyStateReason: one deployment, running == desired, all healthy.
	SteadyStateReason = "SteadyState"
	// ServiceDrainingReason: the service was deleted and its tasks are stopping.
	ServiceDrainingReason = "ServiceDraining"
	// ClusterActiveReason: the cluster is ACTIVE.
	ClusterActiveReason = "ClusterActive"

	// ClusterContainsServicesReason: deletion waits on services (ClusterContainsServicesException).
	ClusterContainsServicesReason = "ClusterContainsServicesException"
	// ClusterContainsTasksReason: deletion waits on tasks (ClusterContainsTasksException).
	ClusterContainsTasksReason = "ClusterContainsTasksException"
	// ClusterContainsContainerInstancesReason: deletion waits on container instances.
	ClusterContainsContainerInstancesReason = "ClusterContainsContainerInstancesException"

	// AgentHeartbeatReason: the agent's heartbeat is recent.
	AgentHeartbeatReason = "AgentHeartbeat"
	// AgentDisconnectedReason: the agent's heartbeat is older than the timeout.
	AgentDisconnectedReason = "AgentDisconnected"
)
