package resources

import (
	"maps"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/capacity"
	"github.com/kube-ecs/kube-ecs/internal/rollout"
)

// FortySecondRule is how long ECS waits after a task without health checks or a load
// balancer reached RUNNING before it counts the task as healthy: the Deployment's
// minReadySeconds.
const FortySecondRule = 40

// Template is what every workload of one ECS deployment runs.
type Template struct {
	Cluster  string
	Family   string
	Revision int32
	// DeploymentID is ecs-svc/<digits>; SpecHash identifies what it runs (Deployment.specHash).
	DeploymentID string
	SpecHash     string
	// PodSpec and Annotations come from internal/taskdef.
	PodSpec     corev1.PodSpec
	Annotations map[string]string
	// Targets are the containers' ports the load balancers send traffic to.
	Targets []Target
	// DrainSeconds is how long a stopping task stays out of its load balancers before its
	// containers get SIGTERM (the deregistration delay); 0: no load balancer.
	DrainSeconds int32
	// HealthChecked says an essential container has an ECS health check.
	HealthChecked bool
	// Constraints and Strategy place EC2 tasks (with the ECS scheduler); the task
	// definition's memberOf constraints are included.
	Constraints []ecsv1alpha1.PlacementConstraint
	Strategy    []ecsv1alpha1.PlacementStrategy
}

// Target is a container port behind a load balancer.
type Target struct {
	Container string // Kubernetes container name
	Port      int32
}

// Part is one workload of the service: the tasks of one capacity provider.
type Part struct {
	Name      string
	Placement capacity.Placement
	Replicas  int32
	Bounds    rollout.Bounds
	// Daemon: the part is a DAEMON service's DaemonSet, whose pods the DaemonSet controller
	// places (one per container instance).
	Daemon bool
}

// ServiceSelector selects every pod of the service, whatever its deployment.
func ServiceSelector(svc *ecsv1alpha1.Service) map[string]string {
	return map[string]string{ecsv1alpha1.ServiceLabel: svc.Name}
}

// DeploymentDigits is the numeric part of an ECS deployment id, a label value.
func DeploymentDigits(id string) string { return strings.TrimPrefix(id, "ecs-svc/") }

// MakePodTemplate builds the pod template of a part.
func MakePodTemplate(svc *ecsv1alpha1.Service, t Template, part Part) corev1.PodTemplateSpec {
	labels := map[string]string{
		ecsv1alpha1.ServiceLabel:      svc.Name,
		ecsv1alpha1.WorkloadLabel:     part.Name,
		ecsv1alpha1.ClusterLabel:      t.Cluster,
		ecsv1alpha1.FamilyLabel:       t.Family,
		ecsv1alpha1.RevisionLabel:     strconv.Itoa(int(t.Revision)),
		ecsv1alpha1.DeploymentIDLabel: DeploymentDigits(t.DeploymentID),
		ecsv1alpha1.LaunchTypeLabel:   string(part.Placement.LaunchType),
	}
	if part.Placement.CapacityProvider != "" {
		labels[ecsv1alpha1.CapacityProviderLabel] = part.Placement.CapacityProvider
	}
	annotations := maps.Clone(t.Annotations)
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[ecsv1alpha1.GroupAnnotation] = "service:" + svc.Name
	annotations[ecsv1alpha1.StartedByAnnotation] = t.DeploymentID

	spec := *t.PodSpec.DeepCopy()
	// A Deployment's pods restart in place; the service controller stops a task whose
	// essential container exited (it deletes the pod) as ECS would.
	spec.RestartPolicy = corev1.RestartPolicyAlways
	if len(part.Placement.NodeSelector) > 0 {
		if spec.NodeSelector == nil {
			spec.NodeSelector = map[string]string{}
		}
		maps.Copy(spec.NodeSelector, part.Placement.NodeSelector)
	}
	if part.Placement.Affinity != nil {
		spec.Affinity = part.Placement.Affinity.DeepCopy()
	}
	spec.Tolerations = append(spec.Tolerations, part.Placement.Tolerations...)
	if rc := part.Placement.RuntimeClassName; rc != "" {
		spec.RuntimeClassName = &rc
	}
	if spec.EnableServiceLinks == nil {
		spec.EnableServiceLinks = ptr.To(false)
	}
	if part.Placement.LaunchType != ecsv1alpha1.LaunchTypeFargate && !part.Daemon {
		sched := capacity.NewScheduling(t.Constraints, t.Strategy, nil, capacity.ServiceStrategy, part.Placement.CapacityProvider)
		spec.SchedulerName = ecsv1alpha1.SchedulerName
		annotations[ecsv1alpha1.PlacementAnnotation] = sched.Annotation()
	}
	addTargetProbes(&spec, t.Targets)
	if t.DrainSeconds > 0 {
		drain(&spec, t.DrainSeconds)
	}
	return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: annotations}, Spec: spec}
}

