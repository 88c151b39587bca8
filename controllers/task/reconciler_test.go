package task_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/controllers/task"
	"github.com/kube-ecs/kube-ecs/internal/arn"
	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

const timeout = 20 * time.Second

var ctx = context.Background()

func cluster(ns string) *ecsv1alpha1.Cluster {
	return &ecsv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: ns}}
}

// appWithSidecar is a family with an essential app and a non-essential sidecar.
func appWithSidecar(ns string) *ecsv1alpha1.TaskDefinition {
	return &ecsv1alpha1.TaskDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: ns},
		Spec: ecsv1alpha1.TaskDefinitionSpec{
			NetworkMode: ecsv1alpha1.NetworkModeAwsvpc,
			ContainerDefinitions: []ecsv1alpha1.ContainerDefinition{
				{Name: "app", Image: "registry.example/app:1", Memory: ptr.To[int32](128), StopTimeout: ptr.To[int32](10)},
				{Name: "sidecar", Image: "registry.example/sidecar:1", Memory: ptr.To[int32](64), Essential: ptr.To(false), StopTimeout: ptr.To[int32](5)},
			},
		},
	}
}

func newTask(ns, name, taskDefinition string) *ecsv1alpha1.Task {
	return &ecsv1alpha1.Task{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       ecsv1alpha1.TaskSpec{TaskDefinition: taskDefinition, LaunchType: ecsv1alpha1.LaunchTypeEC2, StartedBy: "test"},
	}
}

// waitTask waits until check accepts the task and returns it.
func waitTask(t *testing.T, task *ecsv1alpha1.Task, check func(*ecsv1alpha1.Task) error) *ecsv1alpha1.Task {
	t.Helper()
	got := &ecsv1alpha1.Task{}
	testenv.Eventually(t, timeout, func() error {
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(task), got); err != nil {
			return err
		}
		return check(got)
	})
	return got
}

func lastStatus(want ecsv1alpha1.TaskLifecycleStatus) func(*ecsv1alpha1.Task) error {
	return func(t *ecsv1alpha1.Task) error {
		if t.Status.LastStatus != want {
			return fmt.Errorf("lastStatus %q (stopCode %q %q), want %q", t.Status.LastStatus, t.Status.StopCode, t.Status.StoppedReason, want)
		}
		return nil
	}
}

func readyReason(want string) func(*ecsv1alpha1.Task) error {
	return func(t *ecsv1alpha1.Task) error {
		c := meta.FindStatusCondition(t.Status.Conditions, ecsv1alpha1.ReadyCondition)
		if c == nil || c.Reason != want {
			return fmt.Errorf("ready condition %+v, want reason %s", c, want)
		}
		return nil
	}
}

func waitPod(t *testing.T, task *ecsv1alpha1.Task) *corev1.Pod {
	t.Helper()
	pod := &corev1.Pod{}
	testenv.Eventually(t, timeout, func() error {
		return env.Client.Get(ctx, client.ObjectKey{Namespace: task.Namespace, Name: task.Name}, pod)
	})
	return pod
}

// kubelet plays the node's part: it binds the pod to a node (so that its deletion is
// graceful, as on a real node) and sets the pod's status as a kubelet would.
func kubelet(t *testing.T, pod *corev1.Pod, containers ...corev1.ContainerStatus) {
	t.Helper()
	testenv.Eventually(t, timeout, func() error {
		cur := &corev1.Pod{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(pod), cur); err != nil || cur.Spec.NodeName != "" {
			return err
		}
		return env.Client.SubResource("binding").Create(ctx, cur, &corev1.Binding{
			ObjectMeta: metav1.ObjectMeta{Name: cur.Name, Namespace: cur.Namespace},
			Target:     corev1.ObjectReference{Kind: "Node", Name: "node-a"},
		})
	})
	testenv.Eventually(t, timeout, func() error {
		cur := &corev1.Pod{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(pod), cur); err != nil {
			return err
		}
		now := metav1.Now()
		cur.Status.Phase = corev1.PodRunning
		cur.Status.PodIP = "10.0.0.7"
		cur.Status.PodIPs = []corev1.PodIP{{IP: "10.0.0.7"}}
		cur.Status.HostIP = "192.168.0.2"
		cur.Status.StartTime = &now
		cur.Status.Conditions = []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: now},
		}
		cur.Status.ContainerStatuses = containers
		return env.Client.Status().Update(ctx, cur)
	})
}

func running(name string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, Image: "img", ImageID: "img@sha256:0123", ContainerID: "containerd://" + name, Ready: true, Started: ptr.To(true),
		State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}}}
}

