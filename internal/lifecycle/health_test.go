package lifecycle

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

const (
	healthy   = ecsv1alpha1.HealthStatusHealthy
	unhealthy = ecsv1alpha1.HealthStatusUnhealthy
	unknown   = ecsv1alpha1.HealthStatusUnknown
)

// webPod is a pod of one container, web, whose health check (a readiness probe) has a 10s
// initial delay and 3 x 5s failures, in state s.
func webPod(s corev1.ContainerStatus, opts ...podOpt) *corev1.Pod {
	return newPod(append([]podOpt{containers("web"), scheduled(1), probe("web", 10), statuses(s)}, opts...)...)
}

func TestContainerHealth(t *testing.T) {
	// web starts at 5s; its probe has a 10s initial delay and 3 x 5s failures: 25s start period.
	for _, tc := range []struct {
		name string
		pod  *corev1.Pod
		now  int
		want ecsv1alpha1.HealthStatus
	}{
		{"no health check", newPod(containers("web"), scheduled(1), statuses(running("web", 5, false))), 600, unknown},
		{"ready", webPod(running("web", 5, true)), 20, healthy},
		{"not ready within the start period", webPod(running("web", 5, false)), 29, unknown},
		{"not ready past the start period", webPod(running("web", 5, false)), 30, unhealthy},
		{"not started yet", webPod(waiting("web", "ContainerCreating", "")), 600, unknown},
		{"exited", webPod(terminated("web", 1, "Error", 5, 40)), 600, unknown},
		{
			name: "startup probe not passed yet",
			pod: webPod(func() corev1.ContainerStatus { s := running("web", 5, false); s.Started = ptr.To(false); return s }(),
				func(p *corev1.Pod) { p.Spec.Containers[0].StartupProbe = &corev1.Probe{} }),
			now: 600, want: unknown,
		},
		{
			name: "startup probe passed, not ready",
			pod:  webPod(running("web", 5, false), func(p *corev1.Pod) { p.Spec.Containers[0].StartupProbe = &corev1.Probe{} }),
			now:  600, want: unhealthy,
		},
		{
			name: "Kubernetes probe defaults: 3 x 10s",
			pod: newPod(containers("web"), scheduled(1), statuses(running("web", 5, false)),
				func(p *corev1.Pod) { p.Spec.Containers[0].ReadinessProbe = &corev1.Probe{} }),
			now: 34, want: unknown,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Derive(Input{Task: newTask(), Pod: tc.pod, Previous: prevAt(activating), Now: at(tc.now)})
			if got := d.Status.Containers[0].HealthStatus; got != tc.want {
				t.Errorf("container healthStatus = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestTaskHealth(t *testing.T) {
	// At 60s, web and db started at 5s are past their 15s start period.
	pod := func(ess string, web, db corev1.ContainerStatus, opts ...podOpt) *corev1.Pod {
		base := []podOpt{containers("web", "db"), essential(ess), scheduled(1), probe("web", 0), statuses(web, db)}
		return newPod(append(base, opts...)...)
	}
	up, down := running("web", 5, true), running("web", 5, false)
	dbUp, dbDown, dbNew := running("db", 5, true), running("db", 5, false), running("db", 50, false)
	for _, tc := range []struct {
		name string
		pod  *corev1.Pod
		want ecsv1alpha1.HealthStatus
	}{
		{"essential healthy, non-essential unhealthy", pod("web", up, dbDown, probe("db", 0)), healthy},
		{"essential healthy, other essential without a check", pod("web,db", up, dbDown), healthy},
		{"essential healthy, other essential unhealthy", pod("web,db", up, dbDown, probe("db", 0)), unhealthy},
		{"essential healthy, other essential in its start period", pod("web,db", up, dbNew, probe("db", 0)), unknown},
		{"both essential healthy", pod("web,db", up, dbUp, probe("db", 0)), healthy},
		{"essential unhealthy", pod("web,db", down, dbUp), unhealthy},
		{"no essential container has a check", pod("db", up, dbUp), unknown},
		{
			name: "essential sidecar unhealthy",
			pod: newPod(sidecar("envoy"), containers("web"), essential("envoy,web"), scheduled(1), probe("envoy", 0), probe("web", 0),
				initStatuses(running("envoy", 3, false)), statuses(running("web", 5, true))),
			want: unhealthy,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Derive(Input{Task: newTask(), Pod: tc.pod, Previous: prevAt(runningStatus), Now: at(60)})
			if d.Status.HealthStatus != tc.want {
				t.Errorf("task healthStatus = %s, want %s", d.Status.HealthStatus, tc.want)
			}
		})
	}
}

// TestHealthRecheck: a failing health check turns UNHEALTHY when its start period ends,
// which no pod update announces, so the decision asks to be derived again then.
func TestHealthRecheck(t *testing.T) {
	// web starts at 5s with a 10s initial delay and 3 x 5s failures: UNHEALTHY from 30s.
	for _, tc := range []struct {
		name string
		pod  *corev1.Pod
		now  int
		want int // seconds after t0; -1: no recheck
	}{
		{"not ready within the start period", webPod(running("web", 5, false)), 12, 30},
		{"one second before", webPod(running("web", 5, false)), 29, 30},
		{"already unhealthy", webPod(running("web", 5, false)), 30, -1},
		{"ready", webPod(running("web", 5, true)), 12, -1},
		{"no health check", newPod(containers("web"), scheduled(1), statuses(running("web", 5, false))), 12, -1},
		{
			name: "startup probe not passed: its success is a pod update",
			pod: webPod(func() corev1.ContainerStatus { s := running("web", 5, false); s.Started = ptr.To(false); return s }(),
				func(p *corev1.Pod) { p.Spec.Containers[0].StartupProbe = &corev1.Probe{} }),
			now: 12, want: -1,
		},
		{
			name: "the earliest of two containers",
			pod: newPod(containers("web", "db"), scheduled(1), probe("web", 10), probe("db", 0),
				statuses(running("web", 5, false), running("db", 8, false))),
			now: 12, want: 23,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Derive(Input{Task: newTask(), Pod: tc.pod, Previous: prevAt(runningStatus), Now: at(tc.now)})
			if tc.want < 0 {
				if !d.RecheckAt.IsZero() {
					t.Errorf("RecheckAt = %s, want none", d.RecheckAt)
				}
				return
			}
			if want := at(tc.want).Time; !d.RecheckAt.Equal(want) {
				t.Errorf("RecheckAt = %s, want %s", d.RecheckAt, want)
			}
		})
	}
}