// addTargetProbes gives a target container without a readiness probe a TCP probe on its
// port: the target group's health check, so a task joins its load balancer only once it
// accepts connections.
func addTargetProbes(spec *corev1.PodSpec, targets []Target) {
	for _, t := range targets {
		for i := range spec.Containers {
			c := &spec.Containers[i]
			if c.Name != t.Container || c.ReadinessProbe != nil {
				continue
			}
			c.ReadinessProbe = &corev1.Probe{
				ProbeHandler:     corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(t.Port)}},
				PeriodSeconds:    5,
				TimeoutSeconds:   2,
				SuccessThreshold: 1,
				FailureThreshold: 2,
			}
		}
	}
}

// drain delays SIGTERM by the deregistration delay: the pod leaves its Services' endpoints
// as soon as it is deleted, and its containers keep serving the connections in flight
// meanwhile.
func drain(spec *corev1.PodSpec, seconds int32) {
	for i := range spec.Containers {
		c := &spec.Containers[i]
		if c.Lifecycle == nil {
			c.Lifecycle = &corev1.Lifecycle{}
		}
		if c.Lifecycle.PreStop == nil {
			c.Lifecycle.PreStop = &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: int64(seconds)}}
		}
	}
	grace := int64(30)
	if spec.TerminationGracePeriodSeconds != nil {
		grace = *spec.TerminationGracePeriodSeconds
	}
	spec.TerminationGracePeriodSeconds = ptr.To(grace + int64(seconds))
}

// MinReadySeconds is how long a new task must be ready before ECS counts it as healthy:
// at once with a health check or a load balancer, else after the 40-second rule.
func MinReadySeconds(t Template) int32 {
	if t.HealthChecked || len(t.Targets) > 0 {
		return 0
	}
	return FortySecondRule
}

func workloadMeta(svc *ecsv1alpha1.Service, t Template, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:      name,
		Namespace: svc.Namespace,
		Labels: map[string]string{
			ecsv1alpha1.ServiceLabel: svc.Name,
			ecsv1alpha1.ClusterLabel: t.Cluster,
		},
		Annotations: map[string]string{
			ecsv1alpha1.DeploymentIDAnnotation: t.DeploymentID,
			ecsv1alpha1.SpecHashAnnotation:     t.SpecHash,
		},
		OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(svc, ecsv1alpha1.GroupVersion.WithKind("Service"))},
	}
}

func workloadSelector(svc *ecsv1alpha1.Service, part Part) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: map[string]string{
		ecsv1alpha1.ServiceLabel:  svc.Name,
		ecsv1alpha1.WorkloadLabel: part.Name,
	}}
}

// MakeDeployment builds the Deployment of a REPLICA service's part. Its rolling update is
// bounded by the part's share of the service's maximumPercent and minimumHealthyPercent;
// paused stops a FAILED deployment that is not rolled back.
func MakeDeployment(svc *ecsv1alpha1.Service, t Template, part Part, paused bool) *appsv1.Deployment {
	surge, unavailable := intstr.FromInt32(part.Bounds.MaxSurge), intstr.FromInt32(part.Bounds.MaxUnavailable)
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: workloadMeta(svc, t, part.Name),
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(part.Replicas),
			Selector: workloadSelector(svc, part),
			Template: MakePodTemplate(svc, t, part),
			Strategy: appsv1.DeploymentStrategy{
				Type:          appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavailable},
			},
			MinReadySeconds: MinReadySeconds(t),
			// ECS keeps no history of old deployments' task sets: the revisions are the
			// task definition's.
			RevisionHistoryLimit: ptr.To[int32](2),
			Paused:               paused,
		},
	}
}

// MakeDaemonSet builds the DaemonSet of a DAEMON service: one task on each container
// instance of the cluster (the nodes of its EC2 capacity providers). maximumPercent is 100:
// no surge; maxUnavailable comes from minimumHealthyPercent.
func MakeDaemonSet(svc *ecsv1alpha1.Service, t Template, part Part) *appsv1.DaemonSet {
	unavailable := intstr.FromInt32(max(part.Bounds.MaxUnavailable, 1))
	return &appsv1.DaemonSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"},
		ObjectMeta: workloadMeta(svc, t, part.Name),
		Spec: appsv1.DaemonSetSpec{
			Selector: workloadSelector(svc, part),
			Template: MakePodTemplate(svc, t, part),
			UpdateStrategy: appsv1.DaemonSetUpdateStrategy{
				Type:          appsv1.RollingUpdateDaemonSetStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDaemonSet{MaxUnavailable: &unavailable, MaxSurge: ptr.To(intstr.FromInt32(0))},
			},
			MinReadySeconds:      MinReadySeconds(t),
			RevisionHistoryLimit: ptr.To[int32](2),
		},
	}
}
