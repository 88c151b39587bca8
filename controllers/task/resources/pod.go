// Package resources builds the Kubernetes objects a Task owns. Builders are pure: no
// client, no clock, no environment.
package resources

import (
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/capacity"
)

// PodInput is everything MakePod needs besides the Task.
type PodInput struct {
	Cluster          string
	Family           string
	Revision         int32
	PodSpec          corev1.PodSpec    // from internal/taskdef
	Annotations      map[string]string // from internal/taskdef
	LaunchType       ecsv1alpha1.LaunchType
	CapacityProvider string
	NodeSelector     map[string]string
	Affinity         *corev1.Affinity
	Tolerations      []corev1.Toleration
	// Scheduling is set for EC2 tasks: the ECS scheduler places the pod by it.
	Scheduling *capacity.Scheduling
	// RuntimeClassName is the Fargate pool's sandbox runtime, if it has one.
	RuntimeClassName string
}

// PodName is the name of a task's pod: the Task's own, so `kubectl logs <task>` works.
func PodName(task *ecsv1alpha1.Task) string { return task.Name }

// TaskID is the ECS task id: the Task's UID without dashes (32 hex characters, as ECS's).
func TaskID(task *ecsv1alpha1.Task) string { return strings.ReplaceAll(string(task.UID), "-", "") }

// Group is the task's group: spec.group, else family:<family> as ECS defaults it.
func Group(task *ecsv1alpha1.Task, family string) string {
	if task.Spec.Group != "" {
		return task.Spec.Group
	}
	return "family:" + family
}

// MakeLabels are the labels of a task's pod.
func MakeLabels(task *ecsv1alpha1.Task, in PodInput) map[string]string {
	l := map[string]string{
		ecsv1alpha1.TaskLabel:       task.Name,
		ecsv1alpha1.ClusterLabel:    in.Cluster,
		ecsv1alpha1.FamilyLabel:     in.Family,
		ecsv1alpha1.RevisionLabel:   strconv.Itoa(int(in.Revision)),
		ecsv1alpha1.LaunchTypeLabel: string(in.LaunchType),
	}
	if in.CapacityProvider != "" {
		l[ecsv1alpha1.CapacityProviderLabel] = in.CapacityProvider
	}
	return l
}

// MakePod builds the pod that runs task.
func MakePod(task *ecsv1alpha1.Task, in PodInput) *corev1.Pod {
	annotations := map[string]string{ecsv1alpha1.GroupAnnotation: Group(task, in.Family)}
	for k, v := range in.Annotations {
		annotations[k] = v
	}
	if task.Spec.StartedBy != "" {
		annotations[ecsv1alpha1.StartedByAnnotation] = task.Spec.StartedBy
	}
	spec := *in.PodSpec.DeepCopy()
	spec.RestartPolicy = corev1.RestartPolicyNever
	spec.NodeSelector = mergeSelectors(spec.NodeSelector, in.NodeSelector)
	if in.Affinity != nil {
		spec.Affinity = in.Affinity.DeepCopy()
	}
	spec.Tolerations = append(spec.Tolerations, in.Tolerations...)
	if in.RuntimeClassName != "" {
		spec.RuntimeClassName = &in.RuntimeClassName
	}
	if in.Scheduling != nil {
		spec.SchedulerName = ecsv1alpha1.SchedulerName
		annotations[ecsv1alpha1.PlacementAnnotation] = in.Scheduling.Annotation()
	}
	if spec.EnableServiceLinks == nil {
		f := false // ECS tasks see no Kubernetes service environment variables
		spec.EnableServiceLinks = &f
	}
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name:            PodName(task),
			Namespace:       task.Namespace,
			Labels:          MakeLabels(task, in),
			Annotations:     annotations,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(task, ecsv1alpha1.GroupVersion.WithKind("Task"))},
		},
		Spec: spec,
	}
}

func mergeSelectors(a, b map[string]string) map[string]string {
	if len(a) == 0 && len(b) == 0 {
		return nil
	}
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
