package agent

import (
	"crypto/sha1" // a name-based id (UUID version 5), not a security hash
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/arn"
	"github.com/kube-ecs/kube-ecs/internal/lifecycle"
	"github.com/kube-ecs/kube-ecs/internal/taskdef"
)

// Values of the metadata documents.
const (
	// StatusPending, StatusRunning and StatusStopped are the task and container statuses the
	// endpoint reports, as ECS's agent reports them to the tasks.
	StatusPending = "PENDING"
	StatusRunning = "RUNNING"
	StatusStopped = "STOPPED"

	// ContainerTypeNormal is the Type of a task's own container (ECS's agent also reports its
	// internal pause containers, which a pod does not show).
	ContainerTypeNormal = "NORMAL"

	// NetworkModeHost and NetworkModeAwsvpc are the network modes the endpoint reports: a pod
	// on the host network, or a pod with its own IP address (what awsvpc gives a task).
	NetworkModeHost   = "host"
	NetworkModeAwsvpc = "awsvpc"
)

// The container labels ECS's agent sets and the endpoint reports.
const (
	LabelCluster         = "com.amazonaws.ecs.cluster"
	LabelContainerName   = "com.amazonaws.ecs.container-name"
	LabelTaskARN         = "com.amazonaws.ecs.task-arn"
	LabelTaskDefFamily   = "com.amazonaws.ecs.task-definition-family"
	LabelTaskDefRevision = "com.amazonaws.ecs.task-definition-version"
)

const (
	taskKind          = "Task"
	cpuUnitsPerCore   = 1024
	millicoresPerCore = 1000
	bytesPerMiB       = 1 << 20
)

// ContainerMetadata is the document of GET ${ECS_CONTAINER_METADATA_URI_V4}: one container.
type ContainerMetadata struct {
	DockerID      string            `json:"DockerId"`
	Name          string            `json:"Name"`
	DockerName    string            `json:"DockerName"`
	Image         string            `json:"Image"`
	ImageID       string            `json:"ImageID"`
	Labels        map[string]string `json:"Labels,omitempty"`
	DesiredStatus string            `json:"DesiredStatus"`
	KnownStatus   string            `json:"KnownStatus"`
	ExitCode      *int32            `json:"ExitCode,omitempty"`
	Limits        Limits            `json:"Limits"`
	CreatedAt     *time.Time        `json:"CreatedAt,omitempty"`
	StartedAt     *time.Time        `json:"StartedAt,omitempty"`
	FinishedAt    *time.Time        `json:"FinishedAt,omitempty"`
	Type          string            `json:"Type"`
	ContainerARN  string            `json:"ContainerARN"`
	Health        *Health           `json:"Health,omitempty"`
	Networks      []Network         `json:"Networks,omitempty"`
}

// TaskMetadata is the document of GET ${ECS_CONTAINER_METADATA_URI_V4}/task.
type TaskMetadata struct {
	Cluster            string              `json:"Cluster"`
	TaskARN            string              `json:"TaskARN"`
	Family             string              `json:"Family"`
	Revision           string              `json:"Revision"`
	ServiceName        string              `json:"ServiceName,omitempty"`
	DesiredStatus      string              `json:"DesiredStatus"`
	KnownStatus        string              `json:"KnownStatus"`
	Limits             *Limits             `json:"Limits,omitempty"`
	PullStartedAt      *time.Time          `json:"PullStartedAt,omitempty"`
	PullStoppedAt      *time.Time          `json:"PullStoppedAt,omitempty"`
	ExecutionStoppedAt *time.Time          `json:"ExecutionStoppedAt,omitempty"`
	AvailabilityZone   string              `json:"AvailabilityZone,omitempty"`
	LaunchType         string              `json:"LaunchType,omitempty"`
	Containers         []ContainerMetadata `json:"Containers"`
}

