package lifecycle

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// step is one reconcile of a journey: the world at now, and what Derive must say.
type step struct {
	task       *ecsv1alpha1.Task
	pod        *corev1.Pod
	now        int
	last       ecsv1alpha1.TaskLifecycleStatus
	version    int64
	stopPod    bool
	podDeleted bool
}

// journey feeds each step's status to the next, as the controller does.
func journey(t *testing.T, steps []step) ecsv1alpha1.TaskStatus {
	t.Helper()
	var st ecsv1alpha1.TaskStatus
	for i, s := range steps {
		task := s.task
		if task == nil {
			task = newTask()
		}
		d := Derive(Input{Task: task, Pod: s.pod, PodDeleted: s.podDeleted, Previous: st, Now: at(s.now)})
		if d.Status.LastStatus != s.last || d.Status.Version != s.version || d.StopPod != s.stopPod {
			t.Fatalf("step %d at %ds: lastStatus %s version %d stopPod %v, want %s %d %v",
				i, s.now, d.Status.LastStatus, d.Status.Version, d.StopPod, s.last, s.version, s.stopPod)
		}
		st = d.Status
	}
	return st
}

// times is the timestamps of a status, in seconds after t0 (-1: unset).
type times struct{ Created, PullStarted, Connectivity, PullStopped, Started, Stopping, ExecutionStopped, Stopped int }

func timesOf(st ecsv1alpha1.TaskStatus) times {
	sec := func(t *metav1.Time) int {
		if t == nil {
			return -1
		}
		return int(t.Sub(t0).Seconds())
	}
	return times{sec(st.CreatedAt), sec(st.PullStartedAt), sec(st.ConnectivityAt), sec(st.PullStoppedAt),
		sec(st.StartedAt), sec(st.StoppingAt), sec(st.ExecutionStoppedAt), sec(st.StoppedAt)}
}

func TestJourneyRunThenStopTask(t *testing.T) {
	creating := newPod(containers("web", "log"), essential("web"), scheduled(2),
		statuses(waiting("web", "ContainerCreating", ""), waiting("log", "ContainerCreating", "")))
	up := runningPod(scheduled(2), statuses(running("web", 8, false), running("log", 9, false)))
	stopped := newTask(stopTask(""))
	ended := runningPod(scheduled(2), deleting(20),
		statuses(terminated("web", 0, "Completed", 8, 25), terminated("log", 0, "Completed", 9, 26)))

	st := journey(t, []step{
		{now: 0, last: provisioning, version: 1},
		{pod: newPod(containers("web", "log"), essential("web")), now: 1, last: pending, version: 2},
		{pod: creating, now: 4, last: activating, version: 3},
		{pod: up, now: 10, last: runningStatus, version: 4},
		{pod: up, now: 11, last: runningStatus, version: 4},
		{task: stopped, pod: up, now: 20, last: deactivating, version: 5, stopPod: true},
		{task: stopped, pod: runningPod(scheduled(2), deleting(20)), now: 21, last: stopping, version: 6},
		{task: stopped, pod: ended, now: 27, last: deprovisioning, version: 7},
		{task: stopped, now: 30, last: stoppedStatus, version: 8},
		{task: stopped, now: 40, last: stoppedStatus, version: 8},
	})
	want := times{Created: 0, PullStarted: 3, Connectivity: 3, PullStopped: 9, Started: 8, Stopping: 20, ExecutionStopped: 26, Stopped: 30}
	if diff := cmp.Diff(want, timesOf(st)); diff != "" {
		t.Errorf("timestamps (-want +got):\n%s", diff)
	}
	if st.StopCode != userInitiated || st.DesiredStatus != stoppedStatus || st.Connectivity != ConnectivityConnected {
		t.Errorf("stopCode %s desiredStatus %s connectivity %s", st.StopCode, st.DesiredStatus, st.Connectivity)
	}
}

