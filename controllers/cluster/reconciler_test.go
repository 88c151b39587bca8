//go:build envtest

package cluster_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

const timeout = 20 * time.Second

var ctx = context.Background()

func remove(t *testing.T, objs ...client.Object) {
	t.Helper()
	for _, o := range objs {
		if err := env.Client.Delete(ctx, o); err != nil {
			t.Fatalf("deleting %T %s: %v", o, o.GetName(), err)
		}
	}
}

func newCluster(ns, name string) *ecsv1alpha1.Cluster {
	return &ecsv1alpha1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       ecsv1alpha1.ClusterSpec{CapacityProviders: []string{"FARGATE", "FARGATE_SPOT"}},
	}
}

func newTask(ns, name, cluster string) *ecsv1alpha1.Task {
	return &ecsv1alpha1.Task{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       ecsv1alpha1.TaskSpec{Cluster: cluster, TaskDefinition: "app", LaunchType: ecsv1alpha1.LaunchTypeFargate},
	}
}

// newService is a service scaled to 0, which can be deleted at once (no service controller
// drains it here).
func newService(ns, name, cluster string) *ecsv1alpha1.Service {
	return &ecsv1alpha1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       ecsv1alpha1.ServiceSpec{Cluster: cluster, TaskDefinition: "app", DesiredCount: ptr.To[int32](0)},
	}
}

func newInstance(ns, name, cluster string) *ecsv1alpha1.ContainerInstance {
	return &ecsv1alpha1.ContainerInstance{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       ecsv1alpha1.ContainerInstanceSpec{Cluster: cluster, NodeName: "node-" + name},
	}
}

// newServicePod is a pod of a service's task, as the service controller labels them.
func newServicePod(ns, name, service, cluster string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{
			ecsv1alpha1.ServiceLabel: service, ecsv1alpha1.ClusterLabel: cluster,
		}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:1"}, {Name: "log", Image: "registry.example/log:1"}}},
	}
}

// setTaskStatus plays the task controller's part.
func setTaskStatus(t *testing.T, task *ecsv1alpha1.Task, last ecsv1alpha1.TaskLifecycleStatus, health ecsv1alpha1.HealthStatus) {
	t.Helper()
	testenv.Eventually(t, timeout, func() error {
		cur := &ecsv1alpha1.Task{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(task), cur); err != nil {
			return err
		}
		cur.Status.LastStatus, cur.Status.HealthStatus = last, health
		return env.Client.Status().Update(ctx, cur)
	})
}

// kubelet plays the kubelet's part: the pod's phase, with the named containers started.
func kubelet(t *testing.T, pod *corev1.Pod, phase corev1.PodPhase, podIP string, started ...string) {
	t.Helper()
	testenv.Eventually(t, timeout, func() error {
		cur := &corev1.Pod{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(pod), cur); err != nil {
			return err
		}
		cur.Status.Phase, cur.Status.PodIP = phase, podIP
		cur.Status.ContainerStatuses = nil
		for _, c := range cur.Spec.Containers {
			cur.Status.ContainerStatuses = append(cur.Status.ContainerStatuses, corev1.ContainerStatus{
				Name: c.Name, Image: c.Image, Started: ptr.To(slices.Contains(started, c.Name)),
			})
		}
		return env.Client.Status().Update(ctx, cur)
	})
}

// waitCluster waits until check accepts the cluster and returns it.
func waitCluster(t *testing.T, c *ecsv1alpha1.Cluster, check func(*ecsv1alpha1.Cluster) error) *ecsv1alpha1.Cluster {
	t.Helper()
	got := &ecsv1alpha1.Cluster{}
	testenv.Eventually(t, timeout, func() error {
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(c), got); err != nil {
			return err
		}
		return check(got)
	})
	return got
}

type counts struct{ instances, running, pending, services int32 }

func hasCounts(want counts) func(*ecsv1alpha1.Cluster) error {
	return func(c *ecsv1alpha1.Cluster) error {
		st := c.Status
		got := counts{st.RegisteredContainerInstancesCount, st.RunningTasksCount, st.PendingTasksCount, st.ActiveServicesCount}
		if got != want {
			return fmt.Errorf("counts %+v, want %+v", got, want)
		}
		return nil
	}
}

