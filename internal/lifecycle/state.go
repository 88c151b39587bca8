package lifecycle

import (
	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// order is ECS's task lifecycle; lastStatus only moves forward along it.
var order = []ecsv1alpha1.TaskLifecycleStatus{
	ecsv1alpha1.TaskProvisioning,
	ecsv1alpha1.TaskPending,
	ecsv1alpha1.TaskActivating,
	ecsv1alpha1.TaskRunning,
	ecsv1alpha1.TaskDeactivating,
	ecsv1alpha1.TaskStopping,
	ecsv1alpha1.TaskDeprovisioning,
	ecsv1alpha1.TaskStopped,
}

// rank is s's position in order, -1 for an empty or unknown status.
func rank(s ecsv1alpha1.TaskLifecycleStatus) int {
	for i, o := range order {
		if o == s {
			return i
		}
	}
	return -1
}

// later keeps lastStatus monotonic: a pod that looks earlier than what was seen keeps it.
func later(prev, observed ecsv1alpha1.TaskLifecycleStatus) ecsv1alpha1.TaskLifecycleStatus {
	if rank(prev) > rank(observed) {
		return prev
	}
	return observed
}

// observedStatus is the lastStatus the pod shows now, before monotonicity. stopping says a
// stop cause is known; reachedRunning that the task was RUNNING once.
func observedStatus(v *podView, gone, stopping, reachedRunning bool) ecsv1alpha1.TaskLifecycleStatus {
	switch {
	case gone, v == nil && stopping:
		return ecsv1alpha1.TaskStopped
	case v == nil:
		return ecsv1alpha1.TaskProvisioning
	case v.finished():
		return ecsv1alpha1.TaskStopped
	case stopping || v.terminating():
		return stoppingStatus(v, reachedRunning)
	case !v.scheduled():
		return ecsv1alpha1.TaskPending
	case v.essentialRunning():
		return ecsv1alpha1.TaskRunning
	}
	return ecsv1alpha1.TaskActivating
}

// stoppingStatus: DEACTIVATING while a stop of a task that ran waits on the pod's delete,
// STOPPING while containers run in a deleted pod (or in a task that never ran),
// DEPROVISIONING once nothing runs but the pod has not finished or gone.
func stoppingStatus(v *podView, reachedRunning bool) ecsv1alpha1.TaskLifecycleStatus {
	switch {
	case !v.anyRunning():
		return ecsv1alpha1.TaskDeprovisioning
	case v.terminating() || !reachedRunning:
		return ecsv1alpha1.TaskStopping
	}
	return ecsv1alpha1.TaskDeactivating
}

// desiredStatus is STOPPED once a user asked for it or the task is stopping for any cause,
// as in ECS.
func desiredStatus(task *ecsv1alpha1.Task, stopping bool, last ecsv1alpha1.TaskLifecycleStatus) ecsv1alpha1.TaskLifecycleStatus {
	if stopping || userStopped(task) || rank(last) >= rank(ecsv1alpha1.TaskDeactivating) {
		return ecsv1alpha1.TaskStopped
	}
	return ecsv1alpha1.TaskRunning
}

func userStopped(task *ecsv1alpha1.Task) bool {
	return task != nil && task.Spec.DesiredStatus == ecsv1alpha1.DesiredTaskStopped
}
