package service

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/rollout"
)

// eventChunk is how many task ids one "has started/stopped" event lists.
const eventChunk = 10

// observe reads the service's tasks and announces the ones that started or stopped since
// the last pass.
func (r *Reconciler) observe(ctx context.Context, s *scope) error {
	pods := &corev1.PodList{}
	if err := r.List(ctx, pods, client.InNamespace(s.svc.Namespace), client.MatchingLabels{ecsv1alpha1.ServiceLabel: s.svc.Name}); err != nil {
		return fmt.Errorf("listing the tasks of %s: %w", klog.KObj(s.svc), err)
	}
	grace := time.Duration(0)
	if g := s.svc.Spec.HealthCheckGracePeriodSeconds; g != nil {
		grace = time.Duration(*g) * time.Second
	}
	s.tasks = s.tasks[:0]
	present := map[types.UID]bool{}
	drainingNodes := map[string]bool{}
	var started, stopped, registered, deregistered []string
	balanced := len(s.svc.Spec.LoadBalancers) > 0
	for i := range pods.Items {
		pod := &pods.Items[i]
		if pod.Labels[ecsv1alpha1.WorkloadLabel] == "" {
			continue
		}
		t := observeTask(pod, grace, s.now.Time)
		if !t.recheckAt.IsZero() {
			s.requeueAfter(max(t.recheckAt.Sub(s.now.Time), time.Second))
		}
		if pod.Spec.NodeName != "" && !t.terminating() {
			drained, err := r.draining(ctx, pod.Namespace, pod.Spec.NodeName, drainingNodes)
			if err != nil {
				return err
			}
			t.drained = drained
		}
		s.tasks = append(s.tasks, t)
		present[pod.UID] = true
		switch {
		case !balanced || !s.tr.primed:
			s.tr.registered[pod.UID] = balanced && t.ready
		case t.ready && !s.tr.registered[pod.UID]:
			s.tr.registered[pod.UID] = true
			registered = append(registered, t.id)
		case t.terminating() && s.tr.registered[pod.UID]:
			s.tr.registered[pod.UID] = false
			deregistered = append(deregistered, t.id)
		}
		switch {
		case !s.tr.primed:
			s.tr.started[pod.UID] = true
			s.tr.stopped[pod.UID] = t.terminating()
		case !t.terminating() && !s.tr.started[pod.UID]:
			s.tr.started[pod.UID] = true
			started = append(started, t.id)
		case t.terminating() && !s.tr.stopped[pod.UID]:
			s.tr.started[pod.UID], s.tr.stopped[pod.UID] = true, true
			stopped = append(stopped, t.id)
		}
	}
	for uid := range s.tr.started {
		if present[uid] {
			continue
		}
		if !s.tr.stopped[uid] {
			stopped = append(stopped, idOf(uid))
		}
		if s.tr.registered[uid] {
			deregistered = append(deregistered, idOf(uid))
		}
		delete(s.tr.started, uid)
		delete(s.tr.stopped, uid)
		delete(s.tr.registered, uid)
	}
	s.tr.primed = true
	slices.Sort(started)
	slices.Sort(stopped)
	for ids := range slices.Chunk(started, eventChunk) {
		s.event(false, "TasksStarted", rollout.StartedTasks(s.svc.Name, ids))
	}
	for ids := range slices.Chunk(stopped, eventChunk) {
		s.event(false, "TasksStopped", rollout.StoppedTasks(s.svc.Name, ids))
	}
	if balanced {
		target := targetName(s.svc)
		if len(registered) > 0 {
			s.event(false, "TargetsRegistered", rollout.RegisteredTargets(s.svc.Name, len(registered), target))
		}
		if len(deregistered) > 0 {
			s.event(false, "TargetsDraining", rollout.BeganDraining(s.svc.Name, len(deregistered)))
			s.event(false, "TargetsDeregistered", rollout.DeregisteredTargets(s.svc.Name, len(deregistered), target))
		}
	}
	return nil
}

func idOf(uid types.UID) string { return strings.ReplaceAll(string(uid), "-", "") }

