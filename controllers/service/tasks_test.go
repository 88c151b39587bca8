package service

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// TestObserveTaskHealth: a service task whose essential container's health check fails is
// replaced once the service's health check grace period has passed, and until then the
// scheduler is asked back when the start period or the grace period ends, since no pod
// update announces either.
func TestObserveTaskHealth(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	sec := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	// app starts at 2s; its health check: 5s interval, 2 retries, no start period: UNHEALTHY
	// from 12s while not Ready.
	pod := func(ready bool) *corev1.Pod {
		readiness := corev1.ConditionFalse
		if ready {
			readiness = corev1.ConditionTrue
		}
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "ns", UID: "0a-1", CreationTimestamp: metav1.NewTime(t0)},
			Spec: corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{
				Name: "app", ReadinessProbe: &corev1.Probe{PeriodSeconds: 5, FailureThreshold: 2},
			}}},
			Status: corev1.PodStatus{
				Phase: corev1.PodRunning,
				Conditions: []corev1.PodCondition{
					{Type: corev1.PodScheduled, Status: corev1.ConditionTrue},
					{Type: corev1.PodReady, Status: readiness, LastTransitionTime: metav1.NewTime(sec(2))},
				},
				ContainerStatuses: []corev1.ContainerStatus{{
					Name: "app", Ready: ready,
					State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(sec(2))}},
				}},
			},
		}
	}
	for _, tc := range []struct {
		name    string
		ready   bool
		grace   time.Duration
		now     int
		stop    bool
		recheck int // seconds after t0; -1: none
	}{
		{name: "healthy", ready: true, now: 20, recheck: -1},
		{name: "failing within the start period", now: 6, recheck: 12},
		{name: "unhealthy, no grace period", now: 12, stop: true, recheck: -1},
		{name: "unhealthy within the grace period", grace: 30 * time.Second, now: 20, recheck: 32},
		{name: "unhealthy past the grace period", grace: 30 * time.Second, now: 32, stop: true, recheck: -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := observeTask(pod(tc.ready), tc.grace, sec(tc.now))
			if tc.stop != (v.stop != nil) {
				t.Fatalf("stop = %+v, want stop %v", v.stop, tc.stop)
			}
			if tc.stop && (v.stop.code != ecsv1alpha1.StopCodeServiceSchedulerInitiated || v.stop.reason != ReasonHealthChecksFailed) {
				t.Errorf("stop = %s %q, want %s %q", v.stop.code, v.stop.reason, ecsv1alpha1.StopCodeServiceSchedulerInitiated, ReasonHealthChecksFailed)
			}
			switch {
			case tc.recheck < 0 && !v.recheckAt.IsZero():
				t.Errorf("recheckAt = %s, want none", v.recheckAt)
			case tc.recheck >= 0 && !v.recheckAt.Equal(sec(tc.recheck)):
				t.Errorf("recheckAt = %s, want %s", v.recheckAt, sec(tc.recheck))
			}
		})
	}
}
