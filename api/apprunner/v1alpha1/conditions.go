package v1alpha1

// Condition types of an AppRunnerService.
const (
	// ReadyCondition is true when the service is RUNNING and reachable at its URL.
	ReadyCondition = "Ready"
	// DeploymentAvailableCondition is true while the deployed version has ready instances
	// (or is scaled to zero and can start on the next request).
	DeploymentAvailableCondition = "DeploymentAvailable"
	// EndpointReadyCondition is true once the URL routes to the service.
	EndpointReadyCondition = "EndpointReady"
)

// Condition reasons of an AppRunnerService.
const (
	// ReconciledReason: the service's children match its spec.
	ReconciledReason = "Reconciled"
	// PausedReason: the service is paused (zero instances; requests answered 503).
	PausedReason = "Paused"
	// CodeRepositoryUnsupportedReason: the source is a code repository, which kube-ecs does
	// not build.
	CodeRepositoryUnsupportedReason = "CodeRepositoryUnsupported"
	// ScaledToZeroReason: no instance runs; the next request starts one.
	ScaledToZeroReason = "ScaledToZero"
)