func deleting(reason, remaining string) func(*ecsv1alpha1.Cluster) error {
	return func(c *ecsv1alpha1.Cluster) error {
		d := meta.FindStatusCondition(c.Status.Conditions, ecsv1alpha1.DeletingCondition)
		if d == nil || d.Status != metav1.ConditionTrue || d.Reason != reason || !strings.HasSuffix(d.Message, "Remaining: "+remaining) {
			return fmt.Errorf("deleting condition %+v, want %s naming %s", d, reason, remaining)
		}
		if c.Status.Status != ecsv1alpha1.ClusterDeprovisioning {
			return fmt.Errorf("status %s, want DEPROVISIONING", c.Status.Status)
		}
		return nil
	}
}

// consistently fails the test when check fails at any time during d. It proves that
// something does not happen, which no Eventually can.
func consistently(t *testing.T, d time.Duration, check func() error) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if err := check(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestActiveClusterStatus(t *testing.T) {
	ns := env.NewNamespace(t, "cluster")
	prod := newCluster(ns, "prod")
	env.Create(t, prod)
	got := waitCluster(t, prod, func(c *ecsv1alpha1.Cluster) error {
		ready := meta.FindStatusCondition(c.Status.Conditions, ecsv1alpha1.ReadyCondition)
		if c.Status.Status != ecsv1alpha1.ClusterActive || ready == nil || ready.Status != metav1.ConditionTrue || ready.Reason != ecsv1alpha1.ClusterActiveReason {
			return fmt.Errorf("status %q, ready %+v, want ACTIVE and Ready", c.Status.Status, ready)
		}
		return hasCounts(counts{})(c)
	})
	if got.Status.ClusterArn != "arn:aws:ecs:us-east-1:000000000000:cluster/prod" || !slices.Equal(got.Status.CapacityProviders, prod.Spec.CapacityProviders) ||
		!slices.Contains(got.Finalizers, ecsv1alpha1.ClusterFinalizer) || got.Status.ObservedGeneration != got.Generation {
		t.Errorf("clusterArn %q, capacityProviders %v, finalizers %v, observedGeneration %d", got.Status.ClusterArn, got.Status.CapacityProviders, got.Finalizers, got.Status.ObservedGeneration)
	}
	if meta.FindStatusCondition(got.Status.Conditions, ecsv1alpha1.DeletingCondition) != nil {
		t.Errorf("an active cluster has a Deleting condition")
	}

	const prodArn = "arn:aws:ecs:us-east-1:000000000000:cluster/prod"
	running, pending, stopped := newTask(ns, "running", "prod"), newTask(ns, "pending", prodArn), newTask(ns, "stopped", "prod")
	web1, web2 := newServicePod(ns, "web-1", "web", "prod"), newServicePod(ns, "web-2", "web", "prod")
	env.Create(t,
		running, pending, stopped, newTask(ns, "elsewhere", ""),
		newService(ns, "web", "prod"), newService(ns, "api", prodArn), newService(ns, "other", ""),
		newInstance(ns, "i-1", "prod"), newInstance(ns, "i-2", prodArn), newInstance(ns, "i-3", "default"),
		web1, web2, newServicePod(ns, "other-1", "other", "default"),
	)
	// A standalone task's pod counts through its Task, never twice.
	taskPod := newServicePod(ns, "running", "", "prod")
	delete(taskPod.Labels, ecsv1alpha1.ServiceLabel)
	taskPod.Labels[ecsv1alpha1.TaskLabel] = "running"
	env.Create(t, taskPod)
	setTaskStatus(t, running, ecsv1alpha1.TaskRunning, "")
	setTaskStatus(t, pending, ecsv1alpha1.TaskPending, "")
	setTaskStatus(t, stopped, ecsv1alpha1.TaskStopped, "")
	kubelet(t, taskPod, corev1.PodRunning, "10.0.0.1", "app", "log")
	kubelet(t, web1, corev1.PodRunning, "10.0.0.2", "app", "log")
	kubelet(t, web2, corev1.PodRunning, "10.0.0.3", "app") // log has not started yet
	waitCluster(t, prod, hasCounts(counts{instances: 2, running: 2, pending: 2, services: 2}))

	t.Run("a service pod whose containers all started runs", func(t *testing.T) {
		kubelet(t, web2, corev1.PodRunning, "10.0.0.3", "app", "log")
		waitCluster(t, prod, hasCounts(counts{instances: 2, running: 3, pending: 1, services: 2}))
	})
	t.Run("a terminating pod and a deleted service do not count", func(t *testing.T) {
		if err := env.Client.Patch(ctx, web1, client.RawPatch(client.Merge.Type(), []byte(`{"metadata":{"finalizers":["test.kube-ecs.io/hold"]}}`))); err != nil {
			t.Fatal(err)
		}
		remove(t, web1, newService(ns, "api", ""))
		waitCluster(t, prod, hasCounts(counts{instances: 2, running: 2, pending: 1, services: 1}))
		if err := env.Client.Patch(ctx, web1, client.RawPatch(client.Merge.Type(), []byte(`{"metadata":{"finalizers":null}}`))); client.IgnoreNotFound(err) != nil {
			t.Fatal(err)
		}
	})
}

// TestDeletionWaitsAsDeleteClusterDoes: services block first, then tasks that are not
// STOPPED, then container instances; the cluster goes once none is left.
func TestDeletionWaitsAsDeleteClusterDoes(t *testing.T) {
	ns := env.NewNamespace(t, "cluster")
	c := newCluster(ns, "default")
	web, job, inst := newService(ns, "web", ""), newTask(ns, "job", ""), newInstance(ns, "i-1", "default")
	env.Create(t, c, web, job, inst)
	setTaskStatus(t, job, ecsv1alpha1.TaskRunning, "")
	waitCluster(t, c, func(c *ecsv1alpha1.Cluster) error {
		if !slices.Contains(c.Finalizers, ecsv1alpha1.ClusterFinalizer) {
			return fmt.Errorf("finalizers %v", c.Finalizers)
		}
		return hasCounts(counts{instances: 1, running: 1, services: 1})(c)
	})
	remove(t, c)

	got := waitCluster(t, c, deleting(ecsv1alpha1.ClusterContainsServicesReason, "service web"))
	const servicesMsg = "ClusterContainsServicesException: The Cluster cannot be deleted while Services are active. Remaining: service web"
	if d := meta.FindStatusCondition(got.Status.Conditions, ecsv1alpha1.DeletingCondition); d.Message != servicesMsg {
		t.Errorf("message %q, want %q", d.Message, servicesMsg)
	}
	if r := meta.FindStatusCondition(got.Status.Conditions, ecsv1alpha1.ReadyCondition); r == nil || r.Status != metav1.ConditionFalse {
		t.Errorf("ready %+v on a cluster being deleted", r)
	}
	testenv.Eventually(t, timeout, func() error {
		list := &eventsv1.EventList{}
		if err := env.Client.List(ctx, list, client.InNamespace(ns)); err != nil {
			return err
		}
		for _, e := range list.Items {
			if e.Regarding.Name == c.Name && e.Type == corev1.EventTypeWarning && e.Reason == ecsv1alpha1.ClusterContainsServicesReason && e.Note == servicesMsg {
				return nil
			}
		}
		return fmt.Errorf("no %s warning event among %d events", ecsv1alpha1.ClusterContainsServicesReason, len(list.Items))
	})

	t.Run("the event is recorded once per message", func(t *testing.T) {
		setTaskStatus(t, job, ecsv1alpha1.TaskPending, "") // reconciles with the same blocker
		waitCluster(t, c, hasCounts(counts{instances: 1, pending: 1, services: 1}))
		if notes := recorded.Of(c, ecsv1alpha1.ClusterContainsServicesReason); len(notes) != 1 {
			t.Errorf("events %q, want one", notes)
		}
	})

	remove(t, web)
	waitCluster(t, c, deleting(ecsv1alpha1.ClusterContainsTasksReason, "task job"))
	setTaskStatus(t, job, ecsv1alpha1.TaskStopped, "")
	waitCluster(t, c, deleting(ecsv1alpha1.ClusterContainsContainerInstancesReason, "container instance i-1"))
	if notes := recorded.Of(c, ecsv1alpha1.ClusterContainsTasksReason); len(notes) != 1 || !strings.Contains(notes[0], "The Cluster cannot be deleted while Tasks are active.") {
		t.Errorf("tasks events %q, want one in ECS's words", notes)
	}

	remove(t, inst)
	testenv.Eventually(t, timeout, func() error {
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(c), &ecsv1alpha1.Cluster{}); !apierrors.IsNotFound(err) {
			return fmt.Errorf("cluster still there: %v", err)
		}
		return nil
	})
}