func exited(name string, code int32) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, Image: "img", ImageID: "img@sha256:0123", ContainerID: "containerd://" + name, Started: ptr.To(false),
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Reason: "Error", StartedAt: metav1.Now(), FinishedAt: metav1.Now()}}}
}

// setPhase sets the pod's phase as the kubelet does once its containers are done.
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

// finishDeletion ends a graceful pod deletion as the kubelet would once containers stopped.
func finishDeletion(t *testing.T, pod *corev1.Pod) {
	t.Helper()
	testenv.Eventually(t, timeout, func() error {
		cur := &corev1.Pod{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(pod), cur); err != nil {
			return err
		}
		if cur.DeletionTimestamp == nil {
			return fmt.Errorf("pod %s is not being deleted", pod.Name)
		}
		return nil
	})
	if err := env.Client.Delete(ctx, pod, client.GracePeriodSeconds(0)); client.IgnoreNotFound(err) != nil {
		t.Fatal(err)
	}
}

func container(task *ecsv1alpha1.Task, name string) *ecsv1alpha1.Container {
	for i := range task.Status.Containers {
		if task.Status.Containers[i].Name == name {
			return &task.Status.Containers[i]
		}
	}
	return nil
}

func TestTaskWaitsForClusterAndFamily(t *testing.T) {
	ns := env.NewNamespace(t, "task")
	task := newTask(ns, "waiting", "app")
	env.Create(t, task)
	waitTask(t, task, readyReason(ecsv1alpha1.ClusterNotFoundReason))
	got := waitTask(t, task, lastStatus(ecsv1alpha1.TaskProvisioning))
	if c := meta.FindStatusCondition(got.Status.Conditions, ecsv1alpha1.ReadyCondition); !strings.Contains(c.Message, "ClusterNotFoundException") {
		t.Errorf("message %q does not name ClusterNotFoundException", c.Message)
	}

	env.Create(t, cluster(ns))
	waitTask(t, task, readyReason(ecsv1alpha1.TaskDefinitionNotFoundReason))

	env.Create(t, appWithSidecar(ns))
	pod := waitPod(t, task)
	if pod.Spec.RestartPolicy != corev1.RestartPolicyNever || !metav1.IsControlledBy(pod, task) && pod.OwnerReferences[0].Name != task.Name {
		t.Errorf("pod restartPolicy %s, owners %v", pod.Spec.RestartPolicy, pod.OwnerReferences)
	}
	for k, want := range map[string]string{ecsv1alpha1.FamilyLabel: "app", ecsv1alpha1.RevisionLabel: "1", ecsv1alpha1.TaskLabel: "waiting", ecsv1alpha1.ClusterLabel: "default"} {
		if pod.Labels[k] != want {
			t.Errorf("pod label %s = %q, want %q", k, pod.Labels[k], want)
		}
	}
	got = waitTask(t, task, lastStatus(ecsv1alpha1.TaskPending))
	if got.Status.Group != "family:app" || got.Status.StartedBy != "test" || !strings.HasSuffix(got.Status.TaskDefinitionArn, ":task-definition/app:1") || !strings.Contains(got.Status.TaskArn, ":task/default/") {
		t.Errorf("status identity: group %q startedBy %q taskDefinitionArn %q taskArn %q", got.Status.Group, got.Status.StartedBy, got.Status.TaskDefinitionArn, got.Status.TaskArn)
	}
}

func TestInactiveRevisionCannotStart(t *testing.T) {
	ns := env.NewNamespace(t, "task")
	td := appWithSidecar(ns)
	env.Create(t, cluster(ns), td)
	testenv.Eventually(t, timeout, func() error {
		cur := &ecsv1alpha1.TaskDefinition{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(td), cur); err != nil {
			return err
		}
		if cur.Status.Revision != 1 {
			return fmt.Errorf("revision %d", cur.Status.Revision)
		}
		cur.Spec.DeregisteredRevisions = []int32{1}
		return env.Client.Update(ctx, cur)
	})
	task := newTask(ns, "inactive", "app:1")
	env.Create(t, task)
	waitTask(t, task, readyReason(ecsv1alpha1.TaskDefinitionInactiveReason))
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: task.Name}, &corev1.Pod{}); !apierrors.IsNotFound(err) {
		t.Fatalf("a pod exists for a task of an INACTIVE revision: %v", err)
	}
}

