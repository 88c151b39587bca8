//go:build envtest

package containerinstance_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

// TestRegistration follows the nodes a cluster's EC2 capacity providers select: they are
// registered as container instances named after them, deregistered when their labels stop
// matching or they go, and all of them when the cluster is deleted.
func TestRegistration(t *testing.T) {
	ns := env.NewNamespace(t, "ci-registration")
	a := newNode(t, ns, "a", map[string]string{"pool": "blue"})
	b := newNode(t, ns, "b", map[string]string{"pool": "green"})
	c := newNode(t, ns, "c", map[string]string{"pool": "red"})
	cl := newCluster(ns, "default", provider(ns, "blue-p", "blue"), provider(ns, "green-p", "green"))
	env.Create(t, cl)

	waitInstance(t, ns, a.Name, registeredTo("default", "blue-p"))
	ci := waitInstance(t, ns, b.Name, registeredTo("default", "green-p"))
	if ci.Spec.NodeName != b.Name {
		t.Errorf("instance %s has nodeName %q, want %q", ci.Name, ci.Spec.NodeName, b.Name)
	}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: c.Name}, &ecsv1alpha1.ContainerInstance{}); !apierrors.IsNotFound(err) {
		t.Errorf("node %s, selected by no provider, is registered (get: %v)", c.Name, err)
	}

	t.Log("A node whose labels stop matching is deregistered; one that starts matching is registered.")
	updateNode(t, b.Name, func(n *corev1.Node) { n.Labels["pool"] = "red" })
	env.WaitGone(t, timeout, &ecsv1alpha1.ContainerInstance{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: b.Name}})
	updateNode(t, c.Name, func(n *corev1.Node) { n.Labels["pool"] = "green" })
	waitInstance(t, ns, c.Name, registeredTo("default", "green-p"))

	t.Log("A node that moves to another provider of the cluster is that provider's instance.")
	updateNode(t, a.Name, func(n *corev1.Node) { n.Labels["pool"] = "green" })
	waitInstance(t, ns, a.Name, registeredTo("default", "green-p"))

	t.Log("A cluster whose providers change registers and deregisters accordingly.")
	testenv.Eventually(t, timeout, func() error {
		cur := &ecsv1alpha1.Cluster{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(cl), cur); err != nil {
			return err
		}
		cur.Spec.EC2CapacityProviders = []ecsv1alpha1.EC2CapacityProvider{provider(ns, "red-p", "red")}
		return env.Client.Update(ctx, cur)
	})
	env.WaitGone(t, timeout, &ecsv1alpha1.ContainerInstance{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: a.Name}})
	env.WaitGone(t, timeout, &ecsv1alpha1.ContainerInstance{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: c.Name}})
	waitInstance(t, ns, b.Name, registeredTo("default", "red-p"))

	t.Log("A deleted node is deregistered.")
	if err := env.Client.Delete(ctx, b); err != nil {
		t.Fatal(err)
	}
	env.WaitGone(t, timeout, &ecsv1alpha1.ContainerInstance{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: b.Name}})
}

// TestClusterDeletion: deleting a cluster deregisters its container instances, after which
// the cluster controller lets the cluster go.
func TestClusterDeletion(t *testing.T) {
	ns := env.NewNamespace(t, "ci-deletion")
	a := newNode(t, ns, "a", map[string]string{"pool": "blue"})
	b := newNode(t, ns, "b", map[string]string{"pool": "blue"})
	cl := newCluster(ns, "default", provider(ns, "blue-p", "blue"))
	env.Create(t, cl)
	waitInstance(t, ns, a.Name, registeredTo("default", "blue-p"))
	waitInstance(t, ns, b.Name, registeredTo("default", "blue-p"))
	testenv.Eventually(t, timeout, func() error {
		cur := &ecsv1alpha1.Cluster{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(cl), cur); err != nil {
			return err
		}
		if cur.Status.RegisteredContainerInstancesCount != 2 {
			return fmt.Errorf("registeredContainerInstancesCount %d, want 2", cur.Status.RegisteredContainerInstancesCount)
		}
		return nil
	})

	if err := env.Client.Delete(ctx, cl); err != nil {
		t.Fatal(err)
	}
	env.WaitGone(t, timeout, &ecsv1alpha1.ContainerInstance{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: a.Name}})
	env.WaitGone(t, timeout, &ecsv1alpha1.ContainerInstance{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: b.Name}})
	env.WaitGone(t, timeout, cl)
}

