package cluster

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

func TestClusterName(t *testing.T) {
	for ref, want := range map[string]string{
		"":     "default",
		"prod": "prod",
		"arn:aws:ecs:us-east-1:000000000000:cluster/prod": "prod",
		"not-an-arn:cluster/prod":                         "not-an-arn:cluster/prod",
	} {
		if got := ClusterName(ref); got != want {
			t.Errorf("ClusterName(%q) = %q, want %q", ref, got, want)
		}
	}
}

func task(name string, last ecsv1alpha1.TaskLifecycleStatus) ecsv1alpha1.Task {
	return ecsv1alpha1.Task{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: ecsv1alpha1.TaskStatus{LastStatus: last}}
}

// pod is a service's pod with containers a and b; started lists the containers that started.
func pod(name string, phase corev1.PodPhase, started ...string) corev1.Pod {
	p := corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "a"}, {Name: "b"}}},
		Status:     corev1.PodStatus{Phase: phase},
	}
	for _, c := range []string{"a", "b"} {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{Name: c, Started: ptr.To(slices.Contains(started, c))})
	}
	return p
}

func deletingPod(p corev1.Pod) corev1.Pod {
	p.DeletionTimestamp = ptr.To(metav1.Now())
	return p
}

func service(name string) ecsv1alpha1.Service {
	return ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Name: name}}
}

func deletingService(name string) ecsv1alpha1.Service {
	s := service(name)
	s.DeletionTimestamp = ptr.To(metav1.Now())
	return s
}

func instance(name string) ecsv1alpha1.ContainerInstance {
	return ecsv1alpha1.ContainerInstance{ObjectMeta: metav1.ObjectMeta{Name: name}}
}

