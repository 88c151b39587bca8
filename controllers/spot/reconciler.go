package spot

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/events"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/controllers/index"
	"github.com/kube-ecs/kube-ecs/internal/capacity"
)

// +kubebuilder:rbac:groups="",resources=nodes,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch;delete
// +kubebuilder:rbac:groups="",resources=pods/status,verbs=patch

// Event reasons.
const (
	ReasonInterrupted = "SpotInterruption"
	ReasonReplaced    = "SpotCapacityReplaced"
	ReasonNotInPool   = "NotFargateSpot"
)

// Reconciler runs the Spot interruptions of the FARGATE_SPOT pool's nodes.
type Reconciler struct {
	client.Client
	Clock    clock.PassiveClock
	Recorder events.EventRecorder
	Pools    capacity.Pools
	// Warning is how long tasks have between the notice and the reclaim (DefaultWarning
	// when zero).
	Warning time.Duration
}

// SetupWithManager registers the controller. The shared indexes (controllers/index) must be
// set up first.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("spot").
		For(&corev1.Node{}, builder.WithPredicates(interruptionChanged)).
		Complete(r)
}

// interruptionChanged lets through the nodes that have or had a Spot interruption under way:
// a change of its annotations or taint.
var interruptionChanged = predicate.Funcs{
	CreateFunc:  func(e event.CreateEvent) bool { return interrupting(e.Object.(*corev1.Node)) },
	DeleteFunc:  func(event.DeleteEvent) bool { return false },
	GenericFunc: func(event.GenericEvent) bool { return false },
	UpdateFunc: func(e event.UpdateEvent) bool {
		o, n := e.ObjectOld.(*corev1.Node), e.ObjectNew.(*corev1.Node)
		return (interrupting(o) || interrupting(n)) && (state(o) != state(n))
	},
}

func interrupting(n *corev1.Node) bool {
	_, requested := n.Annotations[ecsv1alpha1.SpotInterruptionAnnotation]
	_, started := n.Annotations[ecsv1alpha1.SpotReclaimAtAnnotation]
	return requested || started || Tainted(n)
}

// state is what the controller reads of a node, to compare two versions.
func state(n *corev1.Node) string {
	req, hasReq := n.Annotations[ecsv1alpha1.SpotInterruptionAnnotation]
	return fmt.Sprintf("%t|%s|%s|%t|%s", hasReq, req, n.Annotations[ecsv1alpha1.SpotReclaimAtAnnotation], Tainted(n), labels.Set(n.Labels))
}

func (r *Reconciler) warning() time.Duration {
	if r.Warning > 0 {
		return r.Warning
	}
	return DefaultWarning
}

// Reconcile moves a node's Spot interruption one step on.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	node := &corev1.Node{}
	if err := r.Get(ctx, req.NamespacedName, node); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	pods := &corev1.PodList{}
	if err := r.List(ctx, pods, client.MatchingFields{index.PodNode: node.Name}); err != nil {
		return ctrl.Result{}, err
	}
	inPool := labels.SelectorFromSet(r.Pools.FargateSpot.NodeSelector).Matches(labels.Set(node.Labels))
	now := r.Clock.Now()
	step := Plan(node, pods.Items, inPool, r.warning(), now)
	logger := log.FromContext(ctx)

	if step.Ignored && !step.Finish {
		r.Recorder.Eventf(node, nil, corev1.EventTypeWarning, ReasonNotInPool, "InterruptSpot",
			"%s is set, but the node is not in the FARGATE_SPOT capacity pool: nothing interrupted", ecsv1alpha1.SpotInterruptionAnnotation)
		return ctrl.Result{}, nil
	}
	if step.Taint {
		if err := r.patchNode(ctx, node, func(n *corev1.Node) {
			n.Annotations[ecsv1alpha1.SpotReclaimAtAnnotation] = step.ReclaimAt.UTC().Format(time.RFC3339)
			if !Tainted(n) {
				n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: ecsv1alpha1.SpotInterruptionTaint, Effect: corev1.TaintEffectNoSchedule})
			}
		}); err != nil {
			return ctrl.Result{}, err
		}
		logger.Info("Spot capacity interrupted", "node", node.Name, "tasks", len(step.Notify), "reclaimAt", step.ReclaimAt)
		r.Recorder.Eventf(node, nil, corev1.EventTypeWarning, ReasonInterrupted, "InterruptSpot",
			"Spot capacity interrupted: %d tasks stop; the capacity is reclaimed at %s", len(step.Notify), step.ReclaimAt.UTC().Format(time.RFC3339))
	}
	for _, pod := range step.Notify {
		if err := r.notify(ctx, pod, now); err != nil {
			return ctrl.Result{}, err
		}
	}
	for _, pod := range step.Kill {
		if err := r.Delete(ctx, pod, client.GracePeriodSeconds(0), client.Preconditions{UID: &pod.UID}); client.IgnoreNotFound(err) != nil && !apierrors.IsConflict(err) {
			return ctrl.Result{}, fmt.Errorf("deleting %s on reclaimed Spot capacity: %w", klog.KObj(pod), err)
		}
	}
	if step.Finish {
		if err := r.patchNode(ctx, node, func(n *corev1.Node) {
			delete(n.Annotations, ecsv1alpha1.SpotInterruptionAnnotation)
			delete(n.Annotations, ecsv1alpha1.SpotReclaimAtAnnotation)
			n.Spec.Taints = slices.DeleteFunc(n.Spec.Taints, func(t corev1.Taint) bool { return t.Key == ecsv1alpha1.SpotInterruptionTaint })
		}); err != nil {
			return ctrl.Result{}, err
		}
		logger.Info("Spot capacity replaced", "node", node.Name, "killed", len(step.Kill))
		r.Recorder.Eventf(node, nil, corev1.EventTypeNormal, ReasonReplaced, "InterruptSpot",
			"Spot interruption over: the node takes tasks again")
	}
	return ctrl.Result{RequeueAfter: step.RequeueAfter}, nil
}

// patchNode applies change to the node with an optimistic lock (its taints are a list that a
// merge patch replaces whole).
func (r *Reconciler) patchNode(ctx context.Context, node *corev1.Node, change func(*corev1.Node)) error {
	orig := node.DeepCopy()
	if node.Annotations == nil {
		node.Annotations = map[string]string{}
	}
	change(node)
	if err := r.Patch(ctx, node, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("updating node %s: %w", node.Name, err)
	}
	return nil
}

// notify gives a task's pod the interruption notice; its controller stops the task.
func (r *Reconciler) notify(ctx context.Context, pod *corev1.Pod, now time.Time) error {
	orig := pod.DeepCopy()
	pod.Status.Conditions = append(slices.DeleteFunc(pod.Status.Conditions, func(c corev1.PodCondition) bool {
		return c.Type == corev1.DisruptionTarget
	}), Notice(now))
	if err := r.Status().Patch(ctx, pod, client.StrategicMergeFrom(orig)); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("notifying %s of the Spot interruption: %w", klog.KObj(pod), err)
	}
	r.Recorder.Eventf(pod, nil, corev1.EventTypeWarning, ReasonInterrupted, "InterruptSpot", "%s", Notice(now).Message)
	return nil
}