// TestNodeChangesCluster: a node two clusters of a namespace select is the instance of the
// one that registered it first; when that one lets it go, the other registers it.
func TestNodeChangesCluster(t *testing.T) {
	ns := env.NewNamespace(t, "ci-handover")
	a := newNode(t, ns, "a", map[string]string{"pool": "blue"})
	one := newCluster(ns, "one", provider(ns, "blue-p", "blue"))
	env.Create(t, one)
	waitInstance(t, ns, a.Name, registeredTo("one", "blue-p"))
	two := newCluster(ns, "two", provider(ns, "any-blue", "blue"))
	env.Create(t, two)
	// Cluster two has tried and found the instance name taken: nothing changes.
	testenv.Eventually(t, timeout, func() error {
		cur := &ecsv1alpha1.Cluster{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(two), cur); err != nil {
			return err
		}
		if cur.Status.ObservedGeneration != cur.Generation {
			return fmt.Errorf("cluster two not reconciled yet")
		}
		return nil
	})
	waitInstance(t, ns, a.Name, registeredTo("one", "blue-p"))

	if err := env.Client.Delete(ctx, one); err != nil {
		t.Fatal(err)
	}
	waitInstance(t, ns, a.Name, registeredTo("two", "any-blue"))
}

func resourcesOf(cpu, mem int32, ports, udp []string) []ecsv1alpha1.Resource {
	return []ecsv1alpha1.Resource{
		{Name: "CPU", Type: "INTEGER", IntegerValue: ptr.To(cpu)},
		{Name: "MEMORY", Type: "INTEGER", IntegerValue: ptr.To(mem)},
		{Name: "PORTS", Type: "STRINGSET", StringSetValue: ports},
		{Name: "PORTS_UDP", Type: "STRINGSET", StringSetValue: udp},
	}
}

var reservedPorts = []string{"22", "2375", "2376", "51678", "51679"}

// boundPod is a task's pod of the cluster on node, requesting cpu and memory, with host
// ports.
func boundPod(ns, name, node, cpu, mem string, ports ...corev1.ContainerPort) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{ecsv1alpha1.ClusterLabel: "default"}},
		Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{
			Name: "app", Image: "registry.example/app:1", Ports: ports,
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem),
			}},
		}}},
	}
}

// setPhase plays the kubelet: it sets the pod's phase.
func setPhase(t *testing.T, pod *corev1.Pod, phase corev1.PodPhase) {
	t.Helper()
	testenv.Eventually(t, timeout, func() error {
		cur := &corev1.Pod{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(pod), cur); err != nil {
			return err
		}
		cur.Status.Phase = phase
		return env.Client.Status().Update(ctx, cur)
	})
}