// TestIdleClusterIsNotReconciled: once its status is written, a cluster is not reconciled
// again until something it counts changes, whatever else changes in its members.
func TestIdleClusterIsNotReconciled(t *testing.T) {
	ns := env.NewNamespace(t, "cluster")
	c := newCluster(ns, "idle")
	task, svc, inst, pod := newTask(ns, "job", "idle"), newService(ns, "web", "idle"), newInstance(ns, "i-1", "idle"), newServicePod(ns, "web-1", "web", "idle")
	env.Create(t, c, task, svc, inst, pod)
	setTaskStatus(t, task, ecsv1alpha1.TaskRunning, "")
	kubelet(t, pod, corev1.PodRunning, "10.0.0.1", "app", "log")
	waitCluster(t, c, hasCounts(counts{instances: 1, running: 2, services: 1}))

	// Let the reconciles already queued (the finalizer's, the last events') finish: the
	// count must settle, which a reconcile loop never does.
	var settled int
	testenv.Eventually(t, timeout, func() error {
		before := reconciles.of(c)
		time.Sleep(time.Second)
		if settled = reconciles.of(c); settled != before {
			return fmt.Errorf("%d reconciles in a second", settled-before)
		}
		return nil
	})
	idle := &ecsv1alpha1.Cluster{}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(c), idle); err != nil {
		t.Fatal(err)
	}

	// Changes the cluster does not count: a task's health, a pod's IP and annotations, a
	// service's and an instance's status.
	setTaskStatus(t, task, ecsv1alpha1.TaskRunning, ecsv1alpha1.HealthStatusHealthy)
	kubelet(t, pod, corev1.PodRunning, "10.0.0.9", "app", "log")
	if err := env.Client.Patch(ctx, pod, client.RawPatch(client.Merge.Type(), []byte(`{"metadata":{"annotations":{"note":"x"}}}`))); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Status().Patch(ctx, svc, client.RawPatch(client.Merge.Type(), []byte(`{"status":{"runningCount":1}}`))); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Status().Patch(ctx, inst, client.RawPatch(client.Merge.Type(), []byte(`{"status":{"agentConnected":true}}`))); err != nil {
		t.Fatal(err)
	}
	consistently(t, 3*time.Second, func() error {
		cur := &ecsv1alpha1.Cluster{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(c), cur); err != nil {
			return err
		}
		if n := reconciles.of(c); n != settled || cur.ResourceVersion != idle.ResourceVersion {
			return fmt.Errorf("idle cluster: %d reconciles (want %d), resourceVersion %s (want %s)", n, settled, cur.ResourceVersion, idle.ResourceVersion)
		}
		return nil
	})

	t.Run("a change it counts reconciles it", func(t *testing.T) {
		kubelet(t, pod, corev1.PodRunning, "10.0.0.9", "app") // log restarted, not started yet
		waitCluster(t, c, hasCounts(counts{instances: 1, running: 1, pending: 1, services: 1}))
		if n := reconciles.of(c); n <= settled {
			t.Errorf("reconciles %d, want more than %d", n, settled)
		}
	})
}
