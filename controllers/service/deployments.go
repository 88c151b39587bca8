package service

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/rollout"
)

// want is what the service's spec asks to run now.
type want struct {
	hash           string
	taskDefinition string
	launchType     ecsv1alpha1.LaunchType
	strategy       []ecsv1alpha1.CapacityProviderStrategyItem
}

// planDeployments takes the spec into account: the PRIMARY deployment stays while it runs
// what the spec asks (same hash); a spec that a FAILED deployment ran is not deployed again
// (the service stays on its rollback, or stays FAILED, until the spec changes); anything
// else starts a new PRIMARY deployment and the old PRIMARY becomes ACTIVE. The list is
// PRIMARY first; it returns whether a deployment was created.
func planDeployments(prev []ecsv1alpha1.Deployment, lastFailed *ecsv1alpha1.Deployment, w want, now metav1.Time, newID string) ([]ecsv1alpha1.Deployment, bool) {
	out := slices.Clone(prev)
	if len(out) > 0 && out[0].Status == ecsv1alpha1.DeploymentPrimary {
		if out[0].SpecHash == w.hash || (lastFailed != nil && lastFailed.SpecHash == w.hash) {
			return out, false
		}
		for _, d := range out {
			if d.SpecHash == w.hash && d.RolloutState == ecsv1alpha1.RolloutFailed {
				return out, false
			}
		}
		out[0].Status = ecsv1alpha1.DeploymentActive
		out[0].UpdatedAt = &now
	}
	primary := ecsv1alpha1.Deployment{
		ID:                       newID,
		Status:                   ecsv1alpha1.DeploymentPrimary,
		TaskDefinition:           w.taskDefinition,
		CreatedAt:                &now,
		UpdatedAt:                &now,
		LaunchType:               w.launchType,
		CapacityProviderStrategy: w.strategy,
		RolloutState:             ecsv1alpha1.RolloutInProgress,
		RolloutStateReason:       rollout.InProgressReason(newID),
		SpecHash:                 w.hash,
	}
	return append([]ecsv1alpha1.Deployment{primary}, out...), true
}

// breakerResult is what tripping the circuit breaker did.
type breakerResult struct {
	failedID     string // the deployment that went FAILED ("" when the breaker did not trip)
	rolledBackTo string // the COMPLETED deployment that became PRIMARY again ("": none)
}

// tripBreaker fails the PRIMARY deployment once its failed tasks reach the threshold. With
// rollback, the most recent COMPLETED deployment becomes PRIMARY again and goes back to
// IN_PROGRESS (ECS reuses its id); without one, or without rollback, the FAILED deployment
// stays PRIMARY and the rollout stops.
func tripBreaker(deps []ecsv1alpha1.Deployment, cb *ecsv1alpha1.DeploymentCircuitBreaker, threshold int32, now metav1.Time) ([]ecsv1alpha1.Deployment, breakerResult) {
	if cb == nil || !cb.Enable || len(deps) == 0 {
		return deps, breakerResult{}
	}
	p := deps[0]
	if p.Status != ecsv1alpha1.DeploymentPrimary || p.RolloutState != ecsv1alpha1.RolloutInProgress || p.FailedTasks < threshold {
		return deps, breakerResult{}
	}
	out := slices.Clone(deps)
	out[0].RolloutState, out[0].RolloutStateReason, out[0].UpdatedAt = ecsv1alpha1.RolloutFailed, rollout.FailedReason, &now
	res := breakerResult{failedID: p.ID}
	if !cb.Rollback {
		return out, res
	}
	for i := 1; i < len(out); i++ {
		if out[i].RolloutState != ecsv1alpha1.RolloutCompleted || out[i].Status == ecsv1alpha1.DeploymentInactive {
			continue
		}
		back := out[i]
		back.Status, back.RolloutState = ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress
		back.RolloutStateReason, back.UpdatedAt, back.FailedTasks = rollout.RollbackReason(back.ID), &now, 0
		failed := out[0]
		failed.Status = ecsv1alpha1.DeploymentActive
		rest := append(slices.Clone(out[1:i]), out[i+1:]...)
		res.rolledBackTo = back.ID
		return append([]ecsv1alpha1.Deployment{back, failed}, rest...), res
	}
	return out, res
}

