package containerinstance

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/capacity"
)

// ReservedPorts are the host ports ECS reports as taken on every container instance (SSH,
// Docker, the agent's introspection and metadata ports).
var ReservedPorts = []int32{22, 2375, 2376, 51678, ecsv1alpha1.AgentMetadataPort}

// Attributes are the instance's ECS attributes: the built-in ones from the node's labels and
// the custom ones of the spec.
func Attributes(node *corev1.Node, ci *ecsv1alpha1.ContainerInstance) []ecsv1alpha1.Attribute {
	var out []ecsv1alpha1.Attribute
	add := func(name, value string) {
		if value != "" {
			out = append(out, ecsv1alpha1.Attribute{Name: name, Value: value})
		}
	}
	l := node.Labels
	add(ecsv1alpha1.AttributeAvailabilityZone, l[ecsv1alpha1.NodeLabelZone])
	add(ecsv1alpha1.AttributeInstanceType, l[ecsv1alpha1.NodeLabelInstanceType])
	add(ecsv1alpha1.AttributeOSType, l[ecsv1alpha1.NodeLabelOS])
	add(ecsv1alpha1.AttributeCPUArchitecture, cpuArchitecture(l[ecsv1alpha1.NodeLabelArch]))
	add(ecsv1alpha1.AttributeAMIID, l[ecsv1alpha1.NodeLabelAMIID])
	for _, a := range ci.Spec.Attributes {
		out = append(out, ecsv1alpha1.Attribute{Name: a.Name, Value: a.Value})
	}
	return out
}

// cpuArchitecture is ECS's name of a Kubernetes architecture.
func cpuArchitecture(arch string) string {
	switch arch {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "arm64"
	}
	return arch
}

// Usage is what the pods on a node take.
type Usage struct {
	CPU, Memory      int64 // CPU units and MiB requested
	Ports, PortsUDP  []int32
	Running, Pending int32 // tasks (pods of a cluster) by phase
}

// PodUsage sums what the pods bound to a node request; pods that finished hold nothing.
func PodUsage(pods []corev1.Pod) Usage {
	var u Usage
	for i := range pods {
		p := &pods[i]
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		cpu, mem := PodRequests(p)
		u.CPU += cpu
		u.Memory += mem
		for _, port := range HostPorts(p) {
			if port.Protocol == corev1.ProtocolUDP {
				u.PortsUDP = append(u.PortsUDP, port.HostPort)
			} else {
				u.Ports = append(u.Ports, port.HostPort)
			}
		}
		if p.Labels[ecsv1alpha1.ClusterLabel] == "" || p.DeletionTimestamp != nil {
			continue
		}
		if p.Status.Phase == corev1.PodRunning {
			u.Running++
		} else {
			u.Pending++
		}
	}
	return u
}

// ClusterPods are the pods of ci's own cluster among a node's pods: the tasks the instance
// counts (runningTasksCount, and for the scheduler its task groups). A node can be an
// instance of clusters in several namespaces; each counts only its own tasks, while every
// pod on the node takes resources and ports.
func ClusterPods(ci *ecsv1alpha1.ContainerInstance, pods []corev1.Pod) []corev1.Pod {
	var out []corev1.Pod
	for i := range pods {
		if pods[i].Namespace == ci.Namespace && pods[i].Labels[ecsv1alpha1.ClusterLabel] == ci.Spec.Cluster {
			out = append(out, pods[i])
		}
	}
	return out
}

// HostPorts are the host ports a pod binds while it runs: its containers' and its sidecars'
// (init containers with restartPolicy Always), as the kube-scheduler counts them.
func HostPorts(p *corev1.Pod) []corev1.ContainerPort {
	var out []corev1.ContainerPort
	add := func(c *corev1.Container) {
		for _, port := range c.Ports {
			if port.HostPort > 0 {
				out = append(out, port)
			}
		}
	}
	for i := range p.Spec.InitContainers {
		if isSidecar(&p.Spec.InitContainers[i]) {
			add(&p.Spec.InitContainers[i])
		}
	}
	for i := range p.Spec.Containers {
		add(&p.Spec.Containers[i])
	}
	return out
}

