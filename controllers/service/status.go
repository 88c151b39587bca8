package service

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/rollout"
)

// reconcileStatus counts the tasks of each deployment, completes and retires deployments,
// and sets the counts, the circuit breaker, the conditions and the event log.
func (r *Reconciler) reconcileStatus(ctx context.Context, s *scope, p *plan) error {
	svc, st := s.svc, &s.svc.Status
	desired, activeDesired, err := r.desiredByDeployment(ctx, s, p)
	if err != nil {
		return err
	}
	counts := map[string]taskCounts{}
	for id, n := range activeDesired {
		counts[id] = taskCounts{desired: n}
	}
	unplaceable := ""
	for _, t := range s.tasks {
		if t.terminating() {
			continue
		}
		c := counts[t.deploymentID]
		c.tasks++
		switch {
		case t.pending():
			c.pending++
		case t.running():
			c.running++
		}
		switch {
		case t.healthy:
			c.healthy++
		case t.ready:
			s.requeueAfter(readySince(t.pod).Add(minReady(t.pod)).Sub(s.now.Time))
		}
		if t.unplaceable != "" && unplaceable == "" {
			unplaceable = t.unplaceable
		}
		counts[t.deploymentID] = c
	}
	c := counts[p.primary.ID]
	c.desired = desired
	counts[p.primary.ID] = c

	deps, completed, retired := settle(st.Deployments, counts, !s.unsettled, s.now)
	if retired != nil {
		st.LastFailedDeployment = retired
	}
	for _, id := range completed {
		s.event(false, ecsv1alpha1.DeploymentCompletedReason, rollout.DeploymentCompleted(svc.Name, id))
	}
	st.Deployments = deps
	st.TaskDefinition = deps[0].TaskDefinition
	st.DesiredCount = desired
	st.RunningCount, st.PendingCount = 0, 0
	for _, d := range deps {
		st.RunningCount += d.RunningCount
		st.PendingCount += d.PendingCount
	}
	var cb *ecsv1alpha1.DeploymentCircuitBreaker
	if dc := svc.Spec.DeploymentConfiguration; dc != nil {
		cb = dc.DeploymentCircuitBreaker
	}
	st.DeploymentCircuitBreaker = breakerStatus(deps, st.LastFailedDeployment, p.specHash, cb, p.threshold)

	if unplaceable != "" {
		if s.tr.unplaceable != unplaceable {
			s.tr.unplaceable = unplaceable
			s.event(true, ecsv1alpha1.TasksUnplaceableReason, rollout.UnableToPlace(svc.Name, unplaceable))
		}
	} else {
		s.tr.unplaceable = ""
	}
	r.setConditions(s, p, counts[p.primary.ID], unplaceable)
	for _, e := range s.events {
		if !e.deploy {
			st.Events, _ = rollout.Record(st.Events, e.message, s.now)
		}
	}
	return nil
}

// desiredByDeployment is the PRIMARY deployment's desired count (desiredCount, or the
// number of container instances of a DAEMON service) and the ACTIVE deployments' (the
// replicas their ReplicaSets still want).
func (r *Reconciler) desiredByDeployment(ctx context.Context, s *scope, p *plan) (int32, map[string]int32, error) {
	active := map[string]int32{}
	if p.daemon {
		ds := &appsv1.DaemonSet{}
		err := r.Get(ctx, client.ObjectKey{Namespace: s.svc.Namespace, Name: p.parts[0].Name}, ds)
		if client.IgnoreNotFound(err) != nil {
			return 0, nil, fmt.Errorf("reading the DaemonSet of %s: %w", klog.KObj(s.svc), err)
		}
		for _, t := range s.tasks {
			if t.deploymentID != p.primary.ID && !t.terminating() {
				active[t.deploymentID]++
			}
		}
		return ds.Status.DesiredNumberScheduled, active, nil
	}
	rss := &appsv1.ReplicaSetList{}
	if err := r.List(ctx, rss, client.InNamespace(s.svc.Namespace), client.MatchingLabels{ecsv1alpha1.ServiceLabel: s.svc.Name}); err != nil {
		return 0, nil, fmt.Errorf("listing the ReplicaSets of %s: %w", klog.KObj(s.svc), err)
	}
	for _, rs := range rss.Items {
		id := rollout.DeploymentIDPrefix + rs.Spec.Template.Labels[ecsv1alpha1.DeploymentIDLabel]
		if id != p.primary.ID && rs.Spec.Replicas != nil {
			active[id] += *rs.Spec.Replicas
		}
	}
	return p.desired, active, nil
}

