package lifecycle

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// stoppedReason strings, in ECS's words where ECS has them.
const (
	ReasonEssentialContainerExited = "Essential container in task exited"
	ReasonUserStopped              = "Task stopped by user"
	ReasonPodDeleted               = "Task stopped: its pod was deleted"
	ReasonSpotInterruption         = "Your Spot Task was interrupted."

	prefixCannotPull   = "CannotPullContainerError: "
	prefixSecrets      = "ResourceInitializationError: unable to pull secrets or registry auth: "
	prefixResourceInit = "ResourceInitializationError: "
	prefixCannotStart  = "CannotStartContainerError: "
)

// Kubelet reasons Derive interprets (the kubelet does not export them to clients).
const (
	reasonErrImagePull           = "ErrImagePull"
	reasonImagePullBackOff       = "ImagePullBackOff"
	reasonImageInspectError      = "ImageInspectError"
	reasonRegistryUnavailable    = "RegistryUnavailable"
	reasonSignatureFailed        = "SignatureValidationFailed"
	reasonInvalidImageName       = "InvalidImageName"
	reasonErrImageNeverPull      = "ErrImageNeverPull"
	reasonCreateContainerConfig  = "CreateContainerConfigError"
	reasonCreateContainer        = "CreateContainerError"
	reasonRunContainer           = "RunContainerError"
	reasonPreStartHook           = "PreStartHookError"
	reasonStartError             = "StartError"
	reasonContainerCannotRun     = "ContainerCannotRun"
	reasonOOMKilled              = "OOMKilled"
	reasonEvicted                = "Evicted"
	reasonNodeShutdown           = "Terminated"
	reasonNodeLost               = "NodeLost"
	reasonDeletionByTaintManager = "DeletionByTaintManager"
	reasonDeletionByPodGC        = "DeletionByPodGC"
)

// stopCause is why a task stops and when the stop began (zero: not known, now).
type stopCause struct {
	code   ecsv1alpha1.TaskStopCode
	reason string
	at     time.Time
}

type stopInput struct {
	task           *ecsv1alpha1.Task
	prev           *ecsv1alpha1.TaskStatus
	v              *podView
	gone           bool
	reachedRunning bool
	retriesElapsed bool
	now            time.Time
}

// findStopCause returns the first cause that applies, nil while the task should run. A cause
// once recorded is kept.
func findStopCause(in stopInput) *stopCause {
	if in.prev.StopCode != "" {
		return &stopCause{code: in.prev.StopCode, reason: in.prev.StoppedReason}
	}
	exited, exitAt := essentialExit(in.v)
	if c := disruption(in.v, in.prev, exited, exitAt); c != nil {
		return c
	}
	if userStopped(in.task) {
		return userStop(in.task)
	}
	if !in.reachedRunning {
		if c := startFailure(in.v, in.retriesElapsed); c != nil {
			return c
		}
		if c := startTimedOut(in.v, in.now); c != nil {
			return c
		}
	}
	switch v := in.v; {
	case v == nil && in.gone:
		return podDeleted(nil)
	case v == nil:
		return nil
	case exited && (!v.terminating() || exitAt.Before(v.deletionRequestedAt())):
		return &stopCause{code: ecsv1alpha1.StopCodeEssentialContainerExited, reason: ReasonEssentialContainerExited, at: exitAt}
	case v.terminating():
		return podDeleted(v)
	case v.finished():
		return &stopCause{code: ecsv1alpha1.StopCodeEssentialContainerExited, reason: ReasonEssentialContainerExited}
	}
	return nil
}

// essentialExit reports whether an essential container exited, and the earliest such exit.
func essentialExit(v *podView) (exited bool, at time.Time) {
	if v == nil {
		return false, time.Time{}
	}
	for _, c := range v.containers {
		if !c.essential {
			continue
		}
		t, ok := c.exit()
		if !ok {
			continue
		}
		var finished time.Time
		if t != nil {
			finished = t.FinishedAt.Time
		}
		if !exited || finished.Before(at) {
			exited, at = true, finished
		}
	}
	return exited, at
}

func userStop(task *ecsv1alpha1.Task) *stopCause {
	reason := task.Spec.StoppedReason
	if reason == "" {
		reason = ReasonUserStopped
	}
	return &stopCause{code: ecsv1alpha1.StopCodeUserInitiated, reason: reason}
}

func podDeleted(v *podView) *stopCause {
	c := &stopCause{code: ecsv1alpha1.StopCodeUserInitiated, reason: ReasonPodDeleted}
	if v != nil {
		c.at = v.deletionRequestedAt()
	}
	return c
}

// disruption is the platform taking the pod away (eviction, preemption, node shutdown or
// loss), seen once the pod is being deleted or has failed. An essential container that
// exited before the disruption is the cause instead.
func disruption(v *podView, prev *ecsv1alpha1.TaskStatus, exited bool, exitAt time.Time) *stopCause {
	if v == nil {
		return nil
	}
	if c := spotInterruption(v); c != nil {
		if exited && exitAt.Before(c.at) {
			return nil
		}
		return c
	}
	if !(v.terminating() || v.finished()) {
		return nil
	}
	c := podLevelDisruption(v)
	if cond := v.condition(corev1.DisruptionTarget); cond != nil {
		c = conditionDisruption(cond)
	}
	if c == nil || (exited && !c.at.IsZero() && exitAt.Before(c.at)) {
		return nil
	}
	if v.pod.Labels[ecsv1alpha1.CapacityProviderLabel] == ecsv1alpha1.CapacityProviderFargateSpot ||
		prev.CapacityProviderName == ecsv1alpha1.CapacityProviderFargateSpot {
		c.code, c.reason = ecsv1alpha1.StopCodeSpotInterruption, ReasonSpotInterruption
	}
	return c
}

