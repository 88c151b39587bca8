package lifecycle

import (
	"time"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// Kubernetes's probe defaults, for probes whose fields are unset.
const (
	defaultProbePeriodSeconds    = 10
	defaultProbeFailureThreshold = 3
)

// hasHealthCheck: the ECS healthCheck of a container is its readiness probe (plain init
// containers cannot have one).
func (c containerView) hasHealthCheck() bool { return !c.init && c.spec.ReadinessProbe != nil }

// containerHealth is HEALTHY while the container is Ready, UNHEALTHY while it runs not Ready
// past its start period (initialDelaySeconds plus failureThreshold periods, the time a probe
// needs to fail as often as ECS's retries), UNKNOWN otherwise.
func containerHealth(c containerView, now time.Time) ecsv1alpha1.HealthStatus {
	if !c.hasHealthCheck() || !c.running() {
		return ecsv1alpha1.HealthStatusUnknown
	}
	s := c.status
	switch {
	case s.Ready:
		return ecsv1alpha1.HealthStatusHealthy
	case c.spec.StartupProbe != nil && (s.Started == nil || !*s.Started):
		return ecsv1alpha1.HealthStatusUnknown
	case now.Sub(s.State.Running.StartedAt.Time) < startPeriod(c):
		return ecsv1alpha1.HealthStatusUnknown
	}
	return ecsv1alpha1.HealthStatusUnhealthy
}

// healthDecidedAt is when a running, not Ready container with a health check leaves its
// start period and becomes UNHEALTHY with nothing else changing (no pod update says so);
// zero when no container's health waits on the clock.
func healthDecidedAt(v *podView, now time.Time) time.Time {
	var next time.Time
	if v == nil {
		return next
	}
	for _, c := range v.containers {
		if c.health != ecsv1alpha1.HealthStatusUnknown || !c.hasHealthCheck() || !c.running() || c.status.Ready {
			continue
		}
		if c.spec.StartupProbe != nil && (c.status.Started == nil || !*c.status.Started) {
			continue // the startup probe's success is a pod update
		}
		at := c.status.State.Running.StartedAt.Add(startPeriod(c))
		if at.After(now) && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	return next
}

func startPeriod(c containerView) time.Duration {
	p := c.spec.ReadinessProbe
	period, threshold := p.PeriodSeconds, p.FailureThreshold
	if period <= 0 {
		period = defaultProbePeriodSeconds
	}
	if threshold <= 0 {
		threshold = defaultProbeFailureThreshold
	}
	return time.Duration(p.InitialDelaySeconds+period*threshold) * time.Second
}

// taskHealth: UNHEALTHY if an essential container is, HEALTHY if every essential container
// with a health check is (and there is one), UNKNOWN otherwise.
func taskHealth(v *podView) ecsv1alpha1.HealthStatus {
	if v == nil {
		return ecsv1alpha1.HealthStatusUnknown
	}
	healthy, unknown := 0, false
	for _, c := range v.containers {
		if !c.essential || !c.hasHealthCheck() {
			continue
		}
		switch c.health {
		case ecsv1alpha1.HealthStatusUnhealthy:
			return ecsv1alpha1.HealthStatusUnhealthy
		case ecsv1alpha1.HealthStatusHealthy:
			healthy++
		default:
			unknown = true
		}
	}
	if healthy > 0 && !unknown {
		return ecsv1alpha1.HealthStatusHealthy
	}
	return ecsv1alpha1.HealthStatusUnknown
}
