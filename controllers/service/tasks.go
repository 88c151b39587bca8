package service

import (
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/lifecycle"
	"github.com/kube-ecs/kube-ecs/internal/rollout"
)

// ReasonHealthChecksFailed is the stoppedReason of a service task replaced because an
// essential container's health check failed.
const ReasonHealthChecksFailed = "Task failed container health checks"

// taskView is one of the service's tasks (a pod) as the ECS service scheduler sees it.
type taskView struct {
	pod          *corev1.Pod
	id           string // ECS task id: the pod's UID without dashes
	deploymentID string // ecs-svc/<digits>
	status       ecsv1alpha1.TaskLifecycleStatus
	ready        bool
	// healthy: ready for the pod's minReadySeconds (ECS counts it as healthy).
	healthy bool
	// stop is why the scheduler stops the task now; nil: it keeps running.
	stop *stopCause
	// unplaceable is the scheduler's reason when the pod cannot be placed.
	unplaceable string
	// drained: the task runs on a DRAINING container instance (or a cordoned node).
	drained bool
	// recheckAt is when the scheduler's view of the task may change with no pod update (a
	// health check's start period or the service's grace period ending); zero: never.
	recheckAt time.Time
}

// stopCause is why a service task is stopped, in ECS's words.
type stopCause struct {
	code   ecsv1alpha1.TaskStopCode
	reason string
	grace  *int64
	// startFailure: the task never reached RUNNING (what ECS's service throttle counts).
	startFailure bool
	// interrupted: the platform took the capacity away (a Spot interruption): the task did
	// not fail, so neither the circuit breaker nor the throttle counts it.
	interrupted bool
}

func (t taskView) pending() bool {
	switch t.status {
	case ecsv1alpha1.TaskProvisioning, ecsv1alpha1.TaskPending, ecsv1alpha1.TaskActivating:
		return true
	}
	return false
}

func (t taskView) running() bool { return t.status == ecsv1alpha1.TaskRunning }

func (t taskView) terminating() bool { return t.pod.DeletionTimestamp != nil }

// taskID is the ECS task id of a service's pod.
func taskID(pod *corev1.Pod) string { return strings.ReplaceAll(string(pod.UID), "-", "") }

// observeTask derives a service task's ECS state from its pod with the same pure lifecycle
// rules as standalone tasks, and decides whether the service scheduler stops it: an
// essential container exited (the pod restarts containers in place; ECS never does), the
// task failed to start, or an essential container's health check fails after the service's
// healthCheckGracePeriodSeconds.
func observeTask(pod *corev1.Pod, grace time.Duration, now time.Time) taskView {
	synthetic := &ecsv1alpha1.Task{
		ObjectMeta: metav1.ObjectMeta{CreationTimestamp: pod.CreationTimestamp, Name: pod.Name, Namespace: pod.Namespace},
		Spec:       ecsv1alpha1.TaskSpec{DesiredStatus: ecsv1alpha1.DesiredTaskRunning},
	}
	d := lifecycle.Derive(lifecycle.Input{Task: synthetic, Pod: pod, Now: metav1.NewTime(now)})
	v := taskView{
		pod:          pod,
		id:           taskID(pod),
		deploymentID: rollout.DeploymentIDPrefix + pod.Labels[ecsv1alpha1.DeploymentIDLabel],
		status:       d.Status.LastStatus,
		ready:        podReady(pod),
	}
	if since := readySince(pod); v.ready && !since.IsZero() && !now.Before(since.Add(minReady(pod))) {
		v.healthy = true
	}
	switch {
	case pod.DeletionTimestamp != nil:
	case d.StopPod:
		v.stop = &stopCause{code: d.Status.StopCode, reason: d.Status.StoppedReason, grace: d.StopGracePeriod, startFailure: d.Status.StartedAt == nil || ranBriefly(pod)}
		if d.Status.StopCode == ecsv1alpha1.StopCodeSpotInterruption {
			v.stop.startFailure, v.stop.interrupted = false, true
		}
	case d.Status.HealthStatus == ecsv1alpha1.HealthStatusUnhealthy && d.Status.StartedAt != nil && !now.Before(d.Status.StartedAt.Add(grace)):
		v.stop = &stopCause{code: ecsv1alpha1.StopCodeServiceSchedulerInitiated, reason: ReasonHealthChecksFailed, grace: pod.Spec.TerminationGracePeriodSeconds}
	case d.Status.HealthStatus == ecsv1alpha1.HealthStatusUnhealthy && d.Status.StartedAt != nil:
		v.recheckAt = d.Status.StartedAt.Add(grace)
	default:
		v.recheckAt = d.RecheckAt
	}
	if c := podCondition(pod, corev1.PodScheduled); c != nil && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
		v.unplaceable = c.Message
	}
	return v
}

func podCondition(pod *corev1.Pod, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == t {
			return &pod.Status.Conditions[i]
		}
	}
	return nil
}

func podReady(pod *corev1.Pod) bool {
	c := podCondition(pod, corev1.PodReady)
	return c != nil && c.Status == corev1.ConditionTrue && pod.DeletionTimestamp == nil
}

// minReady is how long a ready task waits before ECS counts it as healthy: at once when a
// readiness probe (a health check, a load balancer target) says so, else the 40-second rule.
func minReady(pod *corev1.Pod) time.Duration {
	for _, c := range pod.Spec.Containers {
		if c.ReadinessProbe != nil {
			return 0
		}
	}
	return fortySeconds
}

// fortySeconds is ECS's 40-second rule.
const fortySeconds = 40 * time.Second

// ranBriefly says a container of the pod exited less than 40 seconds after it started: the
// task failed before ECS could count it as healthy, which the service throttle counts as a
// task that failed to start.
func ranBriefly(pod *corev1.Pod) bool {
	for _, cs := range pod.Status.ContainerStatuses {
		for _, t := range []*corev1.ContainerStateTerminated{cs.State.Terminated, cs.LastTerminationState.Terminated} {
			if t != nil && (t.StartedAt.IsZero() || t.FinishedAt.Sub(t.StartedAt.Time) < fortySeconds) {
				return true
			}
		}
	}
	return false
}
