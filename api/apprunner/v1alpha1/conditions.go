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
	// ImageResolvedCondition is true when the image tag of a service with auto-deploy
	// (autoDeploymentsEnabled) resolved to a digest in its registry. Present only with
	// auto-deploy on and an image given by tag.
	ImageResolvedCondition = "ImageResolved"
	// EgressReadyCondition is true when the instances' egress is what egressType VPC asks
	// for: the VPC connector's ConfigMap was found and its NetworkPolicy written. Present only
	// with egressType VPC.
	EgressReadyCondition = "EgressReady"
	// CertificateConfiguredCondition is true when the service's cert-manager Certificate is
	// written (cert-manager then issues it). Present only when the manager has a cert-manager
	// issuer (--apprunner-cert-manager-issuer).
	CertificateConfiguredCondition = "CertificateConfigured"
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
	// InstancesReadyReason: instances of the deployed version are ready.
	InstancesReadyReason = "InstancesReady"
	// NoReadyInstancesReason: the service should run instances and none is ready.
	NoReadyInstancesReason = "NoReadyInstances"
	// EndpointPendingReason: the service's Kubernetes Service does not exist yet.
	EndpointPendingReason = "EndpointPending"
	// OperationInProgressReason: an operation (CREATE_SERVICE, UPDATE_SERVICE, ...) is
	// rolling out.
	OperationInProgressReason = "OperationInProgress"
	// DeploymentFailedReason: the service's first deployment did not become healthy in time
	// (CREATE_FAILED).
	DeploymentFailedReason = "DeploymentFailed"
	// NotOwnedReason: an object of a child's name exists and the service does not control it.
	NotOwnedReason = "NotOwned"
	// VpcConnectorNotFoundReason: egressType VPC names a VPC connector with no ConfigMap;
	// the instances may reach DNS only until it is created.
	VpcConnectorNotFoundReason = "VpcConnectorNotFound"
	// VpcConnectorInvalidReason: the VPC connector's ARN or ConfigMap cannot be read; the
	// instances may reach DNS only until it is fixed.
	VpcConnectorInvalidReason = "VpcConnectorInvalid"
	// ImageDigestResolvedReason: the image tag resolved to a digest, which the instances run.
	ImageDigestResolvedReason = "ImageDigestResolved"
	// ImageDigestUnresolvedReason: the image tag could not be resolved to a digest (registry
	// unreachable, no such tag); the service keeps running what it ran.
	ImageDigestUnresolvedReason = "ImageDigestUnresolved"
	// ReconcileErrorReason: the controller failed to carry out the spec; the message says why.
	ReconcileErrorReason = "ReconcileError"
	// CertificateAppliedReason: the service's Certificate is written for cert-manager to issue.
	CertificateAppliedReason = "CertificateApplied"
	// CertManagerMissingReason: the API server does not serve cert-manager's Certificates
	// (cert-manager is not installed); the controller tries again periodically.
	CertManagerMissingReason = "CertManagerMissing"
)