// Limits are a container's cpu units and memory MiB, or a task's vCPUs and memory MiB.
type Limits struct {
	CPU    *float64 `json:"CPU,omitempty"`
	Memory *int64   `json:"Memory,omitempty"`
}

// Health is the result of a container's health check (its readiness probe).
type Health struct {
	Status string `json:"status"`
}

// Network is one network of a container: the pod's.
type Network struct {
	NetworkMode   string   `json:"NetworkMode"`
	IPv4Addresses []string `json:"IPv4Addresses,omitempty"`
	IPv6Addresses []string `json:"IPv6Addresses,omitempty"`
}

// errNotATask is returned for a pod that carries no task identity.
var errNotATask = errors.New("the pod is not an ECS task's: it has no cluster, family or revision label")

// Task is one task's pod as the endpoint sees it at one instant.
type Task struct {
	pod      *corev1.Pod
	cluster  string
	family   string
	revision string
	id       string
	scope    arn.Scope
	zone     string
	status   ecsv1alpha1.TaskStatus
}

// NewTask reads the task a pod runs. node is the pod's node (nil when unknown: no
// availability zone). It fails for a pod without the labels kube-ecs puts on a task's pod.
func NewTask(pod *corev1.Pod, node *corev1.Node, scope arn.Scope, now time.Time) (*Task, error) {
	l := pod.Labels
	if l[ecsv1alpha1.ClusterLabel] == "" || l[ecsv1alpha1.FamilyLabel] == "" || l[ecsv1alpha1.RevisionLabel] == "" {
		return nil, errNotATask
	}
	t := &Task{
		pod:      pod,
		cluster:  l[ecsv1alpha1.ClusterLabel],
		family:   l[ecsv1alpha1.FamilyLabel],
		revision: l[ecsv1alpha1.RevisionLabel],
		id:       TaskID(pod),
		scope:    scope,
		status:   lifecycle.Derive(lifecycle.Input{Pod: pod, Now: metav1.NewTime(now)}).Status,
	}
	if node != nil {
		t.zone = node.Labels[ecsv1alpha1.NodeLabelZone]
	}
	return t, nil
}

// TaskID is the ECS task id of a pod: the UID of its controlling Task without dashes (what the
// Task controller reports), else the pod's own UID without dashes (a service's task).
func TaskID(pod *corev1.Pod) string {
	uid := pod.UID
	if ref := metav1.GetControllerOf(pod); ref != nil && ref.Kind == taskKind && strings.HasPrefix(ref.APIVersion, ecsv1alpha1.GroupVersion.Group+"/") {
		uid = ref.UID
	}
	return strings.ReplaceAll(string(uid), "-", "")
}

// ARN is the task's ARN.
func (t *Task) ARN() string { return t.scope.Task(t.cluster, t.id) }

// Metadata is the task document: the task and every container of its pod, in the pod's order
// (init containers first).
func (t *Task) Metadata() TaskMetadata {
	m := TaskMetadata{
		Cluster:            t.scope.Cluster(t.cluster),
		TaskARN:            t.ARN(),
		Family:             t.family,
		Revision:           t.revision,
		ServiceName:        t.pod.Labels[ecsv1alpha1.ServiceLabel],
		DesiredStatus:      desired(t.status.DesiredStatus),
		KnownStatus:        known(t.status.LastStatus),
		Limits:             taskLimits(t.pod.Spec.Resources),
		PullStartedAt:      timeOf(t.status.PullStartedAt),
		PullStoppedAt:      timeOf(t.status.PullStoppedAt),
		ExecutionStoppedAt: timeOf(t.status.ExecutionStoppedAt),
		AvailabilityZone:   t.zone,
		LaunchType:         t.pod.Labels[ecsv1alpha1.LaunchTypeLabel],
		Containers:         []ContainerMetadata{},
	}
	for _, c := range t.containers() {
		cm, _ := t.Container(c.Name)
		m.Containers = append(m.Containers, cm)
	}
	return m
}

