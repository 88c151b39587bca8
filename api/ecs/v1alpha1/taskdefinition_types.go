package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// NetworkMode is the Docker networking mode of a task's containers.
// +kubebuilder:validation:Enum=bridge;host;awsvpc;none
type NetworkMode string

// Network modes.
const (
	NetworkModeBridge NetworkMode = "bridge"
	NetworkModeHost   NetworkMode = "host"
	NetworkModeAwsvpc NetworkMode = "awsvpc"
	NetworkModeNone   NetworkMode = "none"
)

// ContainerCondition is the state a dependency must reach before its dependent starts.
// +kubebuilder:validation:Enum=START;COMPLETE;SUCCESS;HEALTHY
type ContainerCondition string

// Container dependency conditions.
const (
	ContainerConditionStart    ContainerCondition = "START"
	ContainerConditionComplete ContainerCondition = "COMPLETE"
	ContainerConditionSuccess  ContainerCondition = "SUCCESS"
	ContainerConditionHealthy  ContainerCondition = "HEALTHY"
)

// TransportProtocol is a port mapping's protocol.
// +kubebuilder:validation:Enum=tcp;udp
type TransportProtocol string

// Transport protocols.
const (
	TransportProtocolTCP TransportProtocol = "tcp"
	TransportProtocolUDP TransportProtocol = "udp"
)

// ApplicationProtocol is the application protocol of a port mapping (Service Connect).
// +kubebuilder:validation:Enum=http;http2;grpc
type ApplicationProtocol string

// LogDriver is a container's log driver. Kubernetes collects stdout and stderr itself; the
// driver and its options are recorded, not enforced.
// +kubebuilder:validation:Enum=json-file;syslog;journald;gelf;fluentd;awslogs;splunk;awsfirelens
type LogDriver string

// UlimitName is the name of a ulimit.
// +kubebuilder:validation:Enum=core;cpu;data;fsize;locks;memlock;msgqueue;nice;nofile;nproc;rss;rtprio;rttime;sigpending;stack
type UlimitName string

// TaskDefinitionRevisionStatus is ECS's TaskDefinitionStatus: the state of one revision.
// +kubebuilder:validation:Enum=ACTIVE;INACTIVE;DELETE_IN_PROGRESS
type TaskDefinitionRevisionStatus string

// Task definition revision statuses.
const (
	TaskDefinitionRevisionActive           TaskDefinitionRevisionStatus = "ACTIVE"
	TaskDefinitionRevisionInactive         TaskDefinitionRevisionStatus = "INACTIVE"
	TaskDefinitionRevisionDeleteInProgress TaskDefinitionRevisionStatus = "DELETE_IN_PROGRESS"
)

// PortMapping maps a container port to the host or the task's network interface.
// +kubebuilder:validation:XValidation:rule="has(self.containerPort) || has(self.containerPortRange)",message="a port mapping needs containerPort or containerPortRange"
// +kubebuilder:validation:XValidation:rule="!(has(self.containerPort) && has(self.containerPortRange))",message="set either containerPort or containerPortRange in a port mapping, not both"
type PortMapping struct {
	// containerPort is the port the container listens on.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	ContainerPort *int32 `json:"containerPort,omitempty"`
	// hostPort is the port on the host (bridge and host modes). In bridge mode 0 or omitted
	// means a dynamic port; in awsvpc and host modes it must be omitted or equal containerPort.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=65535
	HostPort *int32 `json:"hostPort,omitempty"`
	// protocol is tcp (default) or udp.
	// +optional
	Protocol TransportProtocol `json:"protocol,omitempty"`
	// name of the port mapping (Service Connect).
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Name string `json:"name,omitempty"`
	// appProtocol is http, http2 or grpc (Service Connect).
	// +optional
	AppProtocol ApplicationProtocol `json:"appProtocol,omitempty"`
	// containerPortRange is a range such as "8000-8010" (awsvpc or bridge with dynamic ports).
	// +optional
	// +kubebuilder:validation:Pattern=`^[0-9]{1,5}-[0-9]{1,5}$`
	ContainerPortRange string `json:"containerPortRange,omitempty"`
}

// ContainerDependency is one entry of dependsOn.
type ContainerDependency struct {
	// containerName is the container this one depends on.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	ContainerName string `json:"containerName"`
	// condition is START, COMPLETE, SUCCESS or HEALTHY.
	// +required
	Condition ContainerCondition `json:"condition"`
}

// HealthCheck is a container health check run inside the container. It becomes a readiness
// probe (and a startup probe where a HEALTHY dependency waits on it); ECS ignores the image's
// own HEALTHCHECK and so does kube-ecs.
// +kubebuilder:validation:XValidation:rule="self.command[0] in ['CMD', 'CMD-SHELL', 'NONE']",message="healthCheck.command must start with CMD or CMD-SHELL, for example [\"CMD-SHELL\", \"curl -f http://localhost/ || exit 1\"]"
// +kubebuilder:validation:XValidation:rule="self.command[0] == 'NONE' || size(self.command) >= 2",message="healthCheck.command needs the command to run after CMD or CMD-SHELL"
type HealthCheck struct {
	// command is ["CMD", exe, args...] or ["CMD-SHELL", "shell command"].
	// +required
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=4096
	Command []string `json:"command"`
	// interval in seconds between checks (5-300, default 30).
	// +optional
	// +kubebuilder:validation:Minimum=5
	// +kubebuilder:validation:Maximum=300
	Interval *int32 `json:"interval,omitempty"`
	// timeout in seconds of one check (2-60, default 5).
	// +optional
	// +kubebuilder:validation:Minimum=2
	// +kubebuilder:validation:Maximum=60
	Timeout *int32 `json:"timeout,omitempty"`
	// retries before the container is UNHEALTHY (1-10, default 3).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10
	Retries *int32 `json:"retries,omitempty"`
	// startPeriod in seconds during which failures do not count (0-300, default off).
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=300
	StartPeriod *int32 `json:"startPeriod,omitempty"`
}