// spotInterruption is kube-ecs's Spot interruption notice (controllers/spot): a
// DisruptionTarget condition with reason SpotInterruption. Unlike other disruptions it stops
// the task at once, while the pod still runs: the task's controller sends SIGTERM (deletes
// the pod with its grace period, the task's stopTimeout) during the two-minute warning.
func spotInterruption(v *podView) *stopCause {
	cond := v.condition(corev1.DisruptionTarget)
	if cond == nil || cond.Reason != ecsv1alpha1.SpotInterruptionDisruptionReason {
		return nil
	}
	return &stopCause{code: ecsv1alpha1.StopCodeSpotInterruption, reason: ReasonSpotInterruption, at: cond.LastTransitionTime.Time}
}

func conditionDisruption(cond *corev1.PodCondition) *stopCause {
	c := &stopCause{code: ecsv1alpha1.StopCodeTerminationNotice, at: cond.LastTransitionTime.Time}
	switch cond.Reason {
	case corev1.PodReasonPreemptionByScheduler:
		c.reason = withDetail("Task stopped: pod preempted", cond.Message)
	case corev1.PodReasonTerminationByKubelet:
		c.reason = withDetail("Task stopped: pod terminated by its node", cond.Message)
	case reasonDeletionByTaintManager, reasonDeletionByPodGC:
		c.code, c.reason = ecsv1alpha1.StopCodeInfrastructureHealth, withDetail("Task stopped: node unhealthy", cond.Message)
	default: // EvictionByEvictionAPI (drain) and reasons to come
		c.reason = withDetail("Task stopped: pod evicted", cond.Message)
	}
	return c
}

func podLevelDisruption(v *podView) *stopCause {
	msg := v.pod.Status.Message
	switch v.pod.Status.Reason {
	case reasonEvicted:
		return &stopCause{code: ecsv1alpha1.StopCodeTerminationNotice, reason: withDetail("Task stopped: pod evicted", msg)}
	case reasonNodeShutdown:
		return &stopCause{code: ecsv1alpha1.StopCodeTerminationNotice, reason: withDetail("Task stopped: node shutdown", msg)}
	case reasonNodeLost:
		return &stopCause{code: ecsv1alpha1.StopCodeInfrastructureHealth, reason: withDetail("Task stopped: node lost", msg)}
	}
	return nil
}

// startFailure is why a task that never ran cannot start: a container's failure, or its pod
// finishing for another reason (the node rejecting it).
func startFailure(v *podView, retriesElapsed bool) *stopCause {
	if v == nil {
		return nil
	}
	for _, c := range v.containers {
		if r := containerStartFailure(c, retriesElapsed); r != "" {
			return &stopCause{code: ecsv1alpha1.StopCodeTaskFailedToStart, reason: r}
		}
	}
	if v.finished() {
		detail := withDetail(v.pod.Status.Reason, v.pod.Status.Message)
		if detail == "" {
			detail = "pod " + string(v.pod.Status.Phase)
		}
		return &stopCause{code: ecsv1alpha1.StopCodeTaskFailedToStart, reason: prefixResourceInit + detail}
	}
	return nil
}

// containerStartFailure is the ECS stoppedReason of a container that cannot start, "" while
// it may still start.
func containerStartFailure(c containerView, retriesElapsed bool) string {
	if c.status == nil {
		return ""
	}
	if w := c.status.State.Waiting; w != nil {
		if fatalNow(w.Reason) || (retryable(w.Reason) && retriesElapsed) {
			return waitingReason(w)
		}
		return ""
	}
	t := c.status.State.Terminated
	switch {
	case t == nil:
		return ""
	case cannotStart(t.Reason):
		return prefixCannotStart + detailOr(t.Message, t.Reason)
	case c.init && t.ExitCode != 0:
		return fmt.Sprintf("%sdependency %s exited with code %d", prefixCannotStart, c.ecsName, t.ExitCode)
	}
	return ""
}

func fatalNow(reason string) bool {
	switch reason {
	case reasonInvalidImageName, reasonErrImageNeverPull, reasonCreateContainer, reasonRunContainer, reasonPreStartHook:
		return true
	}
	return false
}

func retryable(reason string) bool {
	switch reason {
	case reasonErrImagePull, reasonImagePullBackOff, reasonImageInspectError, reasonRegistryUnavailable,
		reasonSignatureFailed, reasonCreateContainerConfig:
		return true
	}
	return false
}

func cannotStart(reason string) bool {
	return reason == reasonStartError || reason == reasonContainerCannotRun
}

// waitingReason is the ECS reason of a container waiting on an error, "" for a plain wait
// (ContainerCreating, PodInitializing).
func waitingReason(w *corev1.ContainerStateWaiting) string {
	msg := detailOr(w.Message, w.Reason)
	switch w.Reason {
	case reasonErrImagePull, reasonImagePullBackOff, reasonImageInspectError, reasonRegistryUnavailable,
		reasonSignatureFailed, reasonInvalidImageName, reasonErrImageNeverPull:
		return prefixCannotPull + msg
	case reasonCreateContainerConfig:
		return prefixSecrets + msg
	case reasonCreateContainer, reasonRunContainer, reasonPreStartHook:
		return prefixCannotStart + msg
	}
	return ""
}

// withDetail is "what: detail", or what alone without detail.
func withDetail(what, detail string) string {
	switch {
	case detail == "":
		return what
	case what == "":
		return detail
	}
	return what + ": " + detail
}

func detailOr(detail, fallback string) string {
	if detail != "" {
		return detail
	}
	return fallback
}