func TestJourneyEssentialExit(t *testing.T) {
	exited := runningPod(scheduled(2), statuses(terminated("web", 1, "Error", 8, 30), running("log", 9, false)))
	st := journey(t, []step{
		{pod: runningPod(scheduled(2), statuses(running("web", 8, false), running("log", 9, false))), now: 10, last: runningStatus, version: 1},
		{pod: exited, now: 31, last: deactivating, version: 2, stopPod: true},
		{pod: runningPod(scheduled(2), deleting(31), statuses(terminated("web", 1, "Error", 8, 30), running("log", 9, false))), now: 32, last: stopping, version: 3},
		{pod: runningPod(scheduled(2), deleting(31), phase(corev1.PodFailed),
			statuses(terminated("web", 1, "Error", 8, 30), terminated("log", 143, "Error", 9, 33))), now: 35, last: stoppedStatus, version: 4},
	})
	want := times{Created: 0, PullStarted: 3, Connectivity: 3, PullStopped: 9, Started: 8, Stopping: 30, ExecutionStopped: 33, Stopped: 35}
	if diff := cmp.Diff(want, timesOf(st)); diff != "" {
		t.Errorf("timestamps (-want +got):\n%s", diff)
	}
	if st.StopCode != essentialExited {
		t.Errorf("stopCode = %s", st.StopCode)
	}
}

func TestJourneyPullFailure(t *testing.T) {
	backOff := newPod(containers("web"), scheduled(2), statuses(waiting("web", "ImagePullBackOff", "Back-off pulling image")))
	st := journey(t, []step{
		{pod: backOff, now: 10, last: activating, version: 1},
		{pod: backOff, now: 200, last: activating, version: 1},
		{pod: backOff, now: 304, last: deprovisioning, version: 2, stopPod: true},
		{pod: newPod(containers("web"), scheduled(2), deleting(304), statuses(waiting("web", "ImagePullBackOff", "Back-off pulling image"))), now: 305, last: deprovisioning, version: 2},
		{now: 306, last: stoppedStatus, version: 3},
	})
	want := times{Created: 0, PullStarted: 3, Connectivity: 3, PullStopped: -1, Started: -1, Stopping: 304, ExecutionStopped: 304, Stopped: 306}
	if diff := cmp.Diff(want, timesOf(st)); diff != "" {
		t.Errorf("timestamps (-want +got):\n%s", diff)
	}
	if st.StopCode != failedToStart || st.StoppedReason != "CannotPullContainerError: Back-off pulling image" {
		t.Errorf("stop = %s %q", st.StopCode, st.StoppedReason)
	}
	if len(st.Containers) != 1 || st.Containers[0].LastStatus != stoppedStatus {
		t.Errorf("containers = %+v, want web STOPPED", st.Containers)
	}
}

func TestTimestampsPreserved(t *testing.T) {
	prev := withCause(prevAt(deprovisioning), essentialExited, ReasonEssentialContainerExited)
	prev.CreatedAt, prev.PullStartedAt, prev.ConnectivityAt, prev.PullStoppedAt = atp(-5), atp(1), atp(1), atp(2)
	prev.StartedAt, prev.StoppingAt, prev.ExecutionStoppedAt = atp(3), atp(4), atp(5)
	pod := runningPod(scheduled(10), phase(corev1.PodFailed),
		statuses(terminated("web", 1, "Error", 20, 30), terminated("log", 1, "Error", 20, 40)))
	d := Derive(Input{Task: newTask(), Pod: pod, Previous: prev, Now: at(60)})
	want := times{Created: -5, PullStarted: 1, Connectivity: 1, PullStopped: 2, Started: 3, Stopping: 4, ExecutionStopped: 5, Stopped: 60}
	if diff := cmp.Diff(want, timesOf(d.Status)); diff != "" {
		t.Errorf("timestamps (-want +got):\n%s", diff)
	}
}