// Secret injects a secret into a container as an environment variable. valueFrom names a
// Kubernetes Secret key as "<secret-name>:<key>"; a Secrets Manager or SSM Parameter Store
// ARN is mapped to a Secret as described in docs/api.md.
type Secret struct {
	// name of the environment variable.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	Name string `json:"name"`
	// valueFrom is the secret to read.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	ValueFrom string `json:"valueFrom"`
}

// EnvironmentFile is a file of environment variables (ECS: an S3 object).
type EnvironmentFile struct {
	// value is the ARN of the file.
	// +required
	// +kubebuilder:validation:MaxLength=2048
	Value string `json:"value"`
	// type is s3.
	// +required
	// +kubebuilder:validation:Enum=s3
	Type string `json:"type"`
}

// MountPoint mounts a task volume into a container.
type MountPoint struct {
	// sourceVolume is the name of a task volume.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	SourceVolume string `json:"sourceVolume,omitempty"`
	// containerPath is where the volume is mounted.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	ContainerPath string `json:"containerPath,omitempty"`
	// readOnly mounts the volume read-only.
	// +optional
	ReadOnly *bool `json:"readOnly,omitempty"`
}

// VolumeFrom mounts every volume of another container of the task.
type VolumeFrom struct {
	// sourceContainer is the container whose volumes are mounted.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	SourceContainer string `json:"sourceContainer,omitempty"`
	// readOnly mounts the volumes read-only.
	// +optional
	ReadOnly *bool `json:"readOnly,omitempty"`
}

// KernelCapabilities adds or drops Linux capabilities.
type KernelCapabilities struct {
	// add these capabilities.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=64
	Add []string `json:"add,omitempty"`
	// drop these capabilities.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=64
	Drop []string `json:"drop,omitempty"`
}

// Device is a host device exposed to a container.
type Device struct {
	// hostPath of the device.
	// +required
	// +kubebuilder:validation:MaxLength=4096
	HostPath string `json:"hostPath"`
	// containerPath of the device.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	ContainerPath string `json:"containerPath,omitempty"`
	// permissions: read, write, mknod.
	// +optional
	// +kubebuilder:validation:MaxItems=3
	// +kubebuilder:validation:items:Enum=read;write;mknod
	Permissions []string `json:"permissions,omitempty"`
}

// Tmpfs is a tmpfs mount.
type Tmpfs struct {
	// containerPath of the mount.
	// +required
	// +kubebuilder:validation:MaxLength=4096
	ContainerPath string `json:"containerPath"`
	// size in MiB.
	// +required
	// +kubebuilder:validation:Minimum=1
	Size int32 `json:"size"`
	// mountOptions of the mount.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=64
	MountOptions []string `json:"mountOptions,omitempty"`
}

// LinuxParameters are Linux-specific container settings.
type LinuxParameters struct {
	// capabilities to add or drop.
	// +optional
	Capabilities *KernelCapabilities `json:"capabilities,omitempty"`
	// devices exposed to the container.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	Devices []Device `json:"devices,omitempty"`
	// initProcessEnabled runs an init process as PID 1.
	// +optional
	InitProcessEnabled *bool `json:"initProcessEnabled,omitempty"`
	// sharedMemorySize of /dev/shm in MiB.
	// +optional
	// +kubebuilder:validation:Minimum=0
	SharedMemorySize *int32 `json:"sharedMemorySize,omitempty"`
	// tmpfs mounts.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	Tmpfs []Tmpfs `json:"tmpfs,omitempty"`
	// maxSwap in MiB.
	// +optional
	// +kubebuilder:validation:Minimum=0
	MaxSwap *int32 `json:"maxSwap,omitempty"`
	// swappiness from 0 to 100.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	Swappiness *int32 `json:"swappiness,omitempty"`
}

// HostEntry is an /etc/hosts entry.
type HostEntry struct {
	// hostname of the entry.
	// +required
	// +kubebuilder:validation:MaxLength=255
	Hostname string `json:"hostname"`
	// ipAddress of the entry.
	// +required
	// +kubebuilder:validation:MaxLength=64
	IPAddress string `json:"ipAddress"`
}

// Ulimit is a resource limit of the container's processes.
type Ulimit struct {
	// name of the limit.
	// +required
	Name UlimitName `json:"name"`
	// softLimit of the limit.
	// +required
	SoftLimit int64 `json:"softLimit"`
	// hardLimit of the limit.
	// +required
	HardLimit int64 `json:"hardLimit"`
}

// LogConfiguration is a container's log configuration.
type LogConfiguration struct {
	// logDriver of the container.
	// +required
	LogDriver LogDriver `json:"logDriver"`
	// options of the driver, such as awslogs-group.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	Options map[string]string `json:"options,omitempty"`
	// secretOptions of the driver.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	SecretOptions []Secret `json:"secretOptions,omitempty"`
}

// SystemControl is a namespaced kernel parameter (sysctl).
type SystemControl struct {
	// namespace is the parameter, such as net.core.somaxconn.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	Namespace string `json:"namespace,omitempty"`
	// value of the parameter.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	Value string `json:"value,omitempty"`
}

