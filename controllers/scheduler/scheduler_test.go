package scheduler

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/capacity"
	"github.com/kube-ecs/kube-ecs/internal/placement"
)

func requests(cpu, mem string) corev1.ResourceRequirements {
	return corev1.ResourceRequirements{Requests: corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem),
	}}
}

func hostPort(n int32, proto corev1.Protocol) corev1.ContainerPort {
	return corev1.ContainerPort{ContainerPort: n, HostPort: n, Protocol: proto}
}

func TestTaskOf(t *testing.T) {
	spec := capacity.Scheduling{
		Constraints: []ecsv1alpha1.PlacementConstraint{{Type: ecsv1alpha1.PlacementConstraintDistinctInstance}},
		Strategy:    []ecsv1alpha1.PlacementStrategy{{Type: ecsv1alpha1.PlacementStrategyBinpack, Field: "memory"}},
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{ecsv1alpha1.GroupAnnotation: "service:web"}},
		Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{
				{Name: "migrate", Resources: requests("100m", "32Mi"), Ports: []corev1.ContainerPort{hostPort(9000, corev1.ProtocolTCP)}},
				{Name: "proxy", Resources: requests("250m", "64Mi"), RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways),
					Ports: []corev1.ContainerPort{hostPort(15000, corev1.ProtocolTCP), hostPort(15001, corev1.ProtocolUDP)}},
			},
			Containers: []corev1.Container{{Name: "app", Resources: requests("500m", "256Mi"), Ports: []corev1.ContainerPort{
				hostPort(80, corev1.ProtocolTCP), hostPort(53, corev1.ProtocolUDP), {ContainerPort: 8080},
			}}},
		},
	}
	want := placement.Task{
		CPU: 768, Memory: 320, Group: "service:web",
		// A sidecar binds its host ports as long as the task runs; a plain init container's
		// are free again before the task's containers start.
		Ports: []placement.Port{{Number: 15000, Protocol: placement.ProtocolTCP}, {Number: 15001, Protocol: placement.ProtocolUDP},
			{Number: 80, Protocol: placement.ProtocolTCP}, {Number: 53, Protocol: placement.ProtocolUDP}},
		Constraints: spec.Constraints,
		Strategy:    spec.Strategy,
	}
	if diff := cmp.Diff(want, taskOf(pod, spec)); diff != "" {
		t.Errorf("taskOf (-want +got):\n%s", diff)
	}
}