// TestStatus: an instance reports its node's attributes and resources, what its pods take
// and how many tasks it runs.
func TestStatus(t *testing.T) {
	ns := env.NewNamespace(t, "ci-status")
	node := newNode(t, ns, "a", map[string]string{
		"pool":                            "blue",
		ecsv1alpha1.NodeLabelZone:         "us-east-1a",
		ecsv1alpha1.NodeLabelInstanceType: "m5.large",
		ecsv1alpha1.NodeLabelOS:           "linux",
		ecsv1alpha1.NodeLabelArch:         "amd64",
	})
	updateNode(t, node.Name, func(n *corev1.Node) { n.Spec.ProviderID = "aws:///us-east-1a/i-0123456789abcdef0" })
	env.Create(t, newCluster(ns, "default", provider(ns, "blue-p", "blue")))

	ci := waitInstance(t, ns, node.Name, func(ci *ecsv1alpha1.ContainerInstance) error {
		if ci.Status.ObservedGeneration != ci.Generation || ci.Status.EC2InstanceID != "i-0123456789abcdef0" {
			return fmt.Errorf("status not computed yet (ec2InstanceId %q)", ci.Status.EC2InstanceID)
		}
		return nil
	})
	if want := scope.ContainerInstance("default", node.Name); ci.Status.ContainerInstanceArn != want {
		t.Errorf("containerInstanceArn %q, want %q", ci.Status.ContainerInstanceArn, want)
	}
	if ci.Status.RegisteredAt == nil || !ci.Status.RegisteredAt.Equal(&ci.CreationTimestamp) {
		t.Errorf("registeredAt %v, want the creation time %v", ci.Status.RegisteredAt, ci.CreationTimestamp)
	}
	if ci.Status.Status != ecsv1alpha1.ContainerInstanceActive {
		t.Errorf("status %q, want ACTIVE", ci.Status.Status)
	}
	want := resourcesOf(2048, 4096, reservedPorts, nil)
	if diff := cmp.Diff(want, ci.Status.RegisteredResources, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("registeredResources (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, ci.Status.RemainingResources, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("remainingResources of an empty instance (-want +got):\n%s", diff)
	}

	t.Log("Custom attributes follow the built-in ones.")
	testenv.Eventually(t, timeout, func() error {
		cur := &ecsv1alpha1.ContainerInstance{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(ci), cur); err != nil {
			return err
		}
		cur.Spec.Attributes = []ecsv1alpha1.CustomAttribute{{Name: "stack", Value: "prod"}}
		return env.Client.Update(ctx, cur)
	})
	wantAttrs := []ecsv1alpha1.Attribute{
		{Name: ecsv1alpha1.AttributeAvailabilityZone, Value: "us-east-1a"},
		{Name: ecsv1alpha1.AttributeInstanceType, Value: "m5.large"},
		{Name: ecsv1alpha1.AttributeOSType, Value: "linux"},
		{Name: ecsv1alpha1.AttributeCPUArchitecture, Value: "x86_64"},
		{Name: "stack", Value: "prod"},
	}
	waitInstance(t, ns, node.Name, func(ci *ecsv1alpha1.ContainerInstance) error {
		if diff := cmp.Diff(wantAttrs, ci.Status.Attributes); diff != "" {
			return fmt.Errorf("attributes (-want +got):\n%s", diff)
		}
		return nil
	})

	t.Log("Pods bound to the node take their requests and host ports; finished ones nothing.")
	web := boundPod(ns, "web", node.Name, "500m", "1Gi",
		corev1.ContainerPort{ContainerPort: 80, HostPort: 8080}, corev1.ContainerPort{ContainerPort: 53, HostPort: 5353, Protocol: corev1.ProtocolUDP})
	batch := boundPod(ns, "batch", node.Name, "1", "512Mi")
	done := boundPod(ns, "done", node.Name, "1", "2Gi", corev1.ContainerPort{ContainerPort: 81, HostPort: 8081})
	env.Create(t, web, batch, done)
	setPhase(t, web, corev1.PodRunning)
	setPhase(t, done, corev1.PodSucceeded)
	waitInstance(t, ns, node.Name, func(ci *ecsv1alpha1.ContainerInstance) error {
		want := resourcesOf(2048-512-1024, 4096-1024-512, append(slices.Clone(reservedPorts), "8080"), []string{"5353"})
		if diff := cmp.Diff(want, ci.Status.RemainingResources, cmpopts.EquateEmpty()); diff != "" {
			return fmt.Errorf("remainingResources (-want +got):\n%s", diff)
		}
		if ci.Status.RunningTasksCount != 1 || ci.Status.PendingTasksCount != 1 {
			return fmt.Errorf("running %d, pending %d tasks; want 1, 1", ci.Status.RunningTasksCount, ci.Status.PendingTasksCount)
		}
		return nil
	})

	t.Log("A deleted pod frees what it took.")
	if err := env.Client.Delete(ctx, web, client.GracePeriodSeconds(0)); err != nil {
		t.Fatal(err)
	}
	waitInstance(t, ns, node.Name, func(ci *ecsv1alpha1.ContainerInstance) error {
		want := resourcesOf(2048-1024, 4096-512, reservedPorts, nil)
		if diff := cmp.Diff(want, ci.Status.RemainingResources, cmpopts.EquateEmpty()); diff != "" {
			return fmt.Errorf("remainingResources (-want +got):\n%s", diff)
		}
		if ci.Status.RunningTasksCount != 0 || ci.Status.PendingTasksCount != 1 {
			return fmt.Errorf("running %d, pending %d tasks; want 0, 1", ci.Status.RunningTasksCount, ci.Status.PendingTasksCount)
		}
		return nil
	})
}

func agentConnected(want bool) func(*ecsv1alpha1.ContainerInstance) error {
	return func(ci *ecsv1alpha1.ContainerInstance) error {
		c := meta.FindStatusCondition(ci.Status.Conditions, ecsv1alpha1.AgentConnectedCondition)
		ready := meta.FindStatusCondition(ci.Status.Conditions, ecsv1alpha1.ReadyCondition)
		wantStatus := metav1.ConditionFalse
		if want {
			wantStatus = metav1.ConditionTrue
		}
		if ci.Status.AgentConnected != want || c == nil || c.Status != wantStatus || ready == nil || ready.Status != wantStatus {
			return fmt.Errorf("agentConnected %t (conditions %+v), want %t", ci.Status.AgentConnected, ci.Status.Conditions, want)
		}
		return nil
	}
}

// TestAgentLease: with the agent required, an instance is connected while its agent's Lease
// is current, and disconnected again when the Lease expires, with no other event.
func TestAgentLease(t *testing.T) {
	ns := env.NewNamespace(t, "ci-agent")
	node := newNode(t, ns, "a", map[string]string{"pool": "blue"})
	env.Create(t, newCluster(ns, "default", provider(ns, "blue-p", "blue")))

	t.Log("No Lease: a Ready node is not connected.")
	waitInstance(t, ns, node.Name, agentConnected(false))

	t.Log("A fresh Lease connects it.")
	renewed := time.Now()
	l := lease(node.Name, renewed, 5)
	env.Create(t, l)
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), l) })
	ci := waitInstance(t, ns, node.Name, agentConnected(true))
	if ci.Status.LastHeartbeatTime == nil || ci.Status.LastHeartbeatTime.Unix() != renewed.Unix() {
		t.Errorf("lastHeartbeatTime %v, want the Lease's renewTime %v", ci.Status.LastHeartbeatTime, renewed)
	}
	if ci.Status.VersionInfo == nil || ci.Status.VersionInfo.AgentVersion != "0.9.0" || ci.Status.VersionInfo.DockerVersion != "containerd://2.1.0" {
		t.Errorf("versionInfo %+v, want agent 0.9.0 on containerd://2.1.0", ci.Status.VersionInfo)
	}

	t.Log("The Lease expires: the instance is disconnected at expiry.")
	ci = waitInstance(t, ns, node.Name, agentConnected(false))
	if elapsed := time.Since(renewed); elapsed < 5*time.Second {
		t.Errorf("disconnected %s after the heartbeat, before the Lease's 5 seconds", elapsed)
	}

	t.Log("A renewal connects it again.")
	testenv.Eventually(t, timeout, func() error {
		cur := &coordinationv1.Lease{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(l), cur); err != nil {
			return err
		}
		cur.Spec.RenewTime = ptr.To(metav1.NewMicroTime(time.Now()))
		cur.Spec.LeaseDurationSeconds = ptr.To[int32](3600)
		return env.Client.Update(ctx, cur)
	})
	waitInstance(t, ns, node.Name, agentConnected(true))

	t.Log("A deleted Lease (the agent stopped) disconnects it.")
	if err := env.Client.Delete(ctx, l); err != nil {
		t.Fatal(err)
	}
	waitInstance(t, ns, node.Name, agentConnected(false))
}