// ResourceRequirement asks for GPUs or inference accelerators.
type ResourceRequirement struct {
	// value is the number of GPUs, or the accelerator's deviceName.
	// +required
	// +kubebuilder:validation:MaxLength=255
	Value string `json:"value"`
	// type is GPU or InferenceAccelerator.
	// +required
	// +kubebuilder:validation:Enum=GPU;InferenceAccelerator
	Type string `json:"type"`
}

// FirelensConfiguration configures a FireLens log router.
type FirelensConfiguration struct {
	// type is fluentd or fluentbit.
	// +required
	// +kubebuilder:validation:Enum=fluentd;fluentbit
	Type string `json:"type"`
	// options of the router.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	Options map[string]string `json:"options,omitempty"`
}

// RepositoryCredentials names the secret that holds private registry credentials.
type RepositoryCredentials struct {
	// credentialsParameter is the ARN (or Secret name) of the credentials.
	// +required
	// +kubebuilder:validation:MaxLength=2048
	CredentialsParameter string `json:"credentialsParameter"`
}

// ContainerRestartPolicy restarts a container in place, without replacing the task.
type ContainerRestartPolicy struct {
	// enabled turns restarts on.
	// +required
	Enabled bool `json:"enabled"`
	// ignoredExitCodes are exit codes that do not restart the container (at most 50).
	// +optional
	// +kubebuilder:validation:MaxItems=50
	IgnoredExitCodes []int32 `json:"ignoredExitCodes,omitempty"`
	// restartAttemptPeriod in seconds a container must run before it may restart (60-1800).
	// +optional
	// +kubebuilder:validation:Minimum=60
	// +kubebuilder:validation:Maximum=1800
	RestartAttemptPeriod *int32 `json:"restartAttemptPeriod,omitempty"`
}

// ContainerDefinition is one container of a task definition, field for field ECS's.
// +kubebuilder:validation:XValidation:rule="!has(self.memory) || !has(self.memoryReservation) || self.memory > self.memoryReservation",message="memoryReservation (the soft limit) must be less than memory (the hard limit)"
// +kubebuilder:validation:XValidation:rule="!has(self.dependsOn) || self.dependsOn.all(d, d.containerName != self.name)",message="a container cannot depend on itself"
type ContainerDefinition struct {
	// name of the container, unique in the task definition.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^[a-zA-Z0-9][a-zA-Z0-9_-]*$`
	Name string `json:"name"`
	// image to run.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	Image string `json:"image"`
	// repositoryCredentials for a private registry.
	// +optional
	RepositoryCredentials *RepositoryCredentials `json:"repositoryCredentials,omitempty"`
	// cpu units reserved for the container (1024 units = 1 vCPU).
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=196608
	CPU *int32 `json:"cpu,omitempty"`
	// memory is the hard limit in MiB; the container is killed above it.
	// +optional
	// +kubebuilder:validation:Minimum=6
	Memory *int32 `json:"memory,omitempty"`
	// memoryReservation is the soft limit in MiB (the Kubernetes request).
	// +optional
	// +kubebuilder:validation:Minimum=6
	MemoryReservation *int32 `json:"memoryReservation,omitempty"`
	// links to other containers as name:alias (bridge mode only).
	// +optional
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:MaxLength=512
	Links []string `json:"links,omitempty"`
	// portMappings of the container.
	// +optional
	// +kubebuilder:validation:MaxItems=100
	PortMappings []PortMapping `json:"portMappings,omitempty"`
	// essential containers stop the task when they exit. Defaults to true.
	// +optional
	Essential *bool `json:"essential,omitempty"`
	// restartPolicy restarts the container in place.
	// +optional
	RestartPolicy *ContainerRestartPolicy `json:"restartPolicy,omitempty"`
	// entryPoint replaces the image's ENTRYPOINT.
	// +optional
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MaxLength=8192
	EntryPoint []string `json:"entryPoint,omitempty"`
	// command replaces the image's CMD.
	// +optional
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MaxLength=8192
	Command []string `json:"command,omitempty"`
	// environment variables.
	// +optional
	// +kubebuilder:validation:MaxItems=500
	Environment []KeyValuePair `json:"environment,omitempty"`
	// environmentFiles (S3 objects on AWS; recorded, not read).
	// +optional
	// +kubebuilder:validation:MaxItems=10
	EnvironmentFiles []EnvironmentFile `json:"environmentFiles,omitempty"`
	// mountPoints of task volumes.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	MountPoints []MountPoint `json:"mountPoints,omitempty"`
	// volumesFrom other containers.
	// +optional
	// +kubebuilder:validation:MaxItems=10
	VolumesFrom []VolumeFrom `json:"volumesFrom,omitempty"`
	// linuxParameters of the container.
	// +optional
	LinuxParameters *LinuxParameters `json:"linuxParameters,omitempty"`
	// secrets injected as environment variables.
	// +optional
	// +kubebuilder:validation:MaxItems=100
	Secrets []Secret `json:"secrets,omitempty"`
	// dependsOn lists the containers that must reach a condition before this one starts.
	// +optional
	// +kubebuilder:validation:MaxItems=10
	DependsOn []ContainerDependency `json:"dependsOn,omitempty"`
	// startTimeout in seconds to wait for dependencies before giving up.
	// +optional
	// +kubebuilder:validation:Minimum=2
	// +kubebuilder:validation:Maximum=1200
	StartTimeout *int32 `json:"startTimeout,omitempty"`
	// stopTimeout in seconds between SIGTERM and SIGKILL (default 30; at most 120 on Fargate).
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=86400
	StopTimeout *int32 `json:"stopTimeout,omitempty"`
	// versionConsistency is enabled or disabled (image digest pinning).
	// +optional
	// +kubebuilder:validation:Enum=enabled;disabled
	VersionConsistency string `json:"versionConsistency,omitempty"`
	// hostname of the container.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Hostname string `json:"hostname,omitempty"`
	// user to run as: user, uid, user:group, uid:gid...
	// +optional
	// +kubebuilder:validation:MaxLength=255
	User string `json:"user,omitempty"`
	// workingDirectory of the container's process.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	WorkingDirectory string `json:"workingDirectory,omitempty"`
	// disableNetworking turns networking off in the container.
	// +optional
	DisableNetworking *bool `json:"disableNetworking,omitempty"`
	// privileged gives the container elevated privileges.
	// +optional
	Privileged *bool `json:"privileged,omitempty"`
	// readonlyRootFilesystem mounts the root filesystem read-only.
	// +optional
	ReadonlyRootFilesystem *bool `json:"readonlyRootFilesystem,omitempty"`
	// dnsServers for the container.
	// +optional
	// +kubebuilder:validation:MaxItems=3
	// +kubebuilder:validation:items:MaxLength=64
	DNSServers []string `json:"dnsServers,omitempty"`
	// dnsSearchDomains for the container.
	// +optional
	// +kubebuilder:validation:MaxItems=6
	// +kubebuilder:validation:items:MaxLength=253
	DNSSearchDomains []string `json:"dnsSearchDomains,omitempty"`
	// extraHosts added to /etc/hosts.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	ExtraHosts []HostEntry `json:"extraHosts,omitempty"`
	// dockerSecurityOptions such as no-new-privileges.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MaxLength=1024
	DockerSecurityOptions []string `json:"dockerSecurityOptions,omitempty"`
	// interactive keeps stdin open.
	// +optional
	Interactive *bool `json:"interactive,omitempty"`
	// pseudoTerminal allocates a TTY.
	// +optional
	PseudoTerminal *bool `json:"pseudoTerminal,omitempty"`
	// dockerLabels added to the container.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	DockerLabels map[string]string `json:"dockerLabels,omitempty"`
	// ulimits of the container.
	// +optional
	// +kubebuilder:validation:MaxItems=15
	Ulimits []Ulimit `json:"ulimits,omitempty"`
	// logConfiguration of the container.
	// +optional
	LogConfiguration *LogConfiguration `json:"logConfiguration,omitempty"`
	// healthCheck run inside the container.
	// +optional
	HealthCheck *HealthCheck `json:"healthCheck,omitempty"`
	// systemControls (sysctls) of the container.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	SystemControls []SystemControl `json:"systemControls,omitempty"`
	// resourceRequirements for GPUs and accelerators.
	// +optional
	// +kubebuilder:validation:MaxItems=2
	ResourceRequirements []ResourceRequirement `json:"resourceRequirements,omitempty"`
	// firelensConfiguration for a log router container.
	// +optional
	FirelensConfiguration *FirelensConfiguration `json:"firelensConfiguration,omitempty"`
	// credentialSpecs for Active Directory authentication (Windows; recorded).
	// +optional
	// +kubebuilder:validation:MaxItems=1
	// +kubebuilder:validation:items:MaxLength=2048
	CredentialSpecs []string `json:"credentialSpecs,omitempty"`
}

