package lifecycle

import (
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// podView is a task's pod read once: its containers in ECS terms, in the pod's order (init
// containers first).
type podView struct {
	pod        *corev1.Pod
	containers []containerView
}

// containerView is one container of the pod with its status and ECS attributes.
type containerView struct {
	spec      *corev1.Container
	status    *corev1.ContainerStatus // nil until the kubelet reports the container
	ecsName   string
	init      bool // a plain init container: a COMPLETE/SUCCESS dependency
	sidecar   bool // a native sidecar: a START/HEALTHY dependency
	essential bool
	health    ecsv1alpha1.HealthStatus
}

// newPodView returns nil for a nil pod. now dates the containers' health.
func newPodView(pod *corev1.Pod, now time.Time) *podView {
	if pod == nil {
		return nil
	}
	names := parseNames(pod.Annotations[ecsv1alpha1.ContainerNamesAnnotation])
	essential, listed := parseEssential(pod.Annotations)
	v := &podView{pod: pod}
	add := func(c *corev1.Container, statuses []corev1.ContainerStatus, isInit bool) {
		cv := containerView{spec: c, status: findStatus(statuses, c.Name), ecsName: c.Name}
		if n, ok := names[c.Name]; ok {
			cv.ecsName = n
		}
		cv.sidecar = isInit && c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
		cv.init = isInit && !cv.sidecar
		cv.essential = essential[c.Name] || (!listed && !isInit)
		cv.health = containerHealth(cv, now)
		v.containers = append(v.containers, cv)
	}
	for i := range pod.Spec.InitContainers {
		add(&pod.Spec.InitContainers[i], pod.Status.InitContainerStatuses, true)
	}
	for i := range pod.Spec.Containers {
		add(&pod.Spec.Containers[i], pod.Status.ContainerStatuses, false)
	}
	return v
}

// parseNames reads "<k8s>=<ecs>,..."; ECS names contain neither ',' nor '='.
func parseNames(s string) map[string]string {
	m := map[string]string{}
	for _, pair := range strings.Split(s, ",") {
		k8s, ecs, ok := strings.Cut(pair, "=")
		if k8s, ecs = strings.TrimSpace(k8s), strings.TrimSpace(ecs); ok && k8s != "" && ecs != "" {
			m[k8s] = ecs
		}
	}
	return m
}

// parseEssential reads the essential containers; listed is false without the annotation.
func parseEssential(annotations map[string]string) (set map[string]bool, listed bool) {
	s, listed := annotations[ecsv1alpha1.EssentialContainersAnnotation]
	set = map[string]bool{}
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n != "" {
			set[n] = true
		}
	}
	return set, listed
}

func findStatus(statuses []corev1.ContainerStatus, name string) *corev1.ContainerStatus {
	for i := range statuses {
		if statuses[i].Name == name {
			return &statuses[i]
		}
	}
	return nil
}

func (v *podView) condition(t corev1.PodConditionType) *corev1.PodCondition {
	for i := range v.pod.Status.Conditions {
		if c := &v.pod.Status.Conditions[i]; c.Type == t && c.Status == corev1.ConditionTrue {
			return c
		}
	}
	return nil
}

// conditionTime is when condition t turned True, zero if it is not True.
func (v *podView) conditionTime(t corev1.PodConditionType) time.Time {
	if c := v.condition(t); c != nil {
		return c.LastTransitionTime.Time
	}
	return time.Time{}
}

// scheduled: bound to a node (the binding sets PodScheduled; a pod created with a nodeName
// has it set by the kubelet).
func (v *podView) scheduled() bool {
	return v.pod.Spec.NodeName != "" || v.condition(corev1.PodScheduled) != nil
}

func (v *podView) terminating() bool { return v.pod.DeletionTimestamp != nil }

// finished: the pod reached a terminal phase; nothing in it runs again.
func (v *podView) finished() bool {
	return v.pod.Status.Phase == corev1.PodSucceeded || v.pod.Status.Phase == corev1.PodFailed
}

// stoppable: a delete would stop something (nil-safe).
func (v *podView) stoppable() bool { return v != nil && !v.terminating() && !v.finished() }

// deletionRequestedAt is when the pod's deletion was asked for (deletionTimestamp is that
// moment plus the grace period).
func (v *podView) deletionRequestedAt() time.Time {
	t := v.pod.DeletionTimestamp.Time
	if g := v.pod.DeletionGracePeriodSeconds; g != nil {
		t = t.Add(-time.Duration(*g) * time.Second)
	}
	return t
}