func TestEssentialContainerExitStopsTask(t *testing.T) {
	ns := env.NewNamespace(t, "task")
	env.Create(t, cluster(ns), appWithSidecar(ns))
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-a", Labels: map[string]string{"topology.kubernetes.io/zone": "us-east-1b"}}}
	if err := env.Client.Create(ctx, node); client.IgnoreAlreadyExists(err) != nil {
		t.Fatal(err)
	}
	task := newTask(ns, "essential", "app")
	env.Create(t, task)
	pod := waitPod(t, task)

	kubelet(t, pod, running("app"), running("sidecar"))
	got := waitTask(t, task, lastStatus(ecsv1alpha1.TaskRunning))
	if got.Status.StartedAt == nil || got.Status.Connectivity != "CONNECTED" {
		t.Errorf("RUNNING task: startedAt %v connectivity %q", got.Status.StartedAt, got.Status.Connectivity)
	}
	got = waitTask(t, task, func(tk *ecsv1alpha1.Task) error {
		if tk.Status.AvailabilityZone != "us-east-1b" {
			return fmt.Errorf("availabilityZone %q, want the node's zone us-east-1b", tk.Status.AvailabilityZone)
		}
		a := tk.Status.Attachments
		if len(a) != 1 || a[0].Type != "ElasticNetworkInterface" || a[0].Status != "ATTACHED" ||
			!slices.Contains(a[0].Details, ecsv1alpha1.KeyValuePair{Name: "privateIPv4Address", Value: "10.0.0.7"}) {
			return fmt.Errorf("attachments %+v, want the awsvpc interface ATTACHED with the pod IP", a)
		}
		return nil
	})
	waitTask(t, task, readyReason(ecsv1alpha1.RunningReason))

	t.Run("a non-essential container exiting leaves the task RUNNING", func(t *testing.T) {
		kubelet(t, pod, running("app"), exited("sidecar", 1))
		got := waitTask(t, task, func(tk *ecsv1alpha1.Task) error {
			if c := container(tk, "sidecar"); c == nil || c.LastStatus != ecsv1alpha1.TaskStopped || c.ExitCode == nil || *c.ExitCode != 1 {
				return fmt.Errorf("sidecar %+v", c)
			}
			return nil
		})
		if got.Status.LastStatus != ecsv1alpha1.TaskRunning {
			t.Fatalf("lastStatus %s after a non-essential exit", got.Status.LastStatus)
		}
	})

	t.Run("the essential container exiting stops the task", func(t *testing.T) {
		kubelet(t, pod, exited("app", 3), exited("sidecar", 1))
		// Every container has exited: the pod finishes by itself and is not deleted, so
		// that `kubectl logs` still shows the task's output.
		setPhase(t, pod, corev1.PodFailed)
		got := waitTask(t, task, lastStatus(ecsv1alpha1.TaskStopped))
		cur := &corev1.Pod{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(pod), cur); err != nil || cur.DeletionTimestamp != nil {
			t.Errorf("the finished pod of a STOPPED task was deleted (err %v, deletionTimestamp %v)", err, cur.DeletionTimestamp)
		}
		if got.Status.StopCode != ecsv1alpha1.StopCodeEssentialContainerExited || got.Status.StoppedReason != "Essential container in task exited" {
			t.Errorf("stopCode %q stoppedReason %q", got.Status.StopCode, got.Status.StoppedReason)
		}
		if c := container(got, "app"); c == nil || c.ExitCode == nil || *c.ExitCode != 3 {
			t.Errorf("app container %+v, want exit code 3", c)
		}
		if got.Status.StoppedAt == nil || got.Status.StoppingAt == nil || got.Status.ExecutionStoppedAt == nil {
			t.Errorf("timestamps: stoppingAt %v executionStoppedAt %v stoppedAt %v", got.Status.StoppingAt, got.Status.ExecutionStoppedAt, got.Status.StoppedAt)
		}
	})
}

func TestStopTask(t *testing.T) {
	ns := env.NewNamespace(t, "task")
	env.Create(t, cluster(ns), appWithSidecar(ns))
	task := newTask(ns, "stop-me", "app")
	env.Create(t, task)
	pod := waitPod(t, task)
	kubelet(t, pod, running("app"), running("sidecar"))
	waitTask(t, task, lastStatus(ecsv1alpha1.TaskRunning))

	testenv.Eventually(t, timeout, func() error {
		cur := &ecsv1alpha1.Task{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(task), cur); err != nil {
			return err
		}
		cur.Spec.DesiredStatus = ecsv1alpha1.DesiredTaskStopped
		return env.Client.Update(ctx, cur)
	})
	testenv.Eventually(t, timeout, func() error {
		cur := &corev1.Pod{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(pod), cur); err != nil {
			return err
		}
		if cur.DeletionTimestamp == nil || cur.DeletionGracePeriodSeconds == nil || *cur.DeletionGracePeriodSeconds != 10 {
			return fmt.Errorf("pod deletion %v grace %v, want grace 10 (the longest stopTimeout)", cur.DeletionTimestamp, ptr.Deref(cur.DeletionGracePeriodSeconds, -1))
		}
		return nil
	})
	finishDeletion(t, pod)
	got := waitTask(t, task, lastStatus(ecsv1alpha1.TaskStopped))
	if got.Status.StopCode != ecsv1alpha1.StopCodeUserInitiated || got.Status.StoppedReason != "Task stopped by user" {
		t.Errorf("stopCode %q stoppedReason %q", got.Status.StopCode, got.Status.StoppedReason)
	}

	t.Run("a stopped task is deleted after its retention", func(t *testing.T) {
		env.WaitGone(t, timeout, task)
	})
}

