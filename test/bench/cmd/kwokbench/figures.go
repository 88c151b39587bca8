package main

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/controllers/task/resources"
)

// gate is what holds the placement figure's pods back until capacity opens: a node label
// for kube-scheduler, the same custom attribute of the container instances for the ECS
// scheduler.
const (
	gateKey   = "bench-gate"
	gateValue = "open"
)

// sample is one run's measurement of both sides of a figure.
type sample struct{ kubeECS, baseline float64 }

// measure runs every figure -runs times, the baseline first, each in fresh namespaces.
func (b *bench) measure(ctx context.Context) (*results, error) {
	res := newResults(b.o)
	add := func(id string, s sample) { res.figure(id).add(s) }
	for r := 1; r <= b.o.runs; r++ {
		for _, n := range b.o.serviceSizes {
			s, err := b.serviceLaunch(ctx, n)
			if err != nil {
				return nil, fmt.Errorf("service launch (N=%d), run %d: %w", n, r, err)
			}
			add(fmt.Sprintf("service-launch-%d", n), s)
			b.printf("run %d: service launch N=%d: ECS service %.2fs, Deployment %.2fs", r, n, s.kubeECS, s.baseline)
		}
		s, err := b.taskThroughput(ctx, b.o.tasks)
		if err != nil {
			return nil, fmt.Errorf("task throughput (M=%d), run %d: %w", b.o.tasks, r, err)
		}
		add("task-throughput-time", s)
		m := float64(b.o.tasks)
		add("task-throughput-rate", sample{m / s.kubeECS, m / s.baseline})
		b.printf("run %d: %d standalone tasks RUNNING in %.2fs, bare pods Running in %.2fs", r, b.o.tasks, s.kubeECS, s.baseline)

		add("api-writes-per-task", sample{b.lastWrites.kubeECS, b.lastWrites.baseline})
		b.printf("run %d: API writes per task over its life %.1f, per bare pod %.1f", r, b.lastWrites.kubeECS, b.lastWrites.baseline)

		rs, err := b.rollout(ctx, b.o.rolloutSize)
		if err != nil {
			return nil, fmt.Errorf("rollout (%d tasks), run %d: %w", b.o.rolloutSize, r, err)
		}
		add("rollout", rs)
		b.printf("run %d: rollout of %d: ECS service %.2fs, Deployment %.2fs", r, b.o.rolloutSize, rs.kubeECS, rs.baseline)

		rate, nodes, err := b.placement(ctx, b.o.placementTasks)
		if err != nil {
			return nil, fmt.Errorf("placement (%d tasks), run %d: %w", b.o.placementTasks, r, err)
		}
		add("placement-rate", rate)
		add("placement-nodes", nodes)
		b.printf("run %d: placement: ECS scheduler %.1f pods/s on %.0f nodes (binpack memory), kube-scheduler %.1f pods/s on %.0f nodes",
			r, rate.kubeECS, nodes.kubeECS, rate.baseline, nodes.baseline)
		if err := res.write(b.o.out); err != nil {
			return nil, err
		}
	}
	if err := b.scale(ctx, res, b.o.memoryTasks, b.o.services); err != nil {
		return nil, fmt.Errorf("idle and memory (%d tasks, %d services): %w", b.o.memoryTasks, b.o.services, err)
	}
	if b.o.apprunner != "" {
		if err := res.addAppRunner(b.o.apprunner); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// serviceLaunch: a Deployment of n replicas until n pods Running, then an ECS Service of
// desiredCount n until n pods Running and the service's runningCount n.
func (b *bench) serviceLaunch(ctx context.Context, n int) (sample, error) {
	var s sample
	ns, err := b.namespace(ctx, fmt.Sprintf("base-deploy-%d", n))
	if err != nil {
		return s, err
	}
	labels := map[string]string{"app": "worker"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "worker", Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(int32(n)),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: basePod()},
		},
	}
	start := time.Now()
	if err := b.c.Create(ctx, dep); err != nil {
		return s, err
	}
	end, err := b.waitCount(ctx, &corev1.PodList{}, ns, n, podRunning, b.o.timeout, fmt.Sprintf("%d pods of the Deployment Running", n))
	if err != nil {
		return s, err
	}
	s.baseline = end.Sub(start).Seconds()
	if err := b.deleteNamespace(ctx, ns); err != nil {
		return s, err
	}

	if ns, err = b.ecsNamespace(ctx, fmt.Sprintf("ecs-service-%d", n)); err != nil {
		return s, err
	}
	svc := workerService(ns, n, nil)
	start = time.Now()
	if err := b.c.Create(ctx, svc); err != nil {
		return s, err
	}
	if _, err := b.waitCount(ctx, &corev1.PodList{}, ns, n, podRunning, b.o.timeout, fmt.Sprintf("%d pods of the service Running", n)); err != nil {
		return s, err
	}
	end, err = b.waitCount(ctx, &ecsv1alpha1.ServiceList{}, ns, 1, func(o client.Object) bool {
		return o.(*ecsv1alpha1.Service).Status.RunningCount == int32(n)
	}, b.o.timeout, fmt.Sprintf("service runningCount %d", n))
	if err != nil {
		return s, err
	}
	s.kubeECS = end.Sub(start).Seconds()
	return s, b.deleteNamespace(ctx, ns)
}