// HostVolumeProperties is a bind mount from the host. Without sourcePath the volume lives
// as long as the task (an emptyDir).
type HostVolumeProperties struct {
	// sourcePath on the host.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	SourcePath string `json:"sourcePath,omitempty"`
}

// DockerVolumeConfiguration is a Docker volume.
type DockerVolumeConfiguration struct {
	// scope is task or shared.
	// +optional
	// +kubebuilder:validation:Enum=task;shared
	Scope string `json:"scope,omitempty"`
	// autoprovision creates a shared volume when it does not exist.
	// +optional
	Autoprovision *bool `json:"autoprovision,omitempty"`
	// driver of the volume.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	Driver string `json:"driver,omitempty"`
	// driverOpts of the volume.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	DriverOpts map[string]string `json:"driverOpts,omitempty"`
	// labels of the volume.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	Labels map[string]string `json:"labels,omitempty"`
}

// EFSAuthorizationConfig is the authorization of an EFS volume.
type EFSAuthorizationConfig struct {
	// accessPointId of the file system.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	AccessPointID string `json:"accessPointId,omitempty"`
	// iam is ENABLED or DISABLED.
	// +optional
	// +kubebuilder:validation:Enum=ENABLED;DISABLED
	IAM string `json:"iam,omitempty"`
}

// EFSVolumeConfiguration is an Amazon EFS volume (mapped to a PersistentVolumeClaim named by
// fileSystemId; see docs/api.md).
type EFSVolumeConfiguration struct {
	// fileSystemId of the file system.
	// +required
	// +kubebuilder:validation:MaxLength=255
	FileSystemID string `json:"fileSystemId"`
	// rootDirectory mounted from the file system.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	RootDirectory string `json:"rootDirectory,omitempty"`
	// transitEncryption is ENABLED or DISABLED.
	// +optional
	// +kubebuilder:validation:Enum=ENABLED;DISABLED
	TransitEncryption string `json:"transitEncryption,omitempty"`
	// transitEncryptionPort of the mount.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=65535
	TransitEncryptionPort *int32 `json:"transitEncryptionPort,omitempty"`
	// authorizationConfig of the mount.
	// +optional
	AuthorizationConfig *EFSAuthorizationConfig `json:"authorizationConfig,omitempty"`
}

