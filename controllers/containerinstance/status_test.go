package containerinstance

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/capacity"
)

func node(labels map[string]string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "ip-10-0-0-1", Labels: labels}}
}

func TestAttributes(t *testing.T) {
	tests := []struct {
		name   string
		labels map[string]string
		custom []ecsv1alpha1.CustomAttribute
		want   []ecsv1alpha1.Attribute
	}{
		{name: "no labels, no custom attributes"},
		{
			name: "every built-in, amd64 is x86_64",
			labels: map[string]string{
				ecsv1alpha1.NodeLabelZone:         "us-east-1a",
				ecsv1alpha1.NodeLabelInstanceType: "m5.large",
				ecsv1alpha1.NodeLabelOS:           "linux",
				ecsv1alpha1.NodeLabelArch:         "amd64",
				ecsv1alpha1.NodeLabelAMIID:        "ami-0123456789abcdef0",
				"unrelated":                       "ignored",
			},
			want: []ecsv1alpha1.Attribute{
				{Name: ecsv1alpha1.AttributeAvailabilityZone, Value: "us-east-1a"},
				{Name: ecsv1alpha1.AttributeInstanceType, Value: "m5.large"},
				{Name: ecsv1alpha1.AttributeOSType, Value: "linux"},
				{Name: ecsv1alpha1.AttributeCPUArchitecture, Value: "x86_64"},
				{Name: ecsv1alpha1.AttributeAMIID, Value: "ami-0123456789abcdef0"},
			},
		},
		{
			name:   "arm64 stays arm64",
			labels: map[string]string{ecsv1alpha1.NodeLabelArch: "arm64"},
			want:   []ecsv1alpha1.Attribute{{Name: ecsv1alpha1.AttributeCPUArchitecture, Value: "arm64"}},
		},
		{
			name:   "an architecture ECS has no name for is passed through",
			labels: map[string]string{ecsv1alpha1.NodeLabelArch: "s390x"},
			want:   []ecsv1alpha1.Attribute{{Name: ecsv1alpha1.AttributeCPUArchitecture, Value: "s390x"}},
		},
		{
			name:   "an empty label is no attribute",
			labels: map[string]string{ecsv1alpha1.NodeLabelZone: ""},
		},
		{
			name:   "custom attributes follow the built-in ones, in spec order, empty values kept",
			labels: map[string]string{ecsv1alpha1.NodeLabelZone: "us-east-1b"},
			custom: []ecsv1alpha1.CustomAttribute{{Name: "stack", Value: "prod"}, {Name: "gpu"}},
			want: []ecsv1alpha1.Attribute{
				{Name: ecsv1alpha1.AttributeAvailabilityZone, Value: "us-east-1b"},
				{Name: "stack", Value: "prod"},
				{Name: "gpu"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ci := &ecsv1alpha1.ContainerInstance{Spec: ecsv1alpha1.ContainerInstanceSpec{Attributes: tt.custom}}
			if diff := cmp.Diff(tt.want, Attributes(node(tt.labels), ci)); diff != "" {
				t.Errorf("Attributes (-want +got):\n%s", diff)
			}
		})
	}
}

func requests(cpu, mem string) corev1.ResourceRequirements {
	r := corev1.ResourceRequirements{Requests: corev1.ResourceList{}}
	if cpu != "" {
		r.Requests[corev1.ResourceCPU] = resource.MustParse(cpu)
	}
	if mem != "" {
		r.Requests[corev1.ResourceMemory] = resource.MustParse(mem)
	}
	return r
}

func container(name, cpu, mem string, ports ...corev1.ContainerPort) corev1.Container {
	return corev1.Container{Name: name, Resources: requests(cpu, mem), Ports: ports}
}

func initContainer(name, cpu, mem string) corev1.Container {
	return container(name, cpu, mem)
}

func sidecar(name, cpu, mem string, ports ...corev1.ContainerPort) corev1.Container {
	c := container(name, cpu, mem, ports...)
	c.RestartPolicy = ptr.To(corev1.ContainerRestartPolicyAlways)
	return c
}

// taskPod is a pod of cluster "default" in phase.
func taskPod(phase corev1.PodPhase, containers ...corev1.Container) corev1.Pod {
	return corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{ecsv1alpha1.ClusterLabel: "default"}},
		Spec:       corev1.PodSpec{Containers: containers},
		Status:     corev1.PodStatus{Phase: phase},
	}
}

