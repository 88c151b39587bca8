package lifecycle

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// DefaultRetryTimeout is how long a retryable start failure (image pull back-off, a missing
// Secret or ConfigMap) may last, counted from pullStartedAt, before the task fails to start.
const DefaultRetryTimeout = 5 * time.Minute

// ConnectivityConnected is the task's connectivity once its pod has an IP address.
const ConnectivityConnected = "CONNECTED"

// Input is everything Derive looks at.
type Input struct {
	// Task supplies spec.desiredStatus, spec.stoppedReason and metadata.creationTimestamp.
	Task *ecsv1alpha1.Task
	// Pod is the task's pod; nil when it was not created yet or is gone.
	Pod *corev1.Pod
	// PodDeleted says a nil Pod existed once and is gone. A Previous lastStatus of PENDING or
	// later implies it.
	PodDeleted bool
	// Previous is the status Derive returned last time (normally task.Status).
	Previous ecsv1alpha1.TaskStatus
	// Now is the caller's clock.
	Now metav1.Time
	// RetryTimeout overrides DefaultRetryTimeout when positive.
	RetryTimeout time.Duration
}

// Decision is the task's new status and what the controller must do to its pod.
type Decision struct {
	// Status is Previous with the fields Derive owns recomputed: lastStatus, desiredStatus,
	// healthStatus, stopCode, stoppedReason, connectivity, containers, podName, version and
	// the lifecycle timestamps. Other fields are Previous's.
	Status ecsv1alpha1.TaskStatus
	// StopPod asks the controller to delete the pod now.
	StopPod bool
	// StopGracePeriod is the grace period of that delete (the pod's
	// terminationGracePeriodSeconds; nil leaves the default).
	StopGracePeriod *int64
	// RecheckAt is when the answer may change with nothing else changing (a dependency's
	// startTimeout or the retry timeout of a start failure running out, a failing health
	// check's start period ending): the controller derives again then. Zero: only a change
	// of the pod or the task can change it.
	RecheckAt time.Time
}

// Derive computes a task's observed state from its pod. It is pure: same input, same output.
func Derive(in Input) Decision {
	if in.Previous.LastStatus == ecsv1alpha1.TaskStopped {
		return stoppedDecision(in)
	}
	now := in.Now.Rfc3339Copy().Time
	v := newPodView(in.Pod, now)
	gone := in.Pod == nil && (in.PodDeleted || rank(in.Previous.LastStatus) >= rank(ecsv1alpha1.TaskPending))

	st := in.Previous.DeepCopy()
	observe(st, in, v, now)
	cause := findStopCause(stopInput{
		task: in.Task, prev: &in.Previous, v: v, gone: gone,
		reachedRunning: st.StartedAt != nil,
		retriesElapsed: retriesElapsed(st.PullStartedAt, in.RetryTimeout, now),
		now:            now,
	})
	setLifecycle(st, in, v, gone, cause, now)
	st.Version = in.Previous.Version
	if !equality.Semantic.DeepEqual(*st, in.Previous) {
		st.Version++
	}

	d := Decision{Status: *st}
	// A pod whose containers have all exited finishes by itself: deleting it would only lose
	// its logs (kubectl logs <task> keeps working for a STOPPED task).
	if cause != nil && v.stoppable() && !v.allExited() {
		d.StopPod, d.StopGracePeriod = true, gracePeriod(in.Pod)
	}
	if cause == nil && st.StartedAt == nil {
		d.RecheckAt = recheckAt(v, st.PullStartedAt, in.RetryTimeout)
	}
	if h := healthDecidedAt(v, now); cause == nil && !h.IsZero() && (d.RecheckAt.IsZero() || h.Before(d.RecheckAt)) {
		d.RecheckAt = h
	}
	return d
}

// observe records what the pod shows by itself: its timestamps, name, containers and address.
func observe(st *ecsv1alpha1.TaskStatus, in Input, v *podView, now time.Time) {
	setObservedTimes(st, in.Task, v, now)
	if v == nil {
		return
	}
	st.PodName = in.Pod.Name
	st.Containers = containerStatuses(v, in.Previous.Containers)
	if in.Pod.Status.PodIP != "" {
		st.Connectivity = ConnectivityConnected
	}
}

// setLifecycle records the stop cause and where the task is in its lifecycle.
func setLifecycle(st *ecsv1alpha1.TaskStatus, in Input, v *podView, gone bool, cause *stopCause, now time.Time) {
	if cause != nil {
		st.StopCode, st.StoppedReason = cause.code, cause.reason
	}
	observed := observedStatus(v, gone, cause != nil, st.StartedAt != nil)
	st.LastStatus = later(in.Previous.LastStatus, observed)
	st.DesiredStatus = desiredStatus(in.Task, cause != nil, st.LastStatus)
	setStopTimes(st, v, cause, now)
	st.HealthStatus = taskHealth(v)
	if st.LastStatus == ecsv1alpha1.TaskStopped {
		markContainersStopped(st.Containers)
		st.HealthStatus = ecsv1alpha1.HealthStatusUnknown
	}
}

// stoppedDecision keeps a STOPPED task as it is; a pod that still runs is deleted.
func stoppedDecision(in Input) Decision {
	d := Decision{Status: *in.Previous.DeepCopy()}
	if in.Pod != nil && newPodView(in.Pod, time.Time{}).stoppable() {
		d.StopPod, d.StopGracePeriod = true, gracePeriod(in.Pod)
	}
	return d
}

func gracePeriod(pod *corev1.Pod) *int64 {
	if pod.Spec.TerminationGracePeriodSeconds == nil {
		return nil
	}
	g := *pod.Spec.TerminationGracePeriodSeconds
	return &g
}

// recheckAt is the earliest of the pending start deadlines and, while a container waits on a
// retryable failure, the end of the retry timeout.
func recheckAt(v *podView, pullStartedAt *metav1.Time, timeout time.Duration) time.Time {
	next := nextStartDeadline(v)
	if pullStartedAt != nil && v != nil && v.retrying() {
		if timeout <= 0 {
			timeout = DefaultRetryTimeout
		}
		if end := pullStartedAt.Add(timeout); next.IsZero() || end.Before(next) {
			next = end
		}
	}
	return next
}

func retriesElapsed(since *metav1.Time, timeout time.Duration, now time.Time) bool {
	if timeout <= 0 {
		timeout = DefaultRetryTimeout
	}
	return since != nil && now.Sub(since.Time) > timeout
}
