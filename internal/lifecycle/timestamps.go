package lifecycle

import (
	"time"

	corev1 "k8s.io/api/core/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// setObservedTimes sets the timestamps the pod dates, each once: createdAt, pullStartedAt,
// connectivityAt, pullStoppedAt and startedAt.
func setObservedTimes(st *ecsv1alpha1.TaskStatus, task *ecsv1alpha1.Task, v *podView, now time.Time) {
	if st.CreatedAt == nil {
		var created time.Time
		if task != nil {
			created = task.CreationTimestamp.Time
		}
		st.CreatedAt = timeOrNow(created, now)
	}
	if v == nil {
		return
	}
	sandbox := v.conditionTime(corev1.PodReadyToStartContainers)
	if st.PullStartedAt == nil && v.scheduled() {
		st.PullStartedAt = timeOrNow(firstNonZero(sandbox, v.conditionTime(corev1.PodScheduled)), now)
	}
	if st.ConnectivityAt == nil && v.pod.Status.PodIP != "" {
		st.ConnectivityAt = timeOrNow(sandbox, now)
	}
	if st.PullStoppedAt == nil && v.scheduled() && v.pullsDone() {
		st.PullStoppedAt = timeOrNow(v.latest(containerView.pullDoneAt), now)
	}
	if st.StartedAt == nil && v.essentialStarted() {
		st.StartedAt = timeOrNow(v.latest(essentialStartedAt), now)
	}
}

func essentialStartedAt(c containerView) time.Time {
	if !c.essential {
		return time.Time{}
	}
	return c.startedAt()
}

// setStopTimes sets stoppingAt, executionStoppedAt and stoppedAt, each once, when lastStatus
// reaches DEACTIVATING, DEPROVISIONING and STOPPED. They are kept in that order.
func setStopTimes(st *ecsv1alpha1.TaskStatus, v *podView, cause *stopCause, now time.Time) {
	r := rank(st.LastStatus)
	if st.StoppingAt == nil && r >= rank(ecsv1alpha1.TaskDeactivating) {
		var began time.Time
		if cause != nil {
			began = cause.at
		}
		st.StoppingAt = timeOrNow(began, now)
	}
	if st.ExecutionStoppedAt == nil && r >= rank(ecsv1alpha1.TaskDeprovisioning) {
		var last time.Time
		if v != nil {
			last = v.latest(finishedAt)
		}
		if last.Before(st.StoppingAt.Time) {
			last = st.StoppingAt.Time
		}
		st.ExecutionStoppedAt = timeOrNow(last, now)
	}
	if st.StoppedAt == nil && r >= rank(ecsv1alpha1.TaskStopped) {
		st.StoppedAt = timeOrNow(now, now)
	}
}

func finishedAt(c containerView) time.Time {
	if t := c.lastTerminated(); t != nil {
		return t.FinishedAt.Time
	}
	return time.Time{}
}

func firstNonZero(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}