func tcp(port int32) corev1.ContainerPort {
	return corev1.ContainerPort{ContainerPort: port, HostPort: port, Protocol: corev1.ProtocolTCP}
}

func udp(port int32) corev1.ContainerPort {
	return corev1.ContainerPort{ContainerPort: port, HostPort: port, Protocol: corev1.ProtocolUDP}
}

func TestPodRequests(t *testing.T) {
	tests := []struct {
		name     string
		spec     corev1.PodSpec
		cpu, mem int64
	}{
		{name: "no requests"},
		{
			name: "containers are summed; 1 vCPU is 1024 units",
			spec: corev1.PodSpec{Containers: []corev1.Container{container("a", "500m", "256Mi"), container("b", "500m", "128Mi")}},
			cpu:  1024, mem: 384,
		},
		{
			name: "pod-level resources win over the containers' sum",
			spec: corev1.PodSpec{
				Resources:  ptr.To(requests("2", "1Gi")),
				Containers: []corev1.Container{container("a", "250m", "128Mi")},
			},
			cpu: 2048, mem: 1024,
		},
		{
			// An EC2 task definition with a task memory and no task cpu: the pod has
			// pod-level memory only, and its CPU is its containers'.
			name: "pod-level memory only: cpu is the containers' sum",
			spec: corev1.PodSpec{
				Resources:  ptr.To(requests("", "512Mi")),
				Containers: []corev1.Container{container("a", "256m", "128Mi"), container("b", "256m", "128Mi")},
			},
			cpu: 524, mem: 512,
		},
		{
			name: "pod-level cpu only: memory is the containers' sum",
			spec: corev1.PodSpec{
				Resources:  ptr.To(requests("1", "")),
				Containers: []corev1.Container{container("a", "", "128Mi"), container("b", "100m", "64Mi")},
			},
			cpu: 1024, mem: 192,
		},
		{
			name: "an init container larger than the containers sets the request",
			spec: corev1.PodSpec{
				InitContainers: []corev1.Container{initContainer("migrate", "2", "64Mi")},
				Containers:     []corev1.Container{container("a", "1", "256Mi")},
			},
			cpu: 2048, mem: 256,
		},
		{
			name: "sidecars add to the containers",
			spec: corev1.PodSpec{
				InitContainers: []corev1.Container{sidecar("proxy", "250m", "64Mi")},
				Containers:     []corev1.Container{container("a", "500m", "256Mi")},
			},
			cpu: 768, mem: 320,
		},
		{
			// The init container runs alone, before the sidecar starts: the pod needs
			// max(init, containers + sidecar) = max(2048, 1024+256).
			name: "an init container before a sidecar runs without it",
			spec: corev1.PodSpec{
				InitContainers: []corev1.Container{initContainer("migrate", "2", "512Mi"), sidecar("proxy", "250m", "64Mi")},
				Containers:     []corev1.Container{container("a", "1", "256Mi")},
			},
			cpu: 2048, mem: 512,
		},
		{
			// The init container runs next to the sidecar started before it: the pod needs
			// max(sidecar + init, containers + sidecar) = max(256+2048, 1024+256).
			name: "an init container after a sidecar runs beside it",
			spec: corev1.PodSpec{
				InitContainers: []corev1.Container{sidecar("proxy", "250m", "64Mi"), initContainer("migrate", "2", "512Mi")},
				Containers:     []corev1.Container{container("a", "1", "256Mi")},
			},
			cpu: 2304, mem: 576,
		},
		{
			name: "the runtime class overhead adds to the pod",
			spec: corev1.PodSpec{
				Overhead:   requests("100m", "64Mi").Requests,
				Containers: []corev1.Container{container("a", "900m", "256Mi")},
			},
			cpu: 1024, mem: 320,
		},
		{
			name: "the overhead adds to pod-level resources too",
			spec: corev1.PodSpec{
				Overhead:   requests("", "64Mi").Requests,
				Resources:  ptr.To(requests("1", "512Mi")),
				Containers: []corev1.Container{container("a", "1", "256Mi")},
			},
			cpu: 1024, mem: 576,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cpu, mem := PodRequests(&corev1.Pod{Spec: tt.spec})
			if cpu != tt.cpu || mem != tt.mem {
				t.Errorf("PodRequests = %d CPU units, %d MiB; want %d, %d", cpu, mem, tt.cpu, tt.mem)
			}
		})
	}
}