func (v *podView) anyRunning() bool {
	for _, c := range v.containers {
		if c.running() {
			return true
		}
	}
	return false
}

// essentialRunning: every essential container runs, and so does a regular container (a pod
// whose sidecars run but whose main containers have not started is still activating).
func (v *podView) essentialRunning() bool {
	return v.all(func(c containerView) bool { return !c.essential || c.running() }) &&
		v.some(func(c containerView) bool { return c.regular() && c.running() })
}

// essentialStarted: what essentialRunning says, at some point in the past.
func (v *podView) essentialStarted() bool {
	return v.all(func(c containerView) bool { return !c.essential || c.everStarted() }) &&
		v.some(func(c containerView) bool { return c.regular() && c.everStarted() })
}

// pullsDone: every container has started once or ended (its image was there).
func (v *podView) pullsDone() bool {
	return v.all(func(c containerView) bool { return c.everStarted() || c.lastTerminated() != nil })
}

// allExited: every container of the pod (init containers included) is terminated and none
// will run again (the pod's restartPolicy is Never), so the pod finishes by itself.
func (v *podView) allExited() bool {
	if v.pod.Spec.RestartPolicy != corev1.RestartPolicyNever {
		return false
	}
	return v.all(func(c containerView) bool { return c.status != nil && c.status.State.Terminated != nil })
}

func (v *podView) all(f func(containerView) bool) bool {
	for _, c := range v.containers {
		if !f(c) {
			return false
		}
	}
	return true
}

func (v *podView) some(f func(containerView) bool) bool {
	return !v.all(func(c containerView) bool { return !f(c) })
}

// latest is the latest non-zero time f returns over the containers f selects.
func (v *podView) latest(f func(containerView) time.Time) time.Time {
	var t time.Time
	for _, c := range v.containers {
		if ct := f(c); ct.After(t) {
			t = ct
		}
	}
	return t
}

func (c containerView) regular() bool { return !c.init && !c.sidecar }

func (c containerView) running() bool { return c.status != nil && c.status.State.Running != nil }

// lastTerminated is the container's current terminated state, or its previous one when a
// sidecar was restarted.
func (c containerView) lastTerminated() *corev1.ContainerStateTerminated {
	switch {
	case c.status == nil:
		return nil
	case c.status.State.Terminated != nil:
		return c.status.State.Terminated
	case c.status.State.Running == nil:
		return c.status.LastTerminationState.Terminated
	}
	return nil
}

// everStarted: the container's process ran at some point. A container that failed to start
// is terminated with a zero (or 1970) startedAt.
func (c containerView) everStarted() bool { return !c.startedAt().IsZero() }

// startedAt is when the container's current or last process started, zero if it never did.
func (c containerView) startedAt() time.Time {
	if c.status == nil {
		return time.Time{}
	}
	if r := c.status.State.Running; r != nil {
		return r.StartedAt.Time
	}
	for _, t := range []*corev1.ContainerStateTerminated{c.status.State.Terminated, c.status.LastTerminationState.Terminated} {
		if t != nil && t.StartedAt.Unix() > 0 && !cannotStart(t.Reason) {
			return t.StartedAt.Time
		}
	}
	return time.Time{}
}

// pullDoneAt approximates when the container's image was ready: its start, or its end when
// it never started.
func (c containerView) pullDoneAt() time.Time {
	if t := c.startedAt(); !t.IsZero() {
		return t
	}
	if t := c.lastTerminated(); t != nil {
		return t.FinishedAt.Time
	}
	return time.Time{}
}

// exit is the termination that makes an essential container count as exited: its terminated
// state, or for a sidecar any restart (ECS never restarts an essential container in place).
func (c containerView) exit() (t *corev1.ContainerStateTerminated, exited bool) {
	if c.status == nil {
		return nil, false
	}
	if t := c.status.State.Terminated; t != nil {
		return t, true
	}
	if t := c.status.LastTerminationState.Terminated; t != nil {
		return t, true
	}
	return nil, c.status.RestartCount > 0
}

// timeOrNow is t capped at now (node clocks drift), or now when t is zero.
func timeOrNow(t, now time.Time) *metav1.Time {
	if t.IsZero() || t.After(now) {
		t = now
	}
	return &metav1.Time{Time: t}
}
