package spot

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/lifecycle"
)

// DefaultWarning is Fargate Spot's interruption warning.
const DefaultWarning = 2 * time.Minute

// Step is what the controller does to an interrupted node now. It is computed by Plan, which
// reads nothing but its arguments.
type Step struct {
	// Ignored: the node is annotated but not in the FARGATE_SPOT capacity pool.
	Ignored bool
	// ReclaimAt is the end of the warning; Taint says the node must carry the
	// SpotInterruptionTaint and ReclaimAt until then (set when missing).
	ReclaimAt time.Time
	Taint     bool
	// Notify are the tasks' pods that get the interruption notice now.
	Notify []*corev1.Pod
	// Kill are the pods of interrupted tasks still on the node when the capacity is
	// reclaimed: they are deleted at once.
	Kill []*corev1.Pod
	// Finish: the interruption is over (capacity replaced, or cancelled): remove the taint
	// and both annotations.
	Finish bool
	// RequeueAfter is when to look again (zero: only a change of the node can change the
	// answer).
	RequeueAfter time.Duration
}

// Plan decides the next step of a node's Spot interruption: inPool says the node belongs to
// the FARGATE_SPOT capacity pool, pods are the pods bound to it.
func Plan(node *corev1.Node, pods []corev1.Pod, inPool bool, warning time.Duration, now time.Time) Step {
	_, requested := node.Annotations[ecsv1alpha1.SpotInterruptionAnnotation]
	reclaimAt, started := reclaimTime(node)
	underway := started || Tainted(node)
	switch {
	case !requested || !inPool:
		// Not asked for (or the pool changed under it): end what was started.
		return Step{Ignored: requested && !inPool, Finish: underway}
	case !started:
		// The annotation keeps whole seconds: round up, so the warning is never cut short.
		reclaimAt = now.Add(warning).Add(time.Second - 1).Truncate(time.Second)
	case !now.Before(reclaimAt):
		s := Step{Finish: true}
		for i := range pods {
			if spotTask(&pods[i]) && !finished(&pods[i]) {
				s.Kill = append(s.Kill, &pods[i])
			}
		}
		return s
	}
	s := Step{ReclaimAt: reclaimAt, Taint: !started || !Tainted(node), RequeueAfter: reclaimAt.Sub(now)}
	for i := range pods {
		if p := &pods[i]; spotTask(p) && !finished(p) && p.DeletionTimestamp == nil && !Notified(p) {
			s.Notify = append(s.Notify, p)
		}
	}
	return s
}

// reclaimTime is the node's ReclaimAt annotation; false when missing or unreadable (the
// warning then starts over).
func reclaimTime(node *corev1.Node) (time.Time, bool) {
	v, ok := node.Annotations[ecsv1alpha1.SpotReclaimAtAnnotation]
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, v)
	return t, err == nil
}

// Tainted says the node carries the SpotInterruptionTaint.
func Tainted(node *corev1.Node) bool {
	for _, t := range node.Spec.Taints {
		if t.Key == ecsv1alpha1.SpotInterruptionTaint {
			return true
		}
	}
	return false
}

// Notified says the pod has the interruption notice.
func Notified(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.DisruptionTarget && c.Status == corev1.ConditionTrue && c.Reason == ecsv1alpha1.SpotInterruptionDisruptionReason {
			return true
		}
	}
	return false
}

// spotTask says the pod is a task (of a Task or a Service) of the FARGATE_SPOT capacity
// provider.
func spotTask(pod *corev1.Pod) bool {
	return pod.Labels[ecsv1alpha1.CapacityProviderLabel] == ecsv1alpha1.CapacityProviderFargateSpot
}

func finished(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
}

// Notice is the condition that tells a task's controller to stop it.
func Notice(now time.Time) corev1.PodCondition {
	return corev1.PodCondition{
		Type:               corev1.DisruptionTarget,
		Status:             corev1.ConditionTrue,
		Reason:             ecsv1alpha1.SpotInterruptionDisruptionReason,
		Message:            lifecycle.ReasonSpotInterruption,
		LastTransitionTime: metav1.NewTime(now),
	}
}