func TestInstanceOf(t *testing.T) {
	created := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	node := func(unschedulable bool) *corev1.Node {
		return &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: "node-a", Labels: map[string]string{ecsv1alpha1.NodeLabelZone: "us-east-1a"}},
			Spec:       corev1.NodeSpec{ProviderID: "aws:///us-east-1a/i-0a", Unschedulable: unschedulable},
			Status: corev1.NodeStatus{Allocatable: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("4Gi"),
			}},
		}
	}
	instance := func(desired ecsv1alpha1.DesiredContainerInstanceStatus, connected bool) *ecsv1alpha1.ContainerInstance {
		return &ecsv1alpha1.ContainerInstance{
			ObjectMeta: metav1.ObjectMeta{Name: "node-a", CreationTimestamp: metav1.NewTime(created)},
			Spec: ecsv1alpha1.ContainerInstanceSpec{Cluster: "default", NodeName: "node-a", Status: desired,
				Attributes: []ecsv1alpha1.CustomAttribute{{Name: "stack", Value: "prod"}}},
			Status: ecsv1alpha1.ContainerInstanceStatus{AgentConnected: connected, VersionInfo: &ecsv1alpha1.VersionInfo{AgentVersion: "1.2.3"}},
		}
	}
	task := func(group string, phase corev1.PodPhase, ports ...corev1.ContainerPort) corev1.Pod {
		return corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{
				Labels:      map[string]string{ecsv1alpha1.ClusterLabel: "default"},
				Annotations: map[string]string{ecsv1alpha1.GroupAnnotation: group},
			},
			Spec:   corev1.PodSpec{Containers: []corev1.Container{{Name: "a", Resources: requests("500m", "1Gi"), Ports: ports}}},
			Status: corev1.PodStatus{Phase: phase},
		}
	}
	daemon := task("", corev1.PodRunning, hostPort(9100, corev1.ProtocolTCP))
	daemon.Labels = nil
	reserved := map[placement.Port]bool{}
	for _, p := range []int32{22, 2375, 2376, 51678, 51679} {
		reserved[placement.Port{Number: p, Protocol: placement.ProtocolTCP}] = true
	}
	with := func(extra ...placement.Port) map[placement.Port]bool {
		m := map[placement.Port]bool{}
		for p := range reserved {
			m[p] = true
		}
		for _, p := range extra {
			m[p] = true
		}
		return m
	}
	base := placement.Instance{
		Name: "node-a", ID: "i-0a",
		Attributes:     map[string]string{ecsv1alpha1.AttributeAvailabilityZone: "us-east-1a", "stack": "prod"},
		AgentConnected: true, AgentVersion: "1.2.3", Active: true, RegisteredAt: created,
		RemainingCPU: 2048, RemainingMemory: 4096,
		UsedPorts: reserved, TaskGroups: map[string]int{},
	}
	tests := []struct {
		name string
		ci   *ecsv1alpha1.ContainerInstance
		node *corev1.Node
		pods []corev1.Pod
		want func(placement.Instance) placement.Instance
	}{
		{name: "empty and connected", ci: instance("", true), node: node(false), want: func(i placement.Instance) placement.Instance { return i }},
		{name: "disconnected", ci: instance("", false), node: node(false), want: func(i placement.Instance) placement.Instance {
			i.AgentConnected = false
			return i
		}},
		{name: "spec.status DRAINING", ci: instance(ecsv1alpha1.DesiredContainerInstanceDraining, true), node: node(false),
			want: func(i placement.Instance) placement.Instance {
				i.Active = false
				return i
			}},
		{name: "cordoned node", ci: instance(ecsv1alpha1.DesiredContainerInstanceActive, true), node: node(true),
			want: func(i placement.Instance) placement.Instance {
				i.Active = false
				return i
			}},
		{
			name: "tasks and other pods take resources and ports; finished tasks nothing; only tasks count",
			ci:   instance("", true), node: node(false),
			pods: []corev1.Pod{
				task("service:web", corev1.PodRunning, hostPort(80, corev1.ProtocolTCP)),
				task("service:web", corev1.PodPending, hostPort(53, corev1.ProtocolUDP)),
				task("family:batch", corev1.PodRunning),
				task("service:web", corev1.PodSucceeded, hostPort(81, corev1.ProtocolTCP)),
				daemon,
			},
			want: func(i placement.Instance) placement.Instance {
				i.RemainingCPU, i.RemainingMemory = 2048-4*512, 4096-4*1024
				i.UsedPorts = with(placement.Port{Number: 80, Protocol: placement.ProtocolTCP}, placement.Port{Number: 53, Protocol: placement.ProtocolUDP},
					placement.Port{Number: 9100, Protocol: placement.ProtocolTCP})
				i.RunningTasks = 3
				i.TaskGroups = map[string]int{"service:web": 2, "family:batch": 1}
				return i
			},
		},
		{
			name: "another cluster's tasks (same namespace or another) take resources but are not this cluster's tasks",
			ci:   instance("", true), node: node(false),
			pods: func() []corev1.Pod {
				otherNamespace := task("service:web", corev1.PodRunning)
				otherNamespace.Namespace = "team-b"
				otherCluster := task("service:web", corev1.PodRunning)
				otherCluster.Labels[ecsv1alpha1.ClusterLabel] = "batch"
				return []corev1.Pod{task("service:web", corev1.PodRunning), otherNamespace, otherCluster}
			}(),
			want: func(i placement.Instance) placement.Instance {
				i.RemainingCPU, i.RemainingMemory = 2048-3*512, 4096-3*1024
				i.RunningTasks = 1
				i.TaskGroups = map[string]int{"service:web": 1}
				return i
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want(base), instanceOf(tt.ci, tt.node, tt.pods)); diff != "" {
				t.Errorf("instanceOf (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReserveCountsOnlyTheClustersOwnTasks(t *testing.T) {
	inst := placement.Instance{Name: "node-a", RemainingCPU: 2048, RemainingMemory: 4096,
		UsedPorts: map[placement.Port]bool{}, TaskGroups: map[string]int{"service:web": 1}, RunningTasks: 1}
	a := assumption{node: "node-a", cluster: clusterKey("team-a", "default"),
		task: placement.Task{CPU: 512, Memory: 1024, Group: "service:web", Ports: []placement.Port{{Number: 80}}}}

	own := reserve(inst, a, clusterKey("team-a", "default"))
	if own.RunningTasks != 2 || own.TaskGroups["service:web"] != 2 || own.RemainingMemory != 3072 {
		t.Errorf("own cluster: %d tasks, groups %v, %d MiB left; want 2, service:web 2, 3072", own.RunningTasks, own.TaskGroups, own.RemainingMemory)
	}
	other := reserve(inst, a, clusterKey("team-b", "default"))
	if other.RunningTasks != 1 || other.TaskGroups["service:web"] != 1 {
		t.Errorf("another cluster: %d tasks, groups %v; want the instance's own 1 and service:web 1", other.RunningTasks, other.TaskGroups)
	}
	if other.RemainingCPU != 1536 || other.RemainingMemory != 3072 || !other.UsedPorts[placement.Port{Number: 80, Protocol: placement.ProtocolTCP}] {
		t.Errorf("another cluster's task must still take its resources and ports: %d CPU, %d MiB, ports %v", other.RemainingCPU, other.RemainingMemory, other.UsedPorts)
	}
	if inst.TaskGroups["service:web"] != 1 {
		t.Errorf("reserve changed the instance it was given: %v", inst.TaskGroups)
	}
}

func TestMayOpen(t *testing.T) {
	res := func(cpu, mem int32, ports ...string) []ecsv1alpha1.Resource {
		return []ecsv1alpha1.Resource{
			{Name: "CPU", Type: "INTEGER", IntegerValue: ptr.To(cpu)},
			{Name: "MEMORY", Type: "INTEGER", IntegerValue: ptr.To(mem)},
			{Name: "PORTS", Type: "STRINGSET", StringSetValue: ports},
		}
	}
	base := func() *ecsv1alpha1.ContainerInstance {
		return &ecsv1alpha1.ContainerInstance{
			ObjectMeta: metav1.ObjectMeta{Name: "i-1", Generation: 1, Labels: map[string]string{"a": "b"}},
			Status: ecsv1alpha1.ContainerInstanceStatus{
				AgentConnected: true, RunningTasksCount: 3, RemainingResources: res(1024, 2048, "22", "80"),
				LastHeartbeatTime: &metav1.Time{Time: time.Unix(100, 0)},
			},
		}
	}
	for _, tc := range []struct {
		name   string
		change func(*ecsv1alpha1.ContainerInstance)
		want   bool
	}{
		{"heartbeat only", func(c *ecsv1alpha1.ContainerInstance) {
			c.Status.LastHeartbeatTime = &metav1.Time{Time: time.Unix(130, 0)}
		}, false},
		{"a binding took capacity", func(c *ecsv1alpha1.ContainerInstance) {
			c.Status.RunningTasksCount, c.Status.RemainingResources = 4, res(768, 1536, "22", "80", "8080")
		}, false},
		{"a task stopped", func(c *ecsv1alpha1.ContainerInstance) { c.Status.RunningTasksCount = 2 }, true},
		{"memory freed", func(c *ecsv1alpha1.ContainerInstance) { c.Status.RemainingResources = res(1024, 2560, "22", "80") }, true},
		{"a port freed", func(c *ecsv1alpha1.ContainerInstance) { c.Status.RemainingResources = res(1024, 2048, "22") }, true},
		{"spec changed (attributes, ACTIVE again)", func(c *ecsv1alpha1.ContainerInstance) { c.Generation = 2 }, true},
		{"label changed", func(c *ecsv1alpha1.ContainerInstance) { c.Labels = map[string]string{"a": "c"} }, true},
		{"agent disconnected", func(c *ecsv1alpha1.ContainerInstance) { c.Status.AgentConnected = false }, false},
		{"attributes changed", func(c *ecsv1alpha1.ContainerInstance) {
			c.Status.Attributes = []ecsv1alpha1.Attribute{{Name: "ecs.availability-zone", Value: "us-east-1a"}}
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old, cur := base(), base()
			tc.change(cur)
			if got := MayOpen(old, cur); got != tc.want {
				t.Errorf("MayOpen = %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("agent reconnected", func(t *testing.T) {
		old, cur := base(), base()
		old.Status.AgentConnected = false
		if !MayOpen(old, cur) {
			t.Error("MayOpen = false, want true")
		}
	})
}