// TestDraining: spec.status DRAINING or a cordoned node makes an instance DRAINING.
func TestDraining(t *testing.T) {
	ns := env.NewNamespace(t, "ci-draining")
	node := newNode(t, ns, "a", map[string]string{"pool": "blue"})
	env.Create(t, newCluster(ns, "default", provider(ns, "blue-p", "blue")))
	l := lease(node.Name, time.Now(), 3600)
	env.Create(t, l)
	t.Cleanup(func() { _ = env.Client.Delete(context.Background(), l) })

	status := func(want ecsv1alpha1.ContainerInstanceLifecycleStatus, ready metav1.ConditionStatus) func(*ecsv1alpha1.ContainerInstance) error {
		return func(ci *ecsv1alpha1.ContainerInstance) error {
			c := meta.FindStatusCondition(ci.Status.Conditions, ecsv1alpha1.ReadyCondition)
			if ci.Status.Status != want || c == nil || c.Status != ready {
				return fmt.Errorf("status %q (%q), Ready %+v; want %q, Ready %s", ci.Status.Status, ci.Status.StatusReason, c, want, ready)
			}
			return nil
		}
	}
	setDesired := func(desired ecsv1alpha1.DesiredContainerInstanceStatus) {
		testenv.Eventually(t, timeout, func() error {
			cur := &ecsv1alpha1.ContainerInstance{}
			if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: node.Name}, cur); err != nil {
				return err
			}
			cur.Spec.Status = desired
			return env.Client.Update(ctx, cur)
		})
	}
	waitInstance(t, ns, node.Name, status(ecsv1alpha1.ContainerInstanceActive, metav1.ConditionTrue))

	setDesired(ecsv1alpha1.DesiredContainerInstanceDraining)
	waitInstance(t, ns, node.Name, status(ecsv1alpha1.ContainerInstanceDraining, metav1.ConditionFalse))
	setDesired(ecsv1alpha1.DesiredContainerInstanceActive)
	waitInstance(t, ns, node.Name, status(ecsv1alpha1.ContainerInstanceActive, metav1.ConditionTrue))

	updateNode(t, node.Name, func(n *corev1.Node) { n.Spec.Unschedulable = true })
	ci := waitInstance(t, ns, node.Name, status(ecsv1alpha1.ContainerInstanceDraining, metav1.ConditionFalse))
	if ci.Status.StatusReason == "" {
		t.Error("a cordoned instance's statusReason is empty")
	}
	updateNode(t, node.Name, func(n *corev1.Node) { n.Spec.Unschedulable = false })
	waitInstance(t, ns, node.Name, status(ecsv1alpha1.ContainerInstanceActive, metav1.ConditionTrue))
}