// reconcileFailedTasks stops the tasks ECS would stop (an essential container exited, the
// task failed to start, a health check failed after the grace period, a Spot interruption)
// and counts the failures among them (all but interruptions) as failed tasks of their
// deployment. A task that failed to start after others did waits for the service throttle
// before it is replaced.
func (r *Reconciler) reconcileFailedTasks(ctx context.Context, s *scope) error {
	deps := s.svc.Status.Deployments
	for i := range deps {
		deps[i].FailedTasks += s.tr.failures[deps[i].ID]
	}
	index := map[string]int{}
	for i, d := range deps {
		index[d.ID] = i
	}
	for _, t := range s.tasks {
		if t.stop == nil {
			continue
		}
		i, counted := index[t.deploymentID]
		counted = counted && !t.stop.interrupted
		if counted && t.stop.startFailure {
			if delay := rollout.ThrottleDelay(deps[i].FailedTasks); delay > 0 {
				if wait := t.pod.CreationTimestamp.Add(delay).Sub(s.now.Time); wait > 0 {
					s.requeueAfter(wait)
					if !s.tr.throttled[t.deploymentID] {
						s.tr.throttled[t.deploymentID] = true
						s.event(true, ecsv1alpha1.TasksThrottledReason, rollout.UnableToConsistentlyStart(s.svc.Name))
					}
					continue
				}
			}
		}
		opts := []client.DeleteOption{client.Preconditions{UID: &t.pod.UID}}
		if t.stop.grace != nil {
			opts = append(opts, client.GracePeriodSeconds(*t.stop.grace))
		}
		if err := r.Delete(ctx, t.pod, opts...); err != nil {
			if client.IgnoreNotFound(err) == nil {
				continue
			}
			return fmt.Errorf("stopping task %s of %s: %w", t.id, klog.KObj(s.svc), err)
		}
		log.FromContext(ctx).Info("Stopped task", "pod", klog.KObj(t.pod), "stopCode", t.stop.code, "reason", t.stop.reason)
		r.Recorder.Eventf(s.svc, t.pod, corev1.EventTypeWarning, string(t.stop.code), "StopTask",
			"(service %s) stopped task %s: %s: %s", s.svc.Name, t.id, t.stop.code, t.stop.reason)
		if counted {
			s.tr.failures[t.deploymentID]++
			deps[i].FailedTasks++
		}
	}
	if resetOnHealthy(s.svc) {
		for i := range deps {
			for _, t := range s.tasks {
				if t.deploymentID == deps[i].ID && t.healthy {
					deps[i].FailedTasks = 0
					break
				}
			}
		}
	}
	return nil
}

func resetOnHealthy(svc *ecsv1alpha1.Service) bool {
	dc := svc.Spec.DeploymentConfiguration
	if dc == nil || dc.DeploymentCircuitBreaker == nil || dc.DeploymentCircuitBreaker.ResetOnHealthyTask == nil {
		return true
	}
	return *dc.DeploymentCircuitBreaker.ResetOnHealthyTask
}

// targetName names the service's target group in events: the first load balancer's
// targetGroupArn as written, else the Kubernetes Service that plays it.
func targetName(svc *ecsv1alpha1.Service) string {
	for _, lb := range svc.Spec.LoadBalancers {
		if lb.TargetGroupArn != "" {
			return lb.TargetGroupArn
		}
	}
	return "service/" + svc.Namespace + "/" + svc.Name
}

// draining says whether a node is a DRAINING container instance of the namespace's clusters
// (status DRAINING, or the node cordoned); memo caches the answers of one pass.
func (r *Reconciler) draining(ctx context.Context, namespace, node string, memo map[string]bool) (bool, error) {
	if d, ok := memo[node]; ok {
		return d, nil
	}
	d := false
	n := &corev1.Node{}
	switch err := r.Get(ctx, client.ObjectKey{Name: node}, n); {
	case err == nil:
		d = n.Spec.Unschedulable
	case client.IgnoreNotFound(err) != nil:
		return false, fmt.Errorf("reading node %s: %w", node, err)
	}
	ci := &ecsv1alpha1.ContainerInstance{}
	switch err := r.Get(ctx, client.ObjectKey{Namespace: namespace, Name: node}, ci); {
	case err == nil:
		d = d || ci.Spec.Status == ecsv1alpha1.DesiredContainerInstanceDraining
	case client.IgnoreNotFound(err) != nil:
		return false, fmt.Errorf("reading container instance %s: %w", node, err)
	}
	memo[node] = d
	return d, nil
}

// reconcileDraining replaces the service's tasks on DRAINING container instances within
// the service's bounds, as ECS does: it stops as many as minimumHealthyPercent allows, and
// the workloads run up to as many extra tasks as maximumPercent allows meanwhile (see
// drainSurge), so that the replacements start elsewhere before the drained tasks stop.
// Standalone tasks are left alone.
func (r *Reconciler) reconcileDraining(ctx context.Context, s *scope, p *plan) error {
	healthy, drained := int32(0), []taskView{}
	for _, t := range s.tasks {
		if t.terminating() {
			continue
		}
		if t.healthy {
			healthy++
		}
		if t.drained {
			drained = append(drained, t)
		}
	}
	if len(drained) == 0 {
		return nil
	}
	room := healthy - (p.desired - rollout.ServiceBounds(p.desired, p.minPct, max(p.maxPct, 100)).MaxUnavailable)
	stopped := 0
	for _, t := range drained {
		if int32(stopped) >= room {
			break
		}
		if err := r.Delete(ctx, t.pod, client.Preconditions{UID: &t.pod.UID}); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("stopping drained task %s of %s: %w", t.id, klog.KObj(s.svc), err)
		}
		log.FromContext(ctx).Info("Stopped a task on a draining container instance", "pod", klog.KObj(t.pod), "node", t.pod.Spec.NodeName)
		stopped++
	}
	s.drainLeft = len(drained) - stopped
	return nil
}