func TestClassOfPod(t *testing.T) {
	tests := []struct {
		name string
		pod  corev1.Pod
		want taskClass
	}{
		{"no status yet", corev1.Pod{}, taskPending},
		{"pending", pod("p", corev1.PodPending), taskPending},
		{"running, one container not started", pod("p", corev1.PodRunning, "a"), taskPending},
		{"running, a container without status", func() corev1.Pod {
			p := pod("p", corev1.PodRunning, "a", "b")
			p.Status.ContainerStatuses = p.Status.ContainerStatuses[:1]
			return p
		}(), taskPending},
		{"running, every container started", pod("p", corev1.PodRunning, "a", "b"), taskRunning},
		{"running containers without the started field (kwok)", func() corev1.Pod {
			p := pod("p", corev1.PodRunning)
			for i := range p.Status.ContainerStatuses {
				p.Status.ContainerStatuses[i].Started = nil
				p.Status.ContainerStatuses[i].State.Running = &corev1.ContainerStateRunning{}
			}
			return p
		}(), taskRunning},
		{"running and terminating", deletingPod(pod("p", corev1.PodRunning, "a", "b")), taskStopping},
		{"node lost", pod("p", corev1.PodUnknown), taskStopping},
		{"succeeded", pod("p", corev1.PodSucceeded), taskStopped},
		{"failed while terminating", deletingPod(pod("p", corev1.PodFailed)), taskStopped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classOfPod(&tt.pod); got != tt.want {
				t.Errorf("classOfPod = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestClassOfTask(t *testing.T) {
	for last, want := range map[ecsv1alpha1.TaskLifecycleStatus]taskClass{
		"":                             taskPending,
		ecsv1alpha1.TaskProvisioning:   taskPending,
		ecsv1alpha1.TaskPending:        taskPending,
		ecsv1alpha1.TaskActivating:     taskPending,
		ecsv1alpha1.TaskRunning:        taskRunning,
		ecsv1alpha1.TaskDeactivating:   taskStopping,
		ecsv1alpha1.TaskStopping:       taskStopping,
		ecsv1alpha1.TaskDeprovisioning: taskStopping,
		ecsv1alpha1.TaskStopped:        taskStopped,
	} {
		tk := task("t", last)
		if got := classOfTask(&tk); got != want {
			t.Errorf("classOfTask(%q) = %d, want %d", last, got, want)
		}
	}
}

func TestListNames(t *testing.T) {
	var many []string
	for i := range 13 {
		many = append(many, fmt.Sprintf("service s%02d", i))
	}
	tests := []struct {
		names []string
		want  string
	}{
		{[]string{"service web"}, "service web"},
		{[]string{"service web", "service api"}, "service api, service web"},
		{many[:10], "service s00, service s01, service s02, service s03, service s04, service s05, service s06, service s07, service s08, service s09"},
		{many, "service s00, service s01, service s02, service s03, service s04, service s05, service s06, service s07, service s08, service s09 and 3 more"},
	}
	for _, tt := range tests {
		if got := listNames(tt.names); got != tt.want {
			t.Errorf("listNames(%v) = %q, want %q", tt.names, got, tt.want)
		}
	}
}

func TestDeletionBlocker(t *testing.T) {
	tests := []struct {
		name string
		m    members
		want *blocker
	}{
		{"empty", members{}, nil},
		{"only stopped tasks", members{tasks: []ecsv1alpha1.Task{task("done", ecsv1alpha1.TaskStopped)}, pods: []corev1.Pod{pod("ended", corev1.PodSucceeded)}}, nil},
		{"services first, draining ones too", members{
			services:  []ecsv1alpha1.Service{service("web"), deletingService("api")},
			tasks:     []ecsv1alpha1.Task{task("job", ecsv1alpha1.TaskRunning)},
			instances: []ecsv1alpha1.ContainerInstance{instance("i-1")},
		}, &blocker{ecsv1alpha1.ClusterContainsServicesReason,
			"ClusterContainsServicesException: The Cluster cannot be deleted while Services are active. Remaining: service api, service web"}},
		{"then tasks that are not STOPPED, standalone and of services", members{
			tasks: []ecsv1alpha1.Task{task("job", ecsv1alpha1.TaskRunning), task("done", ecsv1alpha1.TaskStopped), task("new", "")},
			pods:  []corev1.Pod{deletingPod(pod("web-1", corev1.PodRunning, "a", "b"))},
		}, &blocker{ecsv1alpha1.ClusterContainsTasksReason,
			"ClusterContainsTasksException: The Cluster cannot be deleted while Tasks are active. Remaining: task job, task new, task web-1"}},
		{"then container instances", members{
			tasks:     []ecsv1alpha1.Task{task("done", ecsv1alpha1.TaskStopped)},
			instances: []ecsv1alpha1.ContainerInstance{instance("i-2"), instance("i-1")},
		}, &blocker{ecsv1alpha1.ClusterContainsContainerInstancesReason,
			"ClusterContainsContainerInstancesException: The Cluster cannot be deleted while Container Instances are active or draining. Remaining: container instance i-1, container instance i-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, deletionBlocker(tt.m), cmp.AllowUnexported(blocker{})); diff != "" {
				t.Errorf("deletionBlocker (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetStatus(t *testing.T) {
	now := metav1.NewTime(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	const clusterArn = "arn:aws:ecs:us-east-1:000000000000:cluster/prod"
	full := members{
		services: []ecsv1alpha1.Service{service("web"), deletingService("old")},
		tasks: []ecsv1alpha1.Task{
			task("r", ecsv1alpha1.TaskRunning), task("p", ecsv1alpha1.TaskPending), task("a", ecsv1alpha1.TaskActivating),
			task("s", ecsv1alpha1.TaskStopping), task("x", ecsv1alpha1.TaskStopped),
		},
		pods: []corev1.Pod{
			pod("web-1", corev1.PodRunning, "a", "b"), pod("web-2", corev1.PodRunning, "a"), pod("web-3", corev1.PodPending),
			deletingPod(pod("web-4", corev1.PodRunning, "a", "b")), pod("web-5", corev1.PodFailed),
		},
		instances: []ecsv1alpha1.ContainerInstance{instance("i-1")},
	}
	tests := []struct {
		name        string
		deleting    bool
		m           members
		want        ecsv1alpha1.ClusterStatus
		wantBlocker bool
	}{
		{"active and empty", false, members{}, ecsv1alpha1.ClusterStatus{
			ClusterArn: clusterArn, Status: ecsv1alpha1.ClusterActive, CapacityProviders: []string{"FARGATE"},
			Conditions: []metav1.Condition{{Type: ecsv1alpha1.ReadyCondition, Status: metav1.ConditionTrue, Reason: ecsv1alpha1.ClusterActiveReason, Message: "the cluster is ACTIVE", ObservedGeneration: 2, LastTransitionTime: now}},
		}, false},
		{"active with members", false, full, ecsv1alpha1.ClusterStatus{
			ClusterArn: clusterArn, Status: ecsv1alpha1.ClusterActive, CapacityProviders: []string{"FARGATE"},
			RegisteredContainerInstancesCount: 1, RunningTasksCount: 2, PendingTasksCount: 4, ActiveServicesCount: 1,
			Conditions: []metav1.Condition{{Type: ecsv1alpha1.ReadyCondition, Status: metav1.ConditionTrue, Reason: ecsv1alpha1.ClusterActiveReason, Message: "the cluster is ACTIVE", ObservedGeneration: 2, LastTransitionTime: now}},
		}, false},
		{"deleting, blocked", true, full, ecsv1alpha1.ClusterStatus{
			ClusterArn: clusterArn, Status: ecsv1alpha1.ClusterDeprovisioning, CapacityProviders: []string{"FARGATE"},
			RegisteredContainerInstancesCount: 1, RunningTasksCount: 2, PendingTasksCount: 4, ActiveServicesCount: 1,
			Conditions: []metav1.Condition{
				{Type: ecsv1alpha1.ReadyCondition, Status: metav1.ConditionFalse, Reason: ecsv1alpha1.ClusterContainsServicesReason, ObservedGeneration: 2, LastTransitionTime: now,
					Message: "ClusterContainsServicesException: The Cluster cannot be deleted while Services are active. Remaining: service old, service web"},
				{Type: ecsv1alpha1.DeletingCondition, Status: metav1.ConditionTrue, Reason: ecsv1alpha1.ClusterContainsServicesReason, ObservedGeneration: 2, LastTransitionTime: now,
					Message: "ClusterContainsServicesException: The Cluster cannot be deleted while Services are active. Remaining: service old, service web"},
			},
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &ecsv1alpha1.Cluster{
				ObjectMeta: metav1.ObjectMeta{Name: "prod", Generation: 2},
				Spec:       ecsv1alpha1.ClusterSpec{CapacityProviders: []string{"FARGATE"}},
			}
			if tt.deleting {
				c.DeletionTimestamp = &now
			}
			b := setStatus(c, tt.m, clusterArn, now)
			if diff := cmp.Diff(tt.want, c.Status, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
			if (b != nil) != tt.wantBlocker {
				t.Errorf("blocker %+v, want one: %v", b, tt.wantBlocker)
			}
		})
	}
}

// TestSetStatusIsStable: computing the status again from the same members changes nothing,
// so an idle cluster's reconcile writes nothing.
func TestSetStatusIsStable(t *testing.T) {
	c := &ecsv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "prod"}}
	m := members{services: []ecsv1alpha1.Service{service("web")}}
	setStatus(c, m, "arn", metav1.NewTime(time.Unix(1, 0)))
	first := c.Status.DeepCopy()
	setStatus(c, m, "arn", metav1.NewTime(time.Unix(99, 0)))
	if diff := cmp.Diff(first, &c.Status); diff != "" {
		t.Errorf("second computation changed the status:\n%s", diff)
	}
}