// FSxWindowsFileServerAuthorizationConfig is the authorization of an FSx volume.
type FSxWindowsFileServerAuthorizationConfig struct {
	// credentialsParameter is the ARN of the credentials.
	// +required
	// +kubebuilder:validation:MaxLength=2048
	CredentialsParameter string `json:"credentialsParameter"`
	// domain of the file server.
	// +required
	// +kubebuilder:validation:MaxLength=255
	Domain string `json:"domain"`
}

// FSxWindowsFileServerVolumeConfiguration is an FSx for Windows File Server volume (recorded;
// Windows tasks are not supported).
type FSxWindowsFileServerVolumeConfiguration struct {
	// fileSystemId of the file system.
	// +required
	// +kubebuilder:validation:MaxLength=255
	FileSystemID string `json:"fileSystemId"`
	// rootDirectory of the file system.
	// +required
	// +kubebuilder:validation:MaxLength=4096
	RootDirectory string `json:"rootDirectory"`
	// authorizationConfig of the mount.
	// +required
	AuthorizationConfig FSxWindowsFileServerAuthorizationConfig `json:"authorizationConfig"`
}

// Volume is a data volume of a task.
type Volume struct {
	// name referenced by mountPoints.sourceVolume.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	Name string `json:"name,omitempty"`
	// host is a bind mount (or task-scoped scratch space without sourcePath).
	// +optional
	Host *HostVolumeProperties `json:"host,omitempty"`
	// configuredAtLaunch means the volume is supplied when the task runs (EBS on AWS).
	// +optional
	ConfiguredAtLaunch *bool `json:"configuredAtLaunch,omitempty"`
	// dockerVolumeConfiguration is a Docker volume.
	// +optional
	DockerVolumeConfiguration *DockerVolumeConfiguration `json:"dockerVolumeConfiguration,omitempty"`
	// efsVolumeConfiguration is an EFS volume.
	// +optional
	EFSVolumeConfiguration *EFSVolumeConfiguration `json:"efsVolumeConfiguration,omitempty"`
	// fsxWindowsFileServerVolumeConfiguration is an FSx volume.
	// +optional
	FSxWindowsFileServerVolumeConfiguration *FSxWindowsFileServerVolumeConfiguration `json:"fsxWindowsFileServerVolumeConfiguration,omitempty"`
}

// RuntimePlatform is the operating system and CPU architecture a task needs.
type RuntimePlatform struct {
	// cpuArchitecture is X86_64 or ARM64.
	// +optional
	// +kubebuilder:validation:Enum=X86_64;ARM64
	CPUArchitecture string `json:"cpuArchitecture,omitempty"`
	// operatingSystemFamily such as LINUX.
	// +optional
	// +kubebuilder:validation:Enum=LINUX;WINDOWS_SERVER_2025_CORE;WINDOWS_SERVER_2025_FULL;WINDOWS_SERVER_2022_CORE;WINDOWS_SERVER_2022_FULL;WINDOWS_SERVER_2019_CORE;WINDOWS_SERVER_2019_FULL;WINDOWS_SERVER_2016_FULL;WINDOWS_SERVER_20H2_CORE;WINDOWS_SERVER_2004_CORE
	OperatingSystemFamily string `json:"operatingSystemFamily,omitempty"`
}

// EphemeralStorage is the task's scratch storage in GiB.
type EphemeralStorage struct {
	// sizeInGiB from 21 to 200.
	// +required
	// +kubebuilder:validation:Minimum=21
	// +kubebuilder:validation:Maximum=200
	SizeInGiB int32 `json:"sizeInGiB"`
}

// InferenceAccelerator is an Elastic Inference accelerator (recorded, not provided).
type InferenceAccelerator struct {
	// deviceName of the accelerator.
	// +required
	// +kubebuilder:validation:MaxLength=255
	DeviceName string `json:"deviceName"`
	// deviceType of the accelerator.
	// +required
	// +kubebuilder:validation:MaxLength=255
	DeviceType string `json:"deviceType"`
}

// ProxyConfiguration is an App Mesh proxy configuration (recorded, not applied).
type ProxyConfiguration struct {
	// type is APPMESH.
	// +optional
	// +kubebuilder:validation:Enum=APPMESH
	Type string `json:"type,omitempty"`
	// containerName of the proxy.
	// +required
	// +kubebuilder:validation:MaxLength=255
	ContainerName string `json:"containerName"`
	// properties of the proxy.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	Properties []KeyValuePair `json:"properties,omitempty"`
}

// Attribute is a container instance attribute, or a requirement on one.
type Attribute struct {
	// name of the attribute, such as ecs.availability-zone.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	Name string `json:"name"`
	// value of the attribute.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	Value string `json:"value,omitempty"`
	// targetType is container-instance.
	// +optional
	// +kubebuilder:validation:Enum=container-instance
	TargetType string `json:"targetType,omitempty"`
	// targetId is the instance the attribute belongs to.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	TargetID string `json:"targetId,omitempty"`
}

