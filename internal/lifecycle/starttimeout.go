package lifecycle

import (
	"fmt"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// A dependency's startTimeout (ECS: "time to wait before giving up on resolving dependencies
// for a container") counts from the moment the pod is scheduled: a plain init container
// (COMPLETE/SUCCESS) must have exited 0 by then, a sidecar (START/HEALTHY) must have started
// (passed its startup probe). If not, its dependents give up and the task fails to start.

// deadline is the time a dependency must reach its condition by.
type deadline struct {
	name string // ECS name
	at   time.Time
}

// startDeadlines lists, in the pod's container order, the deadline of every dependency with
// a startTimeout that has not reached its condition yet.
func startDeadlines(v *podView) []deadline {
	if v == nil {
		return nil
	}
	timeouts := parseNames(v.pod.Annotations[ecsv1alpha1.StartTimeoutsAnnotation])
	since := v.conditionTime(corev1.PodScheduled)
	if len(timeouts) == 0 || since.IsZero() {
		return nil
	}
	var out []deadline
	for _, c := range v.containers {
		secs, err := strconv.Atoi(timeouts[c.spec.Name])
		if err != nil || c.regular() || conditionReached(c) {
			continue
		}
		out = append(out, deadline{name: c.ecsName, at: since.Add(time.Duration(secs) * time.Second)})
	}
	return out
}

// conditionReached says whether a dependency is where its dependents wait for it to be.
func conditionReached(c containerView) bool {
	if c.status == nil {
		return false
	}
	if c.init {
		t := c.status.State.Terminated
		return t != nil && t.ExitCode == 0
	}
	return c.status.Started != nil && *c.status.Started
}

// earliest is the first deadline to run out (the first in container order on a tie).
func earliest(ds []deadline) (deadline, bool) {
	if len(ds) == 0 {
		return deadline{}, false
	}
	first := ds[0]
	for _, d := range ds[1:] {
		if d.at.Before(first.at) {
			first = d
		}
	}
	return first, true
}

// startTimedOut is the stop cause of the first dependency past its startTimeout.
func startTimedOut(v *podView, now time.Time) *stopCause {
	d, ok := earliest(startDeadlines(v))
	if !ok || !now.After(d.at) {
		return nil
	}
	return &stopCause{
		code:   ecsv1alpha1.StopCodeTaskFailedToStart,
		reason: fmt.Sprintf("%sdependency %s did not reach the condition its dependents wait for within its startTimeout", prefixCannotStart, d.name),
		at:     d.at,
	}
}

// nextStartDeadline is the earliest pending startTimeout deadline, zero when there is none.
func nextStartDeadline(v *podView) time.Time {
	d, _ := earliest(startDeadlines(v))
	return d.at
}

// retrying says whether a container waits on a failure the kubelet retries (an image pull,
// a missing Secret), which becomes fatal once the retry timeout runs out.
func (v *podView) retrying() bool {
	for _, c := range v.containers {
		if c.status != nil && c.status.State.Waiting != nil && retryable(c.status.State.Waiting.Reason) {
			return true
		}
	}
	return false
}