func TestPodUsage(t *testing.T) {
	deleting := taskPod(corev1.PodRunning, container("a", "1", "1Gi"))
	deleting.DeletionTimestamp = ptr.To(metav1.Now())
	notATask := taskPod(corev1.PodRunning, container("a", "1", "1Gi", tcp(9100)))
	notATask.Labels = nil
	withSidecar := taskPod(corev1.PodRunning, container("app", "500m", "256Mi", tcp(8080)))
	withSidecar.Spec.InitContainers = []corev1.Container{sidecar("proxy", "250m", "64Mi", tcp(15000), udp(15001))}

	tests := []struct {
		name string
		pods []corev1.Pod
		want Usage
	}{
		{name: "no pods"},
		{
			name: "running and pending tasks are counted, their requests summed",
			pods: []corev1.Pod{
				taskPod(corev1.PodRunning, container("a", "1", "512Mi")),
				taskPod(corev1.PodPending, container("a", "500m", "256Mi")),
				taskPod("", container("a", "500m", "256Mi")),
			},
			want: Usage{CPU: 2048, Memory: 1024, Running: 1, Pending: 2},
		},
		{
			name: "succeeded and failed pods hold nothing",
			pods: []corev1.Pod{
				taskPod(corev1.PodSucceeded, container("a", "1", "512Mi", tcp(80))),
				taskPod(corev1.PodFailed, container("a", "1", "512Mi", udp(53))),
			},
		},
		{
			name: "a terminating pod still holds its resources but is no task any more",
			pods: []corev1.Pod{deleting},
			want: Usage{CPU: 1024, Memory: 1024},
		},
		{
			name: "a pod outside any cluster (a DaemonSet's) takes resources and ports, counts as no task",
			pods: []corev1.Pod{notATask},
			want: Usage{CPU: 1024, Memory: 1024, Ports: []int32{9100}},
		},
		{
			name: "host ports by protocol; container ports without a host port are no host ports",
			pods: []corev1.Pod{taskPod(corev1.PodRunning, container("a", "", "",
				tcp(80), udp(53), corev1.ContainerPort{ContainerPort: 8080}, corev1.ContainerPort{HostPort: 443}))},
			want: Usage{Ports: []int32{80, 443}, PortsUDP: []int32{53}, Running: 1},
		},
		{
			name: "a sidecar's host ports are taken as long as the pod runs",
			pods: []corev1.Pod{withSidecar},
			want: Usage{CPU: 768, Memory: 320, Ports: []int32{15000, 8080}, PortsUDP: []int32{15001}, Running: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, PodUsage(tt.pods)); diff != "" {
				t.Errorf("PodUsage (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClusterPods(t *testing.T) {
	ci := &ecsv1alpha1.ContainerInstance{
		ObjectMeta: metav1.ObjectMeta{Name: "node-a", Namespace: "team-a"},
		Spec:       ecsv1alpha1.ContainerInstanceSpec{Cluster: "default", NodeName: "node-a"},
	}
	pod := func(name, namespace, cluster string) corev1.Pod {
		p := taskPod(corev1.PodRunning)
		p.Name, p.Namespace = name, namespace
		p.Labels = map[string]string{}
		if cluster != "" {
			p.Labels[ecsv1alpha1.ClusterLabel] = cluster
		}
		return p
	}
	pods := []corev1.Pod{
		pod("own", "team-a", "default"),
		pod("other-cluster", "team-a", "batch"),
		pod("other-namespace", "team-b", "default"),
		pod("daemon", "team-a", ""),
		pod("own-too", "team-a", "default"),
	}
	var got []string
	for _, p := range ClusterPods(ci, pods) {
		got = append(got, p.Name)
	}
	if diff := cmp.Diff([]string{"own", "own-too"}, got); diff != "" {
		t.Errorf("ClusterPods (-want +got):\n%s", diff)
	}
}

func integer(name string, v int32) ecsv1alpha1.Resource {
	return ecsv1alpha1.Resource{Name: name, Type: "INTEGER", IntegerValue: ptr.To(v)}
}

func stringSet(name string, v ...string) ecsv1alpha1.Resource {
	return ecsv1alpha1.Resource{Name: name, Type: "STRINGSET", StringSetValue: v}
}

func TestResources(t *testing.T) {
	n := node(nil)
	n.Status.Allocatable = corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("2"),
		corev1.ResourceMemory: resource.MustParse("4Gi"),
	}
	reserved := []string{"22", "2375", "2376", "51678", "51679"}
	registered := []ecsv1alpha1.Resource{integer("CPU", 2048), integer("MEMORY", 4096), stringSet("PORTS", reserved...), stringSet("PORTS_UDP")}
	tests := []struct {
		name      string
		usage     Usage
		remaining []ecsv1alpha1.Resource
	}{
		{
			name:      "nothing used: all remains, the reserved ports taken",
			remaining: registered,
		},
		{
			name:  "used resources and ports, sorted as strings and deduplicated",
			usage: Usage{CPU: 512, Memory: 1000, Ports: []int32{8080, 80, 8080, 22}, PortsUDP: []int32{53, 161}},
			remaining: []ecsv1alpha1.Resource{integer("CPU", 1536), integer("MEMORY", 3096),
				stringSet("PORTS", "22", "2375", "2376", "51678", "51679", "80", "8080"), stringSet("PORTS_UDP", "161", "53")},
		},
		{
			name:  "over-committed: nothing remains, never less",
			usage: Usage{CPU: 4096, Memory: 8192},
			remaining: []ecsv1alpha1.Resource{integer("CPU", 0), integer("MEMORY", 0),
				stringSet("PORTS", reserved...), stringSet("PORTS_UDP")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotRegistered, gotRemaining := Resources(n, tt.usage)
			if diff := cmp.Diff(registered, gotRegistered, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("registered (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.remaining, gotRemaining, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("remaining (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAgentConnected(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	lease := func(renewed time.Time, seconds *int32) *coordinationv1.Lease {
		l := &coordinationv1.Lease{Spec: coordinationv1.LeaseSpec{LeaseDurationSeconds: seconds}}
		if !renewed.IsZero() {
			l.Spec.RenewTime = ptr.To(metav1.NewMicroTime(renewed))
		}
		return l
	}
	tests := []struct {
		name      string
		lease     *coordinationv1.Lease
		connected bool
		changesAt time.Time
	}{
		{name: "no lease"},
		{name: "never renewed", lease: lease(time.Time{}, ptr.To[int32](40))},
		{name: "no duration", lease: lease(now, nil)},
		{name: "fresh: connected until it expires", lease: lease(now.Add(-10*time.Second), ptr.To[int32](40)),
			connected: true, changesAt: now.Add(30 * time.Second)},
		{name: "renewed just now", lease: lease(now, ptr.To[int32](5)), connected: true, changesAt: now.Add(5 * time.Second)},
		{name: "expires now", lease: lease(now.Add(-40*time.Second), ptr.To[int32](40))},
		{name: "expired", lease: lease(now.Add(-time.Hour), ptr.To[int32](40))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			connected, changesAt := AgentConnected(tt.lease, now)
			if connected != tt.connected || !changesAt.Equal(tt.changesAt) {
				t.Errorf("AgentConnected = %t, %v; want %t, %v", connected, changesAt, tt.connected, tt.changesAt)
			}
		})
	}
}

func TestNodeReady(t *testing.T) {
	tests := []struct {
		name       string
		conditions []corev1.NodeCondition
		want       bool
	}{
		{name: "no conditions"},
		{name: "ready", conditions: []corev1.NodeCondition{{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse}, {Type: corev1.NodeReady, Status: corev1.ConditionTrue}}, want: true},
		{name: "not ready", conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionFalse}}},
		{name: "unknown", conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionUnknown}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := node(nil)
			n.Status.Conditions = tt.conditions
			if got := NodeReady(n); got != tt.want {
				t.Errorf("NodeReady = %t, want %t", got, tt.want)
			}
		})
	}
}

func TestInstanceID(t *testing.T) {
	for providerID, want := range map[string]string{
		"":                                      "ip-10-0-0-1",
		"aws:///us-east-1a/i-0123456789abcdef0": "i-0123456789abcdef0",
		"kwok://node-3":                         "node-3",
		"i-0abc":                                "i-0abc",
	} {
		n := node(nil)
		n.Spec.ProviderID = providerID
		if got := InstanceID(n); got != want {
			t.Errorf("InstanceID(providerID %q) = %q, want %q", providerID, got, want)
		}
	}
}

func TestSelects(t *testing.T) {
	provider := func(name string, sel metav1.LabelSelector) ecsv1alpha1.EC2CapacityProvider {
		return ecsv1alpha1.EC2CapacityProvider{Name: name, NodeSelector: sel}
	}
	providers := []ecsv1alpha1.EC2CapacityProvider{
		provider("spot", metav1.LabelSelector{MatchLabels: map[string]string{"lifecycle": "spot"}}),
		provider("gpu", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "accelerator", Operator: metav1.LabelSelectorOpExists},
		}}),
		provider("broken", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "x", Operator: "Bogus"},
		}}),
	}
	tests := []struct {
		name      string
		providers []ecsv1alpha1.EC2CapacityProvider
		labels    map[string]string
		provider  string
		ok        bool
	}{
		{name: "no providers: a plain node", labels: map[string]string{"kubernetes.io/os": "linux"}, ok: true},
		{name: "no providers: an unlabelled node", ok: true},
		{name: "no providers: a Fargate pool node is not an instance", labels: map[string]string{capacity.PoolLabel: "fargate"}},
		{name: "no providers: a Fargate Spot pool node is not an instance", labels: map[string]string{capacity.PoolLabel: "fargate-spot"}},
		{name: "selected by the first provider", providers: providers, labels: map[string]string{"lifecycle": "spot"}, provider: "spot", ok: true},
		{name: "selected by the second provider", providers: providers, labels: map[string]string{"accelerator": "nvidia"}, provider: "gpu", ok: true},
		{name: "selected by two: the first in order wins", providers: providers,
			labels: map[string]string{"lifecycle": "spot", "accelerator": "nvidia"}, provider: "spot", ok: true},
		{name: "selected by none", providers: providers, labels: map[string]string{"lifecycle": "on-demand"}},
		{name: "with providers, a node they do not select is no instance", providers: providers[:1]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &ecsv1alpha1.Cluster{Spec: ecsv1alpha1.ClusterSpec{EC2CapacityProviders: tt.providers}}
			provider, ok := Selects(c, node(tt.labels))
			if provider != tt.provider || ok != tt.ok {
				t.Errorf("Selects = %q, %t; want %q, %t", provider, ok, tt.provider, tt.ok)
			}
		})
	}
}