// Container is the document of the container the pod calls name; false when there is none.
func (t *Task) Container(name string) (ContainerMetadata, bool) {
	spec := t.containerSpec(name)
	if spec == nil {
		return ContainerMetadata{}, false
	}
	ecsName := taskdef.ECSContainerName(t.pod.Annotations, name)
	st := t.containerStatus(name)
	var derived ecsv1alpha1.Container
	for _, c := range t.status.Containers {
		if c.Name == ecsName {
			derived = c
		}
	}
	m := ContainerMetadata{
		DockerID:      derived.RuntimeID,
		Name:          ecsName,
		DockerName:    dockerName(t.pod, name, st),
		Image:         spec.Image,
		ImageID:       derived.ImageDigest,
		DesiredStatus: StatusRunning,
		KnownStatus:   containerKnown(derived.LastStatus),
		ExitCode:      derived.ExitCode,
		Limits:        containerLimits(spec.Resources),
		Type:          ContainerTypeNormal,
		ContainerARN:  t.containerARN(name),
		Networks:      networks(t.pod),
		Labels: map[string]string{
			LabelCluster:         t.cluster,
			LabelContainerName:   ecsName,
			LabelTaskARN:         t.ARN(),
			LabelTaskDefFamily:   t.family,
			LabelTaskDefRevision: t.revision,
		},
	}
	if m.KnownStatus == StatusStopped || t.status.DesiredStatus == ecsv1alpha1.TaskStopped {
		m.DesiredStatus = StatusStopped
	}
	m.CreatedAt, m.StartedAt, m.FinishedAt = containerTimes(st)
	if spec.ReadinessProbe != nil {
		m.Health = &Health{Status: string(derived.HealthStatus)}
		if m.Health.Status == "" {
			m.Health.Status = string(ecsv1alpha1.HealthStatusUnknown)
		}
	}
	return m, true
}

// containers are the pod's containers in the pod's order: init containers first.
func (t *Task) containers() []corev1.Container {
	return slices.Concat(t.pod.Spec.InitContainers, t.pod.Spec.Containers)
}

func (t *Task) containerSpec(name string) *corev1.Container {
	for _, list := range [][]corev1.Container{t.pod.Spec.InitContainers, t.pod.Spec.Containers} {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
	}
	return nil
}

func (t *Task) containerStatus(name string) *corev1.ContainerStatus {
	for _, list := range [][]corev1.ContainerStatus{t.pod.Status.InitContainerStatuses, t.pod.Status.ContainerStatuses} {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
	}
	return nil
}

// containerARN is arn:aws:ecs:<region>:<account>:container/<cluster>/<task id>/<uuid>, ECS's
// long format, with a UUID derived from the pod and the container so it stays the same.
func (t *Task) containerARN(name string) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:container/%s/%s/%s", t.scope.Region, t.scope.Account, t.cluster, t.id, nameUUID(string(t.pod.UID)+"/"+name))
}

