package taskdef

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// ECS health check defaults, in seconds and tries.
const (
	defaultInterval    = 30
	defaultTimeout     = 5
	defaultRetries     = 3
	defaultStartPeriod = 0
)

// healthCheckExec is the command of an ECS health check: CMD runs the rest as it is,
// CMD-SHELL runs the rest (joined by spaces) with /bin/sh -c. It is nil for NONE.
func healthCheckExec(hc *ecsv1alpha1.HealthCheck) *corev1.ExecAction {
	if hc == nil || len(hc.Command) < 2 {
		return nil
	}
	switch hc.Command[0] {
	case "CMD":
		return &corev1.ExecAction{Command: append([]string(nil), hc.Command[1:]...)}
	case "CMD-SHELL":
		return &corev1.ExecAction{Command: []string{"/bin/sh", "-c", strings.Join(hc.Command[1:], " ")}}
	}
	return nil
}

// readinessProbe runs the ECS health check the way ECS does: every interval, failing after
// timeout, UNHEALTHY after retries failures, not before startPeriod. It is a readiness probe,
// never a liveness probe: ECS does not restart an unhealthy container, a service replaces
// the task.
func readinessProbe(hc *ecsv1alpha1.HealthCheck) *corev1.Probe {
	exec := healthCheckExec(hc)
	if exec == nil {
		return nil
	}
	return &corev1.Probe{
		ProbeHandler:        corev1.ProbeHandler{Exec: exec},
		InitialDelaySeconds: ptr.Deref(hc.StartPeriod, defaultStartPeriod),
		PeriodSeconds:       ptr.Deref(hc.Interval, defaultInterval),
		TimeoutSeconds:      ptr.Deref(hc.Timeout, defaultTimeout),
		FailureThreshold:    ptr.Deref(hc.Retries, defaultRetries),
		SuccessThreshold:    1,
	}
}

// startupProbe gates the containers after a sidecar until its health check passes, for a
// HEALTHY dependency: it allows the start period plus the retries before it gives up.
func startupProbe(hc *ecsv1alpha1.HealthCheck) *corev1.Probe {
	exec := healthCheckExec(hc)
	if exec == nil {
		return nil
	}
	interval := ptr.Deref(hc.Interval, defaultInterval)
	startPeriod := ptr.Deref(hc.StartPeriod, defaultStartPeriod)
	return &corev1.Probe{
		ProbeHandler:     corev1.ProbeHandler{Exec: exec},
		PeriodSeconds:    interval,
		TimeoutSeconds:   ptr.Deref(hc.Timeout, defaultTimeout),
		FailureThreshold: (startPeriod+interval-1)/interval + ptr.Deref(hc.Retries, defaultRetries),
		SuccessThreshold: 1,
	}
}

// setProbes gives the container the probes its role allows: regular containers and
// sidecars get the readiness probe, HEALTHY sidecars the startup probe too; plain init
// containers can have no probe at all.
func (b *builder) setProbes(i int, c *corev1.Container, plan depPlan) {
	hc := b.defs[i].HealthCheck
	switch plan.roles[i] {
	case roleInit:
		if healthCheckExec(hc) != nil {
			b.note(cpath(i, "healthCheck"), "the container runs to completion before its dependents start (an init container), and Kubernetes runs no health check on init containers; ignored")
		}
	case roleSidecar:
		c.ReadinessProbe = readinessProbe(hc)
		if plan.healthy[i] {
			c.StartupProbe = startupProbe(hc)
			if c.StartupProbe == nil {
				b.note(cpath(i, "healthCheck"), "a container depends on it with condition HEALTHY but it has no health check to run; its dependents start once it has started")
			}
		}
	default:
		c.ReadinessProbe = readinessProbe(hc)
	}
}