func TestNodeChanged(t *testing.T) {
	base := func() *corev1.Node {
		n := node(map[string]string{ecsv1alpha1.NodeLabelZone: "us-east-1a"})
		n.Spec.ProviderID = "aws:///us-east-1a/i-0123"
		n.Status.Allocatable = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("8Gi")}
		n.Status.NodeInfo.ContainerRuntimeVersion = "containerd://2.1.0"
		n.Status.Conditions = []corev1.NodeCondition{
			{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, LastHeartbeatTime: metav1.Unix(100, 0)},
			{Type: corev1.NodeReady, Status: corev1.ConditionTrue, LastHeartbeatTime: metav1.Unix(100, 0)},
		}
		return n
	}
	tests := []struct {
		name   string
		change func(*corev1.Node)
		want   bool
	}{
		{name: "nothing", change: func(*corev1.Node) {}},
		{name: "a status report renews the heartbeat times", change: func(n *corev1.Node) {
			for i := range n.Status.Conditions {
				n.Status.Conditions[i].LastHeartbeatTime = metav1.Unix(400, 0)
			}
		}},
		{name: "another condition turns", change: func(n *corev1.Node) { n.Status.Conditions[0].Status = corev1.ConditionTrue }},
		{name: "the same quantity written otherwise", change: func(n *corev1.Node) {
			n.Status.Allocatable[corev1.ResourceCPU] = resource.MustParse("2000m")
		}},
		{name: "not ready", change: func(n *corev1.Node) { n.Status.Conditions[1].Status = corev1.ConditionUnknown }, want: true},
		{name: "a label added", change: func(n *corev1.Node) { n.Labels["team"] = "a" }, want: true},
		{name: "a label changed", change: func(n *corev1.Node) { n.Labels[ecsv1alpha1.NodeLabelZone] = "us-east-1b" }, want: true},
		{name: "cordoned", change: func(n *corev1.Node) { n.Spec.Unschedulable = true }, want: true},
		{name: "allocatable memory", change: func(n *corev1.Node) {
			n.Status.Allocatable[corev1.ResourceMemory] = resource.MustParse("7Gi")
		}, want: true},
		{name: "runtime upgraded", change: func(n *corev1.Node) { n.Status.NodeInfo.ContainerRuntimeVersion = "containerd://2.2.0" }, want: true},
		{name: "provider ID", change: func(n *corev1.Node) { n.Spec.ProviderID = "aws:///us-east-1a/i-0456" }, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, cur := base(), base()
			tt.change(cur)
			if got := NodeChanged(old, cur); got != tt.want {
				t.Errorf("NodeChanged = %t, want %t", got, tt.want)
			}
		})
	}
}