func readySince(pod *corev1.Pod) time.Time {
	if c := podCondition(pod, corev1.PodReady); c != nil && c.Status == corev1.ConditionTrue {
		return c.LastTransitionTime.Time
	}
	return time.Time{}
}

// setConditions sets Progressing, Available, SteadyState and Ready, and announces a steady
// state when the service reaches one.
func (r *Reconciler) setConditions(s *scope, p *plan, primary taskCounts, unplaceable string) {
	svc, st := s.svc, &s.svc.Status
	d := st.Deployments[0]
	switch d.RolloutState {
	case ecsv1alpha1.RolloutFailed:
		setCondition(svc, ecsv1alpha1.ProgressingCondition, metav1.ConditionFalse, ecsv1alpha1.DeploymentFailedReason, d.RolloutStateReason)
	case ecsv1alpha1.RolloutCompleted:
		setCondition(svc, ecsv1alpha1.ProgressingCondition, metav1.ConditionFalse, ecsv1alpha1.DeploymentCompletedReason, d.RolloutStateReason)
	default:
		reason := ecsv1alpha1.DeploymentInProgressReason
		if s.blocked {
			reason = ecsv1alpha1.DeploymentBlockedReason
		}
		setCondition(svc, ecsv1alpha1.ProgressingCondition, metav1.ConditionTrue, reason, d.RolloutStateReason)
	}
	healthy := int32(0)
	for _, t := range s.tasks {
		if t.ready && !t.terminating() {
			healthy++
		}
	}
	minHealthy := p.desired - rollout.ServiceBounds(p.desired, p.minPct, max(p.maxPct, 100)).MaxUnavailable
	if healthy >= minHealthy {
		setCondition(svc, ecsv1alpha1.AvailableCondition, metav1.ConditionTrue, ecsv1alpha1.ReconciledReason,
			fmt.Sprintf("%d healthy tasks, minimum %d", healthy, minHealthy))
	} else {
		setCondition(svc, ecsv1alpha1.AvailableCondition, metav1.ConditionFalse, ecsv1alpha1.PendingReason,
			fmt.Sprintf("%d healthy tasks, minimum %d", healthy, minHealthy))
	}
	// The services-stable waiter's condition: one deployment, running == desired.
	steady := len(st.Deployments) == 1 && d.Status == ecsv1alpha1.DeploymentPrimary && !s.unsettled &&
		st.RunningCount == st.DesiredCount && primary.healthy >= st.DesiredCount && st.PendingCount == 0 &&
		d.RolloutState != ecsv1alpha1.RolloutFailed
	was := meta.IsStatusConditionTrue(st.Conditions, ecsv1alpha1.SteadyStateCondition)
	switch {
	case steady:
		setCondition(svc, ecsv1alpha1.SteadyStateCondition, metav1.ConditionTrue, ecsv1alpha1.SteadyStateReason, rollout.SteadyState(svc.Name))
		if !was {
			s.event(false, ecsv1alpha1.SteadyStateReason, rollout.SteadyState(svc.Name))
		}
	case d.RolloutState == ecsv1alpha1.RolloutInProgress:
		setCondition(svc, ecsv1alpha1.SteadyStateCondition, metav1.ConditionFalse, ecsv1alpha1.DeploymentInProgressReason, d.RolloutStateReason)
	default:
		setCondition(svc, ecsv1alpha1.SteadyStateCondition, metav1.ConditionFalse, ecsv1alpha1.ScalingReason,
			fmt.Sprintf("%d running, %d pending, %d desired", st.RunningCount, st.PendingCount, st.DesiredCount))
	}
	switch {
	case unplaceable != "":
		setCondition(svc, ecsv1alpha1.ReadyCondition, metav1.ConditionFalse, ecsv1alpha1.TasksUnplaceableReason, rollout.UnableToPlace(svc.Name, unplaceable))
	case d.RolloutState == ecsv1alpha1.RolloutFailed:
		setCondition(svc, ecsv1alpha1.ReadyCondition, metav1.ConditionFalse, ecsv1alpha1.DeploymentFailedReason, d.RolloutStateReason)
	case steady:
		setCondition(svc, ecsv1alpha1.ReadyCondition, metav1.ConditionTrue, ecsv1alpha1.SteadyStateReason, rollout.SteadyState(svc.Name))
	default:
		setCondition(svc, ecsv1alpha1.ReadyCondition, metav1.ConditionFalse, ecsv1alpha1.DeploymentInProgressReason,
			fmt.Sprintf("%d of %d tasks running", st.RunningCount, st.DesiredCount))
	}
}
