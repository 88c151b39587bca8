package lifecycle

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

func TestStartTimeout(t *testing.T) {
	// migrate must exit 0 (SUCCESS) and cache must start (HEALTHY) within 30 s of scheduling
	// (the pod is scheduled at 1 s): web waits for both.
	pod := func(opts ...podOpt) *corev1.Pod {
		base := []podOpt{
			initContainer("migrate"), sidecar("cache"), containers("web"), essential("web,cache"),
			annotate(ecsv1alpha1.StartTimeoutsAnnotation, "migrate=30,cache=30"), scheduled(1),
		}
		return newPod(append(base, opts...)...)
	}
	tests := []struct {
		name        string
		pod         *corev1.Pod
		now         int
		wantStop    string // a substring of stoppedReason; "" = no stop
		wantRecheck int    // seconds; -1 = none
	}{
		{"within the timeout", pod(initStatuses(running("migrate", 3, false))), 20, "", 31},
		{"past the timeout", pod(initStatuses(running("migrate", 3, false))), 32,
			"CannotStartContainerError: dependency migrate did not reach the condition its dependents wait for within its startTimeout", -1},
		{"migrate done, cache not started past the timeout",
			pod(initStatuses(terminated("migrate", 0, "Completed", 3, 10), waiting("cache", "PodInitializing", ""))), 40,
			"dependency cache did not reach", -1},
		{"migrate failed is a start failure of its own", pod(initStatuses(terminated("migrate", 1, "Error", 3, 10))), 20,
			"dependency migrate exited with code 1", -1},
		{"both reached: no deadline", pod(initStatuses(terminated("migrate", 0, "Completed", 3, 10), running("cache", 11, true)),
			statuses(waiting("web", "ContainerCreating", ""))), 100, "", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Derive(Input{Task: newTask(), Pod: tt.pod, Previous: prevAt(ecsv1alpha1.TaskActivating), Now: at(tt.now)})
			if tt.wantStop == "" && d.Status.StopCode != "" {
				t.Fatalf("stopped: %s %s", d.Status.StopCode, d.Status.StoppedReason)
			}
			if tt.wantStop != "" {
				if d.Status.StopCode != ecsv1alpha1.StopCodeTaskFailedToStart || !strings.Contains(d.Status.StoppedReason, tt.wantStop) || !d.StopPod {
					t.Fatalf("stop %s %q (StopPod %t), want TaskFailedToStart with %q", d.Status.StopCode, d.Status.StoppedReason, d.StopPod, tt.wantStop)
				}
			}
			want := time.Time{}
			if tt.wantRecheck >= 0 {
				want = at(tt.wantRecheck).Time
			}
			if !d.RecheckAt.Equal(want) {
				t.Errorf("RecheckAt = %v, want %v", d.RecheckAt, want)
			}
		})
	}
}

func TestRecheckAtRetryTimeout(t *testing.T) {
	p := newPod(containers("web"), scheduled(1), statuses(waiting("web", "ImagePullBackOff", "back-off pulling image")))
	prev := prevAt(ecsv1alpha1.TaskActivating) // pullStartedAt 2 s
	d := Derive(Input{Task: newTask(), Pod: p, Previous: prev, Now: at(60), RetryTimeout: 2 * time.Minute})
	if d.Status.StopCode != "" {
		t.Fatalf("stopped before the retry timeout: %s", d.Status.StoppedReason)
	}
	if want := at(2 + 120).Time; !d.RecheckAt.Equal(want) {
		t.Fatalf("RecheckAt = %v, want the end of the retry timeout %v", d.RecheckAt, want)
	}
	d = Derive(Input{Task: newTask(), Pod: p, Previous: prev, Now: at(123), RetryTimeout: 2 * time.Minute})
	if d.Status.StopCode != ecsv1alpha1.StopCodeTaskFailedToStart || !d.RecheckAt.IsZero() {
		t.Fatalf("after the retry timeout: stop %q recheck %v", d.Status.StopCode, d.RecheckAt)
	}
}