// TestTaskThatCannotStart: a task whose overrides ECS would refuse stops at once with
// TaskFailedToStart and ECS's message, and no pod is made.
func TestTaskThatCannotStart(t *testing.T) {
	ns := env.NewNamespace(t, "task")
	env.Create(t, cluster(ns), appWithSidecar(ns))
	tests := []struct {
		name      string
		overrides *ecsv1alpha1.TaskOverride
		want      string
	}{
		{"override of an unknown container", &ecsv1alpha1.TaskOverride{ContainerOverrides: []ecsv1alpha1.ContainerOverride{{Name: "db", Command: []string{"true"}}}},
			"Override for container named db is not a container in the TaskDefinition."},
		{"overrides longer than 8192 characters", &ecsv1alpha1.TaskOverride{ContainerOverrides: []ecsv1alpha1.ContainerOverride{{Name: "app",
			Environment: []ecsv1alpha1.KeyValuePair{{Name: "BIG", Value: strings.Repeat("x", 9000)}}}}},
			"Container Overrides length must be at most 8192"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task := newTask(ns, fmt.Sprintf("cannot-start-%d", i), "app")
			task.Spec.Overrides = tt.overrides
			env.Create(t, task)
			got := waitTask(t, task, lastStatus(ecsv1alpha1.TaskStopped))
			if got.Status.StopCode != ecsv1alpha1.StopCodeTaskFailedToStart || !strings.Contains(got.Status.StoppedReason, tt.want) {
				t.Errorf("stopCode %q stoppedReason %q, want TaskFailedToStart with %q", got.Status.StopCode, got.Status.StoppedReason, tt.want)
			}
			if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: task.Name}, &corev1.Pod{}); !apierrors.IsNotFound(err) {
				t.Errorf("a pod exists for a task that cannot start: %v", err)
			}
			testenv.Eventually(t, timeout, func() error {
				if err := env.Client.Get(ctx, client.ObjectKeyFromObject(task), &ecsv1alpha1.Task{}); !apierrors.IsNotFound(err) {
					return fmt.Errorf("the stopped task is still there after its retention: %v", err)
				}
				return nil
			})
		})
	}
}

// laggingCache is the API server seen through a cache that has not shown pods yet: the pod
// a task just created is not there.
type laggingCache struct{ client.Client }

func (c laggingCache) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if _, ok := obj.(*corev1.Pod); ok {
		return apierrors.NewNotFound(corev1.Resource("pods"), key.Name)
	}
	return c.Client.Get(ctx, key, obj, opts...)
}

// TestPodNotInCacheYet: a reconcile whose cache does not show the pod the task's status
// names yet (the pod was just created) must not take it for deleted and stop the task.
func TestPodNotInCacheYet(t *testing.T) {
	ns := env.NewNamespace(t, "task")
	env.Create(t, cluster(ns), appWithSidecar(ns))
	tk := newTask(ns, "fresh", "app")
	env.Create(t, tk)
	waitPod(t, tk)
	waitTask(t, tk, func(got *ecsv1alpha1.Task) error {
		if got.Status.PodName == "" {
			return fmt.Errorf("status.podName not written yet")
		}
		return nil
	})

	lagging := &task.Reconciler{
		Client: laggingCache{env.Client}, APIReader: env.Client, Scope: arn.Scope{Region: arn.DefaultRegion, Account: arn.DefaultAccount},
		Clock: clock.RealClock{}, Recorder: events.NewFakeRecorder(10), Pools: task.DefaultPools(), Retention: retention,
	}
	if _, err := lagging.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(tk)}); err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
	got := &ecsv1alpha1.Task{}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(tk), got); err != nil {
		t.Fatal(err)
	}
	if got.Status.LastStatus == ecsv1alpha1.TaskStopped || got.Status.DesiredStatus == ecsv1alpha1.TaskStopped {
		t.Errorf("the task stopped (%s: %s) though its pod exists", got.Status.StopCode, got.Status.StoppedReason)
	}
}