// TaskDefinitionSpec is a task definition: the RegisterTaskDefinition request, field for
// field. The object that `aws ecs describe-task-definition` prints can be pasted here
// unchanged: its read-only fields are accepted and ignored (the real revision and status
// live in the object's status).
//
// +kubebuilder:validation:XValidation:rule="self.containerDefinitions.exists(c, !has(c.essential) || c.essential)",message="All tasks must have at least one essential container: set essential: true (the default) on at least one container."
// +kubebuilder:validation:XValidation:rule="self.containerDefinitions.all(c, self.containerDefinitions.exists_one(d, d.name == c.name))",message="container names must be unique within a task definition"
// +kubebuilder:validation:XValidation:rule="self.containerDefinitions.all(c, !has(c.dependsOn) || c.dependsOn.all(d, self.containerDefinitions.exists(e, e.name == d.containerName)))",message="every dependsOn containerName must name one of this task definition's containers"
// +kubebuilder:validation:XValidation:rule="self.containerDefinitions.all(c, !has(c.dependsOn) || c.dependsOn.all(d, !(d.condition in ['COMPLETE', 'SUCCESS']) || self.containerDefinitions.exists(e, e.name == d.containerName && has(e.essential) && !e.essential)))",message="dependsOn condition COMPLETE or SUCCESS cannot be set on an essential container: mark the container it names essential: false"
// +kubebuilder:validation:XValidation:rule="self.containerDefinitions.all(c, !has(c.dependsOn) || c.dependsOn.all(d, d.condition != 'HEALTHY' || self.containerDefinitions.exists(e, e.name == d.containerName && has(e.healthCheck))))",message="dependsOn condition HEALTHY needs a healthCheck on the container it names"
// +kubebuilder:validation:XValidation:rule="has(self.memory) || self.containerDefinitions.all(c, has(c.memory) || has(c.memoryReservation))",message="Invalid setting for container. At least one of 'memory' or 'memoryReservation' must be specified for every container when the task-level memory is not set."
// +kubebuilder:validation:XValidation:rule="!has(self.networkMode) || !(self.networkMode in ['awsvpc', 'host']) || self.containerDefinitions.all(c, !has(c.portMappings) || c.portMappings.all(p, !has(p.hostPort) || (has(p.containerPort) && p.hostPort == p.containerPort)))",messageExpression="\"when networkMode is \" + self.networkMode + \", a portMapping's hostPort must be omitted or equal to its containerPort\""
// +kubebuilder:validation:XValidation:rule="!has(self.networkMode) || self.networkMode != 'none' || self.containerDefinitions.all(c, !has(c.portMappings) || size(c.portMappings) == 0)",message="networkMode none allows no portMappings"
// +kubebuilder:validation:XValidation:rule="!has(self.networkMode) || self.networkMode == 'bridge' || self.containerDefinitions.all(c, !has(c.links) || size(c.links) == 0)",message="links are only supported when networkMode is bridge"
// +kubebuilder:validation:XValidation:rule="!has(self.requiresCompatibilities) || !('FARGATE' in self.requiresCompatibilities) || (has(self.networkMode) && self.networkMode == 'awsvpc')",message="Fargate only supports network mode 'awsvpc'."
// +kubebuilder:validation:XValidation:rule="!has(self.requiresCompatibilities) || !('FARGATE' in self.requiresCompatibilities) || has(self.cpu)",message="Fargate requires that 'cpu' be defined at the task level."
// +kubebuilder:validation:XValidation:rule="!has(self.requiresCompatibilities) || !('FARGATE' in self.requiresCompatibilities) || has(self.memory)",message="Fargate requires that 'memory' be defined at the task level."
// +kubebuilder:validation:XValidation:rule="!has(self.requiresCompatibilities) || !('FARGATE' in self.requiresCompatibilities) || !has(self.cpu) || !self.cpu.matches('^([0-9]+|[0-9]+([.][0-9]+)? ?[vV][cC][pP][uU])$') || (self.cpu.matches('^[0-9]+$') ? int(self.cpu) : int(double(self.cpu.lowerAscii().replace('vcpu', ' ').trim()) * 1024.0)) in [256, 512, 1024, 2048, 4096, 8192, 16384]",messageExpression="\"Invalid 'cpu' setting for task. Fargate task cpu must be 256, 512, 1024, 2048, 4096, 8192 or 16384 units (0.25, 0.5, 1, 2, 4, 8 or 16 vCPU), not \" + self.cpu + \".\""
// +kubebuilder:validation:XValidation:rule="!has(self.requiresCompatibilities) || !('FARGATE' in self.requiresCompatibilities) || !has(self.cpu) || !has(self.memory) || !self.cpu.matches('^([0-9]+|[0-9]+([.][0-9]+)? ?[vV][cC][pP][uU])$') || !self.memory.matches('^([0-9]+|[0-9]+([.][0-9]+)? ?[gG][bB])$') || !((self.cpu.matches('^[0-9]+$') ? int(self.cpu) : int(double(self.cpu.lowerAscii().replace('vcpu', ' ').trim()) * 1024.0)) in [256, 512, 1024, 2048, 4096, 8192, 16384]) || (self.memory.matches('^[0-9]+$') ? int(self.memory) : int(double(self.memory.lowerAscii().replace('gb', ' ').trim()) * 1024.0)) in {256: [512, 1024, 2048], 512: [1024, 2048, 3072, 4096], 1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192], 2048: [4096, 5120, 6144, 7168, 8192, 9216, 10240, 11264, 12288, 13312, 14336, 15360, 16384], 4096: [8192, 9216, 10240, 11264, 12288, 13312, 14336, 15360, 16384, 17408, 18432, 19456, 20480, 21504, 22528, 23552, 24576, 25600, 26624, 27648, 28672, 29696, 30720], 8192: [16384, 20480, 24576, 28672, 32768, 36864, 40960, 45056, 49152, 53248, 57344, 61440], 16384: [32768, 40960, 49152, 57344, 65536, 73728, 81920, 90112, 98304, 106496, 114688, 122880]}[(self.cpu.matches('^[0-9]+$') ? int(self.cpu) : int(double(self.cpu.lowerAscii().replace('vcpu', ' ').trim()) * 1024.0))]",messageExpression="\"Invalid 'memory' setting for task. No Fargate configuration exists for cpu \" + self.cpu + \" and memory \" + self.memory + \". Valid memory (MiB) by cpu: 256: 512, 1024, 2048; 512: 1024-4096; 1024: 2048-8192; 2048: 4096-16384; 4096: 8192-30720 (steps of 1024); 8192: 16384-61440 (steps of 4096); 16384: 32768-122880 (steps of 8192).\""
// +kubebuilder:validation:XValidation:rule="!has(self.requiresCompatibilities) || !('FARGATE' in self.requiresCompatibilities) || self.containerDefinitions.all(c, !has(c.privileged) || !c.privileged)",message="Fargate does not support privileged containers: remove privileged: true"
// +kubebuilder:validation:XValidation:rule="!has(self.requiresCompatibilities) || !('FARGATE' in self.requiresCompatibilities) || !has(self.volumes) || self.volumes.all(v, !has(v.host) || !has(v.host.sourcePath))",message="Fargate does not support host volumes with a sourcePath; omit sourcePath for task-scoped scratch space"
// +kubebuilder:validation:XValidation:rule="!has(self.requiresCompatibilities) || !('FARGATE' in self.requiresCompatibilities) || !has(self.placementConstraints) || size(self.placementConstraints) == 0",message="Fargate does not support placement constraints"
// +kubebuilder:validation:XValidation:rule="!has(self.requiresCompatibilities) || !('FARGATE' in self.requiresCompatibilities) || self.containerDefinitions.all(c, !has(c.stopTimeout) || c.stopTimeout <= 120)",message="Fargate allows a stopTimeout of at most 120 seconds"
// +kubebuilder:validation:XValidation:rule="!has(self.volumes) || self.volumes.all(v, self.volumes.exists_one(w, w.name == v.name))",message="volume names must be unique within a task definition"
// +kubebuilder:validation:XValidation:rule="self.containerDefinitions.all(c, !has(c.mountPoints) || c.mountPoints.all(m, !has(m.sourceVolume) || (has(self.volumes) && self.volumes.exists(v, v.name == m.sourceVolume))))",message="a mountPoint's sourceVolume must name one of the task definition's volumes"
type TaskDefinitionSpec struct {
	// family of the task definition. Optional: the family is metadata.name; when set it
	// must be equal to it.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	Family string `json:"family,omitempty"`
	// taskRoleArn is the IAM role the task's containers assume (recorded; map it to a
	// ServiceAccount as described in docs/api.md).
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	TaskRoleArn string `json:"taskRoleArn,omitempty"`
	// executionRoleArn is the IAM role the agent uses to pull images and read secrets
	// (recorded).
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	ExecutionRoleArn string `json:"executionRoleArn,omitempty"`
	// networkMode is bridge (default), host, awsvpc or none.
	// +optional
	NetworkMode NetworkMode `json:"networkMode,omitempty"`
	// containerDefinitions are the task's containers (1-10).
	// +required
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=10
	ContainerDefinitions []ContainerDefinition `json:"containerDefinitions"`
	// volumes of the task.
	// +optional
	// +kubebuilder:validation:MaxItems=20
	Volumes []Volume `json:"volumes,omitempty"`
	// placementConstraints of the task (memberOf only; at most 10).
	// +optional
	// +kubebuilder:validation:MaxItems=10
	PlacementConstraints []TaskDefinitionPlacementConstraint `json:"placementConstraints,omitempty"`
	// requiresCompatibilities are the launch types the task definition is validated against.
	// +optional
	// +kubebuilder:validation:MaxItems=4
	RequiresCompatibilities []Compatibility `json:"requiresCompatibilities,omitempty"`
	// cpu of the task in units ("1024") or vCPU ("1 vCPU"). Required on Fargate.
	// +optional
	// +kubebuilder:validation:Pattern=`^([0-9]+|[0-9]+(\.[0-9]+)? ?[vV][cC][pP][uU])$`
	// +kubebuilder:validation:MaxLength=16
	CPU string `json:"cpu,omitempty"`
	// memory of the task in MiB ("2048") or GB ("2 GB"). Required on Fargate.
	// +optional
	// +kubebuilder:validation:Pattern=`^([0-9]+|[0-9]+(\.[0-9]+)? ?[gG][bB])$`
	// +kubebuilder:validation:MaxLength=16
	Memory string `json:"memory,omitempty"`
	// inferenceAccelerators of the task (recorded).
	// +optional
	// +kubebuilder:validation:MaxItems=8
	InferenceAccelerators []InferenceAccelerator `json:"inferenceAccelerators,omitempty"`
	// pidMode is host or task.
	// +optional
	// +kubebuilder:validation:Enum=host;task
	PidMode string `json:"pidMode,omitempty"`
	// ipcMode is host, task or none.
	// +optional
	// +kubebuilder:validation:Enum=host;task;none
	IpcMode string `json:"ipcMode,omitempty"`
	// proxyConfiguration for App Mesh (recorded).
	// +optional
	ProxyConfiguration *ProxyConfiguration `json:"proxyConfiguration,omitempty"`
	// tags of the task definition.
	// +optional
	// +kubebuilder:validation:MaxItems=50
	Tags []Tag `json:"tags,omitempty"`
	// ephemeralStorage of the task (Fargate).
	// +optional
	EphemeralStorage *EphemeralStorage `json:"ephemeralStorage,omitempty"`
	// runtimePlatform the task needs.
	// +optional
	RuntimePlatform *RuntimePlatform `json:"runtimePlatform,omitempty"`
	// enableFaultInjection turns on fault injection endpoints (recorded).
	// +optional
	EnableFaultInjection *bool `json:"enableFaultInjection,omitempty"`

	// deregisteredRevisions lists the revisions of this family that are deregistered
	// (INACTIVE): they cannot start new tasks or services; running ones are unaffected.
	// This is kube-ecs's declarative DeregisterTaskDefinition.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=1000
	// +kubebuilder:validation:items:Minimum=1
	DeregisteredRevisions []int32 `json:"deregisteredRevisions,omitempty"`

	// The read-only fields below appear in `aws ecs describe-task-definition` output. They
	// are accepted so that output can be pasted unchanged, and ignored: the real values
	// are in status.

	// taskDefinitionArn is read-only; ignored.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	TaskDefinitionArn string `json:"taskDefinitionArn,omitempty"`
	// revision is read-only; ignored.
	// +optional
	Revision *int32 `json:"revision,omitempty"`
	// status is read-only; ignored.
	// +optional
	// +kubebuilder:validation:MaxLength=32
	Status string `json:"status,omitempty"`
	// requiresAttributes is read-only; ignored.
	// +optional
	// +kubebuilder:validation:MaxItems=100
	RequiresAttributes []Attribute `json:"requiresAttributes,omitempty"`
	// compatibilities is read-only; ignored.
	// +optional
	// +kubebuilder:validation:MaxItems=4
	// +kubebuilder:validation:items:MaxLength=32
	Compatibilities []string `json:"compatibilities,omitempty"`
	// registeredAt is read-only; ignored.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	RegisteredAt string `json:"registeredAt,omitempty"`
	// deregisteredAt is read-only; ignored.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	DeregisteredAt string `json:"deregisteredAt,omitempty"`
	// registeredBy is read-only; ignored.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	RegisteredBy string `json:"registeredBy,omitempty"`
}