// nameUUID is a version 5 (SHA-1, name-based) UUID of name.
func nameUUID(name string) string {
	sum := sha1.Sum([]byte(name))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x50 // version 5
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// dockerName is the name the kubelet gave the container in Docker's days:
// k8s_<container>_<pod>_<namespace>_<pod uid>_<restart count>.
func dockerName(pod *corev1.Pod, name string, st *corev1.ContainerStatus) string {
	restarts := int32(0)
	if st != nil {
		restarts = st.RestartCount
	}
	return fmt.Sprintf("k8s_%s_%s_%s_%s_%d", name, pod.Name, pod.Namespace, pod.UID, restarts)
}

// known maps a task's lastStatus to what the task's agent knows: PENDING until it runs,
// RUNNING until its containers are all gone, then STOPPED.
func known(s ecsv1alpha1.TaskLifecycleStatus) string {
	switch s {
	case ecsv1alpha1.TaskRunning, ecsv1alpha1.TaskDeactivating, ecsv1alpha1.TaskStopping:
		return StatusRunning
	case ecsv1alpha1.TaskDeprovisioning, ecsv1alpha1.TaskStopped:
		return StatusStopped
	}
	return StatusPending
}

func desired(s ecsv1alpha1.TaskLifecycleStatus) string {
	if s == ecsv1alpha1.TaskStopped {
		return StatusStopped
	}
	return StatusRunning
}

func containerKnown(s ecsv1alpha1.TaskLifecycleStatus) string {
	switch s {
	case ecsv1alpha1.TaskRunning:
		return StatusRunning
	case ecsv1alpha1.TaskStopped:
		return StatusStopped
	}
	return StatusPending
}

// containerTimes are when the container (its current run, else its last one) was created,
// started and finished. Kubernetes reports no creation time: it is the start time.
func containerTimes(st *corev1.ContainerStatus) (created, started, finished *time.Time) {
	if st == nil {
		return nil, nil, nil
	}
	switch s := st.State; {
	case s.Running != nil:
		started = timeOf(&s.Running.StartedAt)
	case s.Terminated != nil:
		started, finished = timeOf(&s.Terminated.StartedAt), timeOf(&s.Terminated.FinishedAt)
	case st.LastTerminationState.Terminated != nil:
		t := st.LastTerminationState.Terminated
		started, finished = timeOf(&t.StartedAt), timeOf(&t.FinishedAt)
	}
	return started, started, finished
}

// containerLimits are the container's cpu units (its cpu request, 1024 per core) and memory
// MiB (its memory limit, else its request), as in its container definition.
func containerLimits(r corev1.ResourceRequirements) Limits {
	cpu := 0.0
	if q, ok := r.Requests[corev1.ResourceCPU]; ok {
		cpu = math.Round(float64(q.MilliValue()) * cpuUnitsPerCore / millicoresPerCore)
	}
	l := Limits{CPU: &cpu}
	if q, ok := r.Limits[corev1.ResourceMemory]; ok {
		l.Memory = ptrTo(q.Value() / bytesPerMiB)
	} else if q, ok := r.Requests[corev1.ResourceMemory]; ok {
		l.Memory = ptrTo(q.Value() / bytesPerMiB)
	}
	return l
}

// taskLimits are the task's vCPUs and memory MiB (the pod-level resources internal/taskdef
// sets from the task's cpu and memory); nil when the task sets neither, as ECS omits them.
func taskLimits(r *corev1.ResourceRequirements) *Limits {
	if r == nil {
		return nil
	}
	l := &Limits{}
	if q, ok := r.Requests[corev1.ResourceCPU]; ok {
		l.CPU = ptrTo(float64(q.MilliValue()) / millicoresPerCore)
	}
	if q, ok := r.Limits[corev1.ResourceMemory]; ok {
		l.Memory = ptrTo(q.Value() / bytesPerMiB)
	}
	if l.CPU == nil && l.Memory == nil {
		return nil
	}
	return l
}

// networks is the pod's network: the node's with host networking, else the pod's own
// addresses (every pod has its own, as an awsvpc task does).
func networks(pod *corev1.Pod) []Network {
	n := Network{NetworkMode: NetworkModeAwsvpc}
	if pod.Spec.HostNetwork {
		n.NetworkMode = NetworkModeHost
	}
	ips := pod.Status.PodIPs
	if len(ips) == 0 && pod.Status.PodIP != "" {
		ips = []corev1.PodIP{{IP: pod.Status.PodIP}}
	}
	for _, ip := range ips {
		addr, err := netip.ParseAddr(ip.IP)
		switch {
		case err != nil:
		case addr.Is4():
			n.IPv4Addresses = append(n.IPv4Addresses, ip.IP)
		default:
			n.IPv6Addresses = append(n.IPv6Addresses, ip.IP)
		}
	}
	return []Network{n}
}

func timeOf(t *metav1.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func ptrTo[T any](v T) *T { return &v }