// workerService is an EC2 service of n tasks of the family, with the deployment
// configuration dc (nil: ECS's defaults).
func workerService(ns string, n int, dc *ecsv1alpha1.DeploymentConfiguration) *ecsv1alpha1.Service {
	return &ecsv1alpha1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "worker", Namespace: ns},
		Spec: ecsv1alpha1.ServiceSpec{
			Cluster: ecsv1alpha1.DefaultClusterName, TaskDefinition: family,
			DesiredCount: ptr(int32(n)), LaunchType: ecsv1alpha1.LaunchTypeEC2, DeploymentConfiguration: dc,
		},
	}
}

// taskThroughput: m bare pods created as fast as the client allows until all Running, then
// m standalone EC2 tasks until all RUNNING.
func (b *bench) taskThroughput(ctx context.Context, m int) (sample, error) {
	var s sample
	ns, err := b.namespace(ctx, "base-pods")
	if err != nil {
		return s, err
	}
	pods := make([]client.Object, m)
	for i := range pods {
		pods[i] = &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("pod-%04d", i), Namespace: ns}, Spec: basePod()}
	}
	w0, err := b.apiWrites(ctx)
	if err != nil {
		return s, err
	}
	start := time.Now()
	if err := b.createAll(ctx, pods); err != nil {
		return s, err
	}
	b.printf("%d bare pods created in %s", m, time.Since(start).Round(time.Millisecond))
	end, err := b.waitCount(ctx, &corev1.PodList{}, ns, m, podRunning, b.o.timeout, fmt.Sprintf("%d pods Running", m))
	if err != nil {
		return s, err
	}
	s.baseline = end.Sub(start).Seconds()
	if err := parallel(pods, func(o client.Object) error { return client.IgnoreNotFound(b.c.Delete(ctx, o)) }); err != nil {
		return s, err
	}
	if err := b.waitGone(ctx, &corev1.PodList{}, ns, "the pods gone"); err != nil {
		return s, err
	}
	w1, err := b.apiWrites(ctx)
	if err != nil {
		return s, err
	}
	b.lastWrites.baseline = (w1.total() - w0.total()) / float64(m)
	b.printf("API writes per bare pod: %s", w1.since(w0, m))
	if err := b.deleteNamespace(ctx, ns); err != nil {
		return s, err
	}

	if ns, err = b.ecsNamespace(ctx, "ecs-tasks"); err != nil {
		return s, err
	}
	tasks := b.tasks(ns, m, ecsv1alpha1.TaskSpec{})
	if w0, err = b.apiWrites(ctx); err != nil {
		return s, err
	}
	start = time.Now()
	if err := b.createAll(ctx, tasks); err != nil {
		return s, err
	}
	b.printf("%d tasks created in %s", m, time.Since(start).Round(time.Millisecond))
	end, err = b.waitCount(ctx, &ecsv1alpha1.TaskList{}, ns, m, func(o client.Object) bool {
		return o.(*ecsv1alpha1.Task).Status.LastStatus == ecsv1alpha1.TaskRunning
	}, b.o.timeout, fmt.Sprintf("%d tasks RUNNING", m))
	if err != nil {
		return s, err
	}
	s.kubeECS = end.Sub(start).Seconds()
	// Each task, then its pod as the bare pods were deleted: the garbage collector would
	// delete the pods at kube-controller-manager's pace (20 requests/s by default), which is
	// not what the figure measures.
	if err := parallel(tasks, func(o client.Object) error {
		if err := client.IgnoreNotFound(b.c.Delete(ctx, o)); err != nil {
			return err
		}
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: resources.PodName(o.(*ecsv1alpha1.Task))}}
		return client.IgnoreNotFound(b.c.Delete(ctx, pod, client.GracePeriodSeconds(0)))
	}); err != nil {
		return s, err
	}
	if err := b.waitGone(ctx, &ecsv1alpha1.TaskList{}, ns, "the tasks gone"); err != nil {
		return s, err
	}
	if err := b.waitGone(ctx, &corev1.PodList{}, ns, "the tasks' pods gone"); err != nil {
		return s, err
	}
	w1, err = b.apiWrites(ctx)
	if err != nil {
		return s, err
	}
	b.lastWrites.kubeECS = (w1.total() - w0.total()) / float64(m)
	b.printf("API writes per task: %s", w1.since(w0, m))
	return s, b.deleteNamespace(ctx, ns)
}