func TestTimestampFallbacks(t *testing.T) {
	t.Run("bound by nodeName without conditions: now", func(t *testing.T) {
		pod := newPod(containers("web"), func(p *corev1.Pod) { p.Spec.NodeName = "n"; p.Status.PodIP = "10.0.0.9" })
		d := Derive(Input{Task: newTask(), Pod: pod, Now: at(7)})
		want := times{Created: 0, PullStarted: 7, Connectivity: 7, PullStopped: -1, Started: -1, Stopping: -1, ExecutionStopped: -1, Stopped: -1}
		if diff := cmp.Diff(want, timesOf(d.Status)); diff != "" {
			t.Errorf("timestamps (-want +got):\n%s", diff)
		}
	})
	t.Run("pod times ahead of the caller's clock are capped", func(t *testing.T) {
		pod := runningPod(scheduled(50), statuses(running("web", 80, false), running("log", 90, false)))
		d := Derive(Input{Task: newTask(), Pod: pod, Now: at(60)})
		want := times{Created: 0, PullStarted: 51, Connectivity: 51, PullStopped: 60, Started: 60, Stopping: -1, ExecutionStopped: -1, Stopped: -1}
		if diff := cmp.Diff(want, timesOf(d.Status)); diff != "" {
			t.Errorf("timestamps (-want +got):\n%s", diff)
		}
	})
	t.Run("now is truncated to seconds", func(t *testing.T) {
		now := metav1.NewTime(t0.Add(7500 * 1e6)) // 7.5s
		d := Derive(Input{Task: newTask(), Now: now})
		if got := d.Status.CreatedAt; !got.Equal(atp(0)) {
			t.Errorf("createdAt = %v", got)
		}
		d = Derive(Input{Task: newTask(stopTask("")), Now: now})
		if got := d.Status.StoppedAt; !got.Equal(atp(7)) {
			t.Errorf("stoppedAt = %v, want 7s", got)
		}
	})
}

func TestVersion(t *testing.T) {
	pod := runningPod(probe("web", 0))
	other := ecsv1alpha1.TaskStatus{
		TaskArn: "arn:aws:ecs:us-east-1:000000000000:task/default/t1", ObservedGeneration: 4,
		Conditions: []metav1.Condition{{Type: ecsv1alpha1.ReadyCondition, Status: metav1.ConditionTrue}},
	}
	first := Derive(Input{Task: newTask(), Pod: pod, Previous: other, Now: at(10)})
	if first.Status.Version != 1 {
		t.Fatalf("first version = %d, want 1", first.Status.Version)
	}
	if first.Status.TaskArn != other.TaskArn || first.Status.ObservedGeneration != 4 || len(first.Status.Conditions) != 1 {
		t.Errorf("fields Derive does not own were not kept: %+v", first.Status)
	}

	// What the API server gives back: JSON, times in seconds, empty lists dropped.
	raw, err := json.Marshal(first.Status)
	if err != nil {
		t.Fatal(err)
	}
	var stored ecsv1alpha1.TaskStatus
	if err := json.Unmarshal(raw, &stored); err != nil {
		t.Fatal(err)
	}
	again := Derive(Input{Task: newTask(), Pod: pod, Previous: stored, Now: at(11)})
	if again.Status.Version != 1 {
		t.Errorf("version after an unchanged reconcile = %d, want 1", again.Status.Version)
	}
	if diff := cmp.Diff(stored, again.Status); diff != "" {
		t.Errorf("an unchanged pod changed the status (-stored +derived):\n%s", diff)
	}

	// web (probe, not ready) turns UNHEALTHY once its start period (15s) is over.
	later := Derive(Input{Task: newTask(), Pod: pod, Previous: again.Status, Now: at(30)})
	if later.Status.HealthStatus != unhealthy || later.Status.Version != 2 {
		t.Errorf("health %s version %d, want UNHEALTHY 2", later.Status.HealthStatus, later.Status.Version)
	}
}