// TaskDefinitionRevision is one registered revision of a family.
type TaskDefinitionRevision struct {
	// revision number, from 1.
	Revision int32 `json:"revision"`
	// status is ACTIVE or INACTIVE.
	Status TaskDefinitionRevisionStatus `json:"status"`
	// taskDefinitionArn of the revision.
	TaskDefinitionArn string `json:"taskDefinitionArn"`
	// registeredAt is when the revision was registered.
	RegisteredAt metav1.Time `json:"registeredAt"`
	// deregisteredAt is when the revision was deregistered.
	// +optional
	DeregisteredAt *metav1.Time `json:"deregisteredAt,omitempty"`
	// controllerRevision is the name of the ControllerRevision that holds the spec.
	ControllerRevision string `json:"controllerRevision"`
}

// TaskDefinitionStatus is the observed state of a task definition family.
type TaskDefinitionStatus struct {
	// observedGeneration is the generation the status was computed from.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// revision is the latest revision number (the current spec's).
	// +optional
	Revision int32 `json:"revision,omitempty"`
	// taskDefinitionArn of the latest revision.
	// +optional
	TaskDefinitionArn string `json:"taskDefinitionArn,omitempty"`
	// latestActiveRevision is what a reference to the bare family resolves to.
	// +optional
	LatestActiveRevision int32 `json:"latestActiveRevision,omitempty"`
	// revisions of the family, oldest first.
	// +optional
	// +listType=map
	// +listMapKey=revision
	Revisions []TaskDefinitionRevision `json:"revisions,omitempty"`
	// conditions: Ready.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// TaskDefinition is an ECS task definition family. metadata.name is the family; each
// distinct spec becomes a new immutable revision.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=taskdef;td,categories=ecs
// +kubebuilder:printcolumn:name="Revision",type=integer,JSONPath=`.status.revision`
// +kubebuilder:printcolumn:name="Active",type=integer,JSONPath=`.status.latestActiveRevision`,priority=1
// +kubebuilder:printcolumn:name="Network",type=string,JSONPath=`.spec.networkMode`
// +kubebuilder:printcolumn:name="CPU",type=string,JSONPath=`.spec.cpu`
// +kubebuilder:printcolumn:name="Memory",type=string,JSONPath=`.spec.memory`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="!has(self.spec.family) || self.spec.family == self.metadata.name",message="spec.family must equal metadata.name: a TaskDefinition object is one family, named by metadata.name (kubectl ecs import sets both)"
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 63",message="a task definition family (metadata.name) can have at most 63 characters: it is a label value on the family's revisions and pods"
type TaskDefinition struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec TaskDefinitionSpec `json:"spec"`
	// +optional
	Status TaskDefinitionStatus `json:"status,omitempty"`
}

// TaskDefinitionList is a list of TaskDefinition.
//
// +kubebuilder:object:root=true
type TaskDefinitionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []TaskDefinition `json:"items"`
}

func init() {
	SchemeBuilder.Register(&TaskDefinition{}, &TaskDefinitionList{})
}
