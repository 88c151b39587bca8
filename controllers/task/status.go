package task

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/controllers/task/resources"
)

func setCondition(task *ecsv1alpha1.Task, t string, s metav1.ConditionStatus, reason, msg string) {
	meta.SetStatusCondition(&task.Status.Conditions, metav1.Condition{
		Type: t, Status: s, Reason: reason, Message: msg, ObservedGeneration: task.Generation,
	})
}

// setConditions derives Ready, Placed and ContainersHealthy from the task's ECS state.
func (r *Reconciler) setConditions(task *ecsv1alpha1.Task, pod *corev1.Pod) {
	st := task.Status
	switch st.LastStatus {
	case ecsv1alpha1.TaskRunning:
		setCondition(task, ecsv1alpha1.ReadyCondition, metav1.ConditionTrue, ecsv1alpha1.RunningReason, "the task is RUNNING")
	case ecsv1alpha1.TaskStopped, ecsv1alpha1.TaskDeactivating, ecsv1alpha1.TaskStopping, ecsv1alpha1.TaskDeprovisioning:
		setCondition(task, ecsv1alpha1.ReadyCondition, metav1.ConditionFalse, ecsv1alpha1.TaskStoppedReason,
			fmt.Sprintf("%s: %s", st.StopCode, st.StoppedReason))
	default:
		setCondition(task, ecsv1alpha1.ReadyCondition, metav1.ConditionFalse, ecsv1alpha1.PendingReason, "the task is "+string(st.LastStatus))
	}
	if pod != nil {
		placed := metav1.ConditionFalse
		reason, msg := ecsv1alpha1.PendingReason, "the task's pod waits to be scheduled"
		for _, c := range pod.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionTrue {
				placed, reason, msg = metav1.ConditionTrue, ecsv1alpha1.ScheduledReason, "placed"
			} else if c.Type == corev1.PodScheduled && c.Reason == corev1.PodReasonUnschedulable {
				reason, msg = ecsv1alpha1.PlacementFailedReason, c.Message
			}
		}
		if task.Status.LaunchType != ecsv1alpha1.LaunchTypeFargate && placed == metav1.ConditionTrue && pod.Spec.NodeName != "" {
			msg = "placed on " + pod.Spec.NodeName
		}
		setCondition(task, ecsv1alpha1.PlacedCondition, placed, reason, msg)
	}
	switch st.HealthStatus {
	case ecsv1alpha1.HealthStatusHealthy:
		setCondition(task, ecsv1alpha1.ContainersHealthyCondition, metav1.ConditionTrue, ecsv1alpha1.HealthyReason, "every essential container's health check passes")
	case ecsv1alpha1.HealthStatusUnhealthy:
		setCondition(task, ecsv1alpha1.ContainersHealthyCondition, metav1.ConditionFalse, ecsv1alpha1.HealthCheckFailingReason, "an essential container's health check fails: "+unhealthy(st.Containers))
	default:
		setCondition(task, ecsv1alpha1.ContainersHealthyCondition, metav1.ConditionUnknown, ecsv1alpha1.HealthUnknownReason, "no health status reported")
	}
}

func unhealthy(cs []ecsv1alpha1.Container) string {
	var names []string
	for _, c := range cs {
		if c.HealthStatus == ecsv1alpha1.HealthStatusUnhealthy {
			names = append(names, c.Name)
		}
	}
	return strings.Join(names, ", ")
}

func eventType(task *ecsv1alpha1.Task) string {
	switch task.Status.StopCode {
	case "", ecsv1alpha1.StopCodeUserInitiated:
		return corev1.EventTypeNormal
	}
	return corev1.EventTypeWarning
}

// transitionMessage reads like the task state changes ECS sends to EventBridge.
// eventWorthy: a task records an Event when it stops, with its stop code and reason (ECS's
// "Task stopped" event). The states on the way are in its status, which kubectl get shows:
// an Event for each would add half again to the API writes of a task's life.
func eventWorthy(s ecsv1alpha1.TaskLifecycleStatus) bool {
	return s == ecsv1alpha1.TaskStopped
}

func transitionMessage(task *ecsv1alpha1.Task) string {
	msg := fmt.Sprintf("(task %s) is %s", resources.TaskID(task), task.Status.LastStatus)
	if task.Status.LastStatus == ecsv1alpha1.TaskStopped && task.Status.StopCode != "" {
		msg += fmt.Sprintf(": %s: %s", task.Status.StopCode, task.Status.StoppedReason)
	}
	return msg
}

// clusterNameFromRef accepts a cluster name or a cluster ARN.
func clusterNameFromRef(ref string) string {
	if i := strings.LastIndex(ref, ":cluster/"); i >= 0 && strings.HasPrefix(ref, "arn:") {
		return ref[i+len(":cluster/"):]
	}
	return ref
}
