package resources

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

func TestMakePod(t *testing.T) {
	task := &ecsv1alpha1.Task{
		ObjectMeta: metav1.ObjectMeta{Name: "report", Namespace: "team-a", UID: "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"},
		Spec:       ecsv1alpha1.TaskSpec{TaskDefinition: "report:3", StartedBy: "nightly"},
	}
	in := PodInput{
		Cluster: "prod", Family: "report", Revision: 3,
		PodSpec: corev1.PodSpec{
			Containers:   []corev1.Container{{Name: "report", Image: "python:3.12"}},
			NodeSelector: map[string]string{"kubernetes.io/arch": "arm64"},
		},
		Annotations:      map[string]string{ecsv1alpha1.EssentialContainersAnnotation: "report"},
		LaunchType:       ecsv1alpha1.LaunchTypeFargate,
		CapacityProvider: "FARGATE_SPOT",
		NodeSelector:     map[string]string{"ecs.kube-ecs.io/capacity-pool": "fargate-spot"},
		Tolerations:      []corev1.Toleration{{Key: "ecs.kube-ecs.io/capacity-pool", Operator: corev1.TolerationOpEqual, Value: "fargate-spot", Effect: corev1.TaintEffectNoSchedule}},
	}
	want := &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name: "report", Namespace: "team-a",
			Labels: map[string]string{
				ecsv1alpha1.TaskLabel: "report", ecsv1alpha1.ClusterLabel: "prod", ecsv1alpha1.FamilyLabel: "report",
				ecsv1alpha1.RevisionLabel: "3", ecsv1alpha1.LaunchTypeLabel: "FARGATE", ecsv1alpha1.CapacityProviderLabel: "FARGATE_SPOT",
			},
			Annotations: map[string]string{
				ecsv1alpha1.GroupAnnotation:               "family:report",
				ecsv1alpha1.StartedByAnnotation:           "nightly",
				ecsv1alpha1.EssentialContainersAnnotation: "report",
			},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "ecs.kube-ecs.io/v1alpha1", Kind: "Task", Name: "report", UID: task.UID,
				Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
			}},
		},
		Spec: corev1.PodSpec{
			Containers:         []corev1.Container{{Name: "report", Image: "python:3.12"}},
			RestartPolicy:      corev1.RestartPolicyNever,
			NodeSelector:       map[string]string{"kubernetes.io/arch": "arm64", "ecs.kube-ecs.io/capacity-pool": "fargate-spot"},
			Tolerations:        in.Tolerations,
			EnableServiceLinks: ptr.To(false),
		},
	}
	got := MakePod(task, in)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("MakePod() mismatch (-want +got):\n%s", diff)
	}
	if in.PodSpec.NodeSelector["ecs.kube-ecs.io/capacity-pool"] != "" {
		t.Error("MakePod changed its input's node selector")
	}
}

func TestTaskIDAndGroup(t *testing.T) {
	task := &ecsv1alpha1.Task{ObjectMeta: metav1.ObjectMeta{UID: "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"}}
	if got := TaskID(task); got != "0b1c2d3e4f5061728394a5b6c7d8e9f0" || len(got) != 32 {
		t.Errorf("TaskID = %q, want 32 hex characters", got)
	}
	if got := Group(task, "web"); got != "family:web" {
		t.Errorf("default group %q", got)
	}
	task.Spec.Group = "batch"
	if got := Group(task, "web"); got != "batch" {
		t.Errorf("group %q", got)
	}
}