func isSidecar(c *corev1.Container) bool {
	return c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

// PodRequests is what a pod reserves, in CPU units (1024 per vCPU) and MiB, as the
// kube-scheduler and the kubelet count it: per resource, the pod-level request when there
// is one, else the containers' and sidecars' sum or, when larger, what the largest init
// container needs beside the sidecars started before it; plus the pod overhead.
func PodRequests(p *corev1.Pod) (cpu, mem int64) {
	var cm, mm int64               // containers and sidecars
	var initCM, initMM int64       // the most an init phase needs
	var sidecarCM, sidecarMM int64 // the sidecars started so far
	for _, c := range p.Spec.Containers {
		cm += c.Resources.Requests.Cpu().MilliValue()
		mm += c.Resources.Requests.Memory().Value()
	}
	for i := range p.Spec.InitContainers {
		c := &p.Spec.InitContainers[i]
		ic, im := c.Resources.Requests.Cpu().MilliValue(), c.Resources.Requests.Memory().Value()
		if isSidecar(c) {
			cm, mm = cm+ic, mm+im
			sidecarCM, sidecarMM = sidecarCM+ic, sidecarMM+im
			ic, im = sidecarCM, sidecarMM
		} else {
			ic, im = ic+sidecarCM, im+sidecarMM
		}
		initCM, initMM = max(initCM, ic), max(initMM, im)
	}
	cm, mm = max(cm, initCM), max(mm, initMM)
	if r := p.Spec.Resources; r != nil {
		if q, ok := r.Requests[corev1.ResourceCPU]; ok {
			cm = q.MilliValue()
		}
		if q, ok := r.Requests[corev1.ResourceMemory]; ok {
			mm = q.Value()
		}
	}
	cm += p.Spec.Overhead.Cpu().MilliValue()
	mm += p.Spec.Overhead.Memory().Value()
	return cm * 1024 / 1000, mm >> 20
}

// Resources are an instance's registered (allocatable) and remaining resources, as ECS
// reports them.
func Resources(node *corev1.Node, u Usage) (registered, remaining []ecsv1alpha1.Resource) {
	cpu := node.Status.Allocatable.Cpu().MilliValue() * 1024 / 1000
	mem := node.Status.Allocatable.Memory().Value() >> 20
	integer := func(name string, v int64) ecsv1alpha1.Resource {
		n := int32(min(max(v, 0), 1<<31-1))
		return ecsv1alpha1.Resource{Name: name, Type: "INTEGER", IntegerValue: &n}
	}
	ports := func(name string, ps []int32) ecsv1alpha1.Resource {
		s := make([]string, 0, len(ps))
		for _, p := range ps {
			s = append(s, strconv.Itoa(int(p)))
		}
		slices.Sort(s)
		return ecsv1alpha1.Resource{Name: name, Type: "STRINGSET", StringSetValue: slices.Compact(s)}
	}
	registered = []ecsv1alpha1.Resource{integer("CPU", cpu), integer("MEMORY", mem), ports("PORTS", ReservedPorts), ports("PORTS_UDP", nil)}
	remaining = []ecsv1alpha1.Resource{integer("CPU", cpu-u.CPU), integer("MEMORY", mem-u.Memory),
		ports("PORTS", append(slices.Clone(ReservedPorts), u.Ports...)), ports("PORTS_UDP", u.PortsUDP)}
	return registered, remaining
}

// AgentConnected says whether the agent's heartbeat Lease is current at now, and when that
// answer changes by itself (zero: it does not).
func AgentConnected(lease *coordinationv1.Lease, now time.Time) (bool, time.Time) {
	if lease == nil || lease.Spec.RenewTime == nil || lease.Spec.LeaseDurationSeconds == nil {
		return false, time.Time{}
	}
	expires := lease.Spec.RenewTime.Add(time.Duration(*lease.Spec.LeaseDurationSeconds) * time.Second)
	if now.Before(expires) {
		return true, expires
	}
	return false, time.Time{}
}

// NodeReady says whether a node's kubelet reports Ready (the connectivity of an instance
// when the manager runs without agents, as on kwok clusters).
func NodeReady(node *corev1.Node) bool {
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// NodeChanged says whether a node update changes what an instance's status reads of it:
// labels (attributes), allocatable resources, readiness, cordoning, the provider and
// runtime. A kubelet's status report that only renews its conditions' heartbeat times does
// not: with hundreds of nodes those reports would reconcile every instance for nothing.
func NodeChanged(old, cur *corev1.Node) bool {
	return !maps.Equal(old.Labels, cur.Labels) ||
		old.Spec.Unschedulable != cur.Spec.Unschedulable || old.Spec.ProviderID != cur.Spec.ProviderID ||
		NodeReady(old) != NodeReady(cur) ||
		!equality.Semantic.DeepEqual(old.Status.Allocatable, cur.Status.Allocatable) ||
		old.Status.NodeInfo.ContainerRuntimeVersion != cur.Status.NodeInfo.ContainerRuntimeVersion
}

// InstanceID is the instance id of a node: the last part of its provider ID (an EC2
// instance id on AWS), else its name.
func InstanceID(node *corev1.Node) string {
	if id := node.Spec.ProviderID; id != "" {
		return id[strings.LastIndex(id, "/")+1:]
	}
	return node.Name
}

// Selects says whether a cluster's EC2 capacity providers select a node, and which one
// (the first, by the order of ec2CapacityProviders). A cluster without EC2 providers
// selects every node outside the Fargate capacity pools.
func Selects(cluster *ecsv1alpha1.Cluster, node *corev1.Node) (provider string, ok bool) {
	if len(cluster.Spec.EC2CapacityProviders) == 0 {
		_, fargate := node.Labels[capacity.PoolLabel]
		return "", !fargate
	}
	for _, p := range cluster.Spec.EC2CapacityProviders {
		if matches(p, node) {
			return p.Name, true
		}
	}
	return "", false
}