// taskCounts are one deployment's tasks.
type taskCounts struct {
	desired, pending, running, healthy, tasks int32
}

// settle records each deployment's counts, completes the PRIMARY deployment when it runs
// desiredCount healthy tasks and no other deployment has tasks left, and retires ACTIVE
// deployments without tasks: they become INACTIVE and leave the list. It returns the ids
// of the deployments it completed and the newest FAILED deployment it retired (nil: none),
// which the service remembers so that its spec is not deployed again.
//
// settled says the workloads have carried out their spec (their controllers observed it and
// every pod is updated and available): a deployment does not complete before.
func settle(deps []ecsv1alpha1.Deployment, counts map[string]taskCounts, settled bool, now metav1.Time) ([]ecsv1alpha1.Deployment, []string, *ecsv1alpha1.Deployment) {
	var retired *ecsv1alpha1.Deployment
	var out []ecsv1alpha1.Deployment
	var completed []string
	others := int32(0)
	for _, d := range deps[min(1, len(deps)):] {
		others += counts[d.ID].tasks
	}
	for i, d := range deps {
		c := counts[d.ID]
		changed := d.DesiredCount != c.desired || d.PendingCount != c.pending || d.RunningCount != c.running
		d.DesiredCount, d.PendingCount, d.RunningCount = c.desired, c.pending, c.running
		if i == 0 && d.Status == ecsv1alpha1.DeploymentPrimary {
			if d.RolloutState == ecsv1alpha1.RolloutInProgress && others == 0 && settled &&
				c.running == c.desired && c.healthy >= c.desired && c.tasks == c.desired {
				d.RolloutState, d.RolloutStateReason = ecsv1alpha1.RolloutCompleted, rollout.CompletedReason(d.ID)
				completed = append(completed, d.ID)
				changed = true
			}
			if changed {
				d.UpdatedAt = &now
			}
			out = append(out, d)
			continue
		}
		if c.tasks > 0 {
			if d.Status != ecsv1alpha1.DeploymentActive {
				d.Status, changed = ecsv1alpha1.DeploymentActive, true
			}
			if changed {
				d.UpdatedAt = &now
			}
			out = append(out, d)
			continue
		}
		if d.RolloutState == ecsv1alpha1.RolloutFailed && retired == nil {
			d.Status, d.UpdatedAt = ecsv1alpha1.DeploymentInactive, &now
			retired = &d
		}
	}
	return out, completed, retired
}

// breakerStatus is the PRIMARY deployment's circuit breaker as ECS reports it: TRIGGERED
// while a FAILED deployment is the PRIMARY or is being rolled back from, and, once the
// FAILED deployment left the list, for as long as the spec (specHash) still asks for what
// it ran: ECS's service deployment stays TRIGGERED until a new deployment starts.
func breakerStatus(deps []ecsv1alpha1.Deployment, lastFailed *ecsv1alpha1.Deployment, specHash string, cb *ecsv1alpha1.DeploymentCircuitBreaker, threshold int32) *ecsv1alpha1.ServiceCircuitBreakerStatus {
	st := &ecsv1alpha1.ServiceCircuitBreakerStatus{Status: ecsv1alpha1.CircuitBreakerDisabled, Threshold: threshold}
	if cb == nil || !cb.Enable || len(deps) == 0 {
		return st
	}
	p := deps[0]
	st.FailureCount = p.FailedTasks
	for _, d := range deps {
		if d.RolloutState == ecsv1alpha1.RolloutFailed {
			st.Status, st.FailureCount = ecsv1alpha1.CircuitBreakerTriggered, d.FailedTasks
			return st
		}
	}
	if lastFailed != nil && specHash != "" && lastFailed.SpecHash == specHash && p.SpecHash != specHash {
		st.Status, st.FailureCount = ecsv1alpha1.CircuitBreakerTriggered, lastFailed.FailedTasks
		return st
	}
	if p.RolloutState == ecsv1alpha1.RolloutCompleted {
		st.Status = ecsv1alpha1.CircuitBreakerMonitoringComplete
	} else {
		st.Status = ecsv1alpha1.CircuitBreakerMonitoring
	}
	return st
}