// tasks are m EC2 tasks of the family in ns, with the placement of spec.
func (b *bench) tasks(ns string, m int, spec ecsv1alpha1.TaskSpec) []client.Object {
	spec.Cluster, spec.TaskDefinition, spec.LaunchType = ecsv1alpha1.DefaultClusterName, family, ecsv1alpha1.LaunchTypeEC2
	out := make([]client.Object, m)
	for i := range out {
		out[i] = &ecsv1alpha1.Task{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("task-%04d", i), Namespace: ns}, Spec: *spec.DeepCopy()}
	}
	return out
}

// placement measures each scheduler alone: m pods wait, every one seen unschedulable by its
// scheduler, until capacity opens on every node at once (a label for kube-scheduler, the
// same custom attribute of every container instance for the ECS scheduler); the rate is m
// over the time from opening to the last binding. It also counts the nodes each used: the
// ECS tasks ask for binpack on memory, kube-scheduler scores as it does by default.
func (b *bench) placement(ctx context.Context, m int) (rate, nodes sample, err error) {
	ns, err := b.namespace(ctx, "base-placement")
	if err != nil {
		return rate, nodes, err
	}
	pods := make([]client.Object, m)
	for i := range pods {
		spec := basePod()
		spec.NodeSelector = map[string]string{gateKey: gateValue}
		pods[i] = &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("pod-%04d", i), Namespace: ns}, Spec: spec}
	}
	open := func(value *string) error {
		return parallel(b.nodes, func(n *corev1.Node) error {
			v := "null"
			if value != nil {
				v = fmt.Sprintf("%q", *value)
			}
			patch := client.RawPatch("application/merge-patch+json", fmt.Appendf(nil, `{"metadata":{"labels":{%q:%s}}}`, gateKey, v))
			return b.c.Patch(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n.Name}}, patch)
		})
	}
	r, used, err := b.placeGated(ctx, ns, pods, func() error { return open(ptr(gateValue)) })
	if err != nil {
		return rate, nodes, err
	}
	rate.baseline, nodes.baseline = r, used
	if err := open(nil); err != nil {
		return rate, nodes, fmt.Errorf("closing the gate: %w", err)
	}
	if err := b.deleteNamespace(ctx, ns); err != nil {
		return rate, nodes, err
	}

	if ns, err = b.ecsNamespace(ctx, "ecs-placement"); err != nil {
		return rate, nodes, err
	}
	tasks := b.tasks(ns, m, ecsv1alpha1.TaskSpec{
		PlacementStrategy:    []ecsv1alpha1.PlacementStrategy{{Type: ecsv1alpha1.PlacementStrategyBinpack, Field: "memory"}},
		PlacementConstraints: []ecsv1alpha1.PlacementConstraint{{Type: ecsv1alpha1.PlacementConstraintMemberOf, Expression: fmt.Sprintf("attribute:%s == %s", gateKey, gateValue)}},
	})
	r, used, err = b.placeGated(ctx, ns, tasks, func() error {
		cis := &ecsv1alpha1.ContainerInstanceList{}
		if err := b.c.List(ctx, cis, client.InNamespace(ns)); err != nil {
			return err
		}
		patch := client.RawPatch("application/merge-patch+json", fmt.Appendf(nil, `{"spec":{"attributes":[{"name":%q,"value":%q}]}}`, gateKey, gateValue))
		items := make([]*ecsv1alpha1.ContainerInstance, len(cis.Items))
		for i := range cis.Items {
			items[i] = &cis.Items[i]
		}
		return parallel(items, func(ci *ecsv1alpha1.ContainerInstance) error { return b.c.Patch(ctx, ci, patch) })
	})
	if err != nil {
		return rate, nodes, err
	}
	rate.kubeECS, nodes.kubeECS = r, used
	return rate, nodes, b.deleteNamespace(ctx, ns)
}

// placeGated creates objs (pods, or tasks whose pods the Task controller makes), waits until
// each of m pods is unschedulable, opens the gate and waits until all are bound.
func (b *bench) placeGated(ctx context.Context, ns string, objs []client.Object, openGate func() error) (rate, nodesUsed float64, err error) {
	m := len(objs)
	if err := b.createAll(ctx, objs); err != nil {
		return 0, 0, err
	}
	if _, err := b.waitCount(ctx, &corev1.PodList{}, ns, m, podUnschedulable, b.o.timeout, fmt.Sprintf("%d pods unschedulable", m)); err != nil {
		return 0, 0, err
	}
	start := time.Now()
	if err := openGate(); err != nil {
		return 0, 0, fmt.Errorf("opening the gate: %w", err)
	}
	end, err := b.waitCount(ctx, &corev1.PodList{}, ns, m, podBound, b.o.timeout, fmt.Sprintf("%d pods bound", m))
	if err != nil {
		return 0, 0, err
	}
	pods := &corev1.PodList{}
	if err := b.c.List(ctx, pods, client.InNamespace(ns)); err != nil {
		return 0, 0, err
	}
	used := map[string]bool{}
	for _, p := range pods.Items {
		used[p.Spec.NodeName] = true
	}
	return float64(m) / end.Sub(start).Seconds(), float64(len(used)), nil
}
