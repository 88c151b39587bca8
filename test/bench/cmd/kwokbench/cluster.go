package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/kwokharness"
)

// The pod shape of every figure: one container reserving 128 CPU units (125m) and 256 MiB
// with a health check (a readiness probe), as the task definition below makes it.
const (
	family        = "worker"
	image         = "public.ecr.aws/docker/library/busybox:1.36"
	taskCPU       = 128
	taskMemoryMiB = 256
)

var zones = []string{"us-east-1a", "us-east-1b", "us-east-1c"}

type instanceType struct {
	name           string
	cpu, memoryGiB int64
}

// The instance types alternate: an m5.large holds 16 tasks (CPU), a c5.xlarge 32 (memory).
var instanceTypes = []instanceType{{"m5.large", 2, 8}, {"c5.xlarge", 4, 8}}

// makeNodes is n simulated EC2 nodes round-robin over the zones, labelled as on EKS and
// annotated so that kwok runs them.
func makeNodes(n int) []*corev1.Node {
	var out []*corev1.Node
	for i := range n {
		zone, it := zones[i%len(zones)], instanceTypes[(i/len(zones))%len(instanceTypes)]
		name := fmt.Sprintf("ec2-%s-%03d", zone[len(zone)-2:], i/len(zones)+1)
		resources := corev1.ResourceList{
			corev1.ResourceCPU:    *resource.NewQuantity(it.cpu, resource.DecimalSI),
			corev1.ResourceMemory: resource.MustParse(fmt.Sprintf("%dGi", it.memoryGiB)),
			corev1.ResourcePods:   resource.MustParse("110"),
		}
		cidr := fmt.Sprintf("10.%d.%d.0/24", 100+i/250, i%250)
		out = append(out, &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{
				Name:        name,
				Annotations: map[string]string{"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
				Labels: map[string]string{
					"kubernetes.io/hostname":          name,
					ecsv1alpha1.NodeLabelOS:           "linux",
					ecsv1alpha1.NodeLabelArch:         "amd64",
					"topology.kubernetes.io/region":   "us-east-1",
					ecsv1alpha1.NodeLabelZone:         zone,
					ecsv1alpha1.NodeLabelInstanceType: it.name,
					"type":                            "kwok",
				},
			},
			Spec: corev1.NodeSpec{PodCIDR: cidr, PodCIDRs: []string{cidr}, ProviderID: fmt.Sprintf("aws:///%s/i-0%016x", zone, i+1)},
			Status: corev1.NodeStatus{
				Addresses: []corev1.NodeAddress{
					{Type: corev1.NodeInternalIP, Address: fmt.Sprintf("10.0.%d.%d", i/250, i%250+2)},
					{Type: corev1.NodeHostName, Address: name},
				},
				Capacity:    resources,
				Allocatable: resources,
				NodeInfo:    corev1.NodeSystemInfo{Architecture: "amd64", OperatingSystem: "linux"},
			},
		})
	}
	return out
}

// bench is the environment the figures run in.
type bench struct {
	h     *kwokharness.Harness
	c     client.WithWatch
	o     options
	nodes []*corev1.Node
	seq   int
	began time.Time
	// lastWrites is the last task throughput run's API writes per task and per bare pod.
	lastWrites sample
}

// waitGone waits until no object of list's kind is left in ns.
func (b *bench) waitGone(ctx context.Context, list client.ObjectList, ns, what string) error {
	return poll(ctx, b.o.timeout, func() (bool, error) {
		if err := b.c.List(ctx, list, client.InNamespace(ns)); err != nil {
			return false, err
		}
		return meta.LenList(list) == 0, nil
	})
}

// printf prints a line of progress with the time since the bench began.
func (b *bench) printf(format string, args ...any) {
	b.h.Printf("[%s] "+format, append([]any{time.Since(b.began).Round(time.Second)}, args...)...)
}

// namespace creates a fresh namespace and waits for its default ServiceAccount.
func (b *bench) namespace(ctx context.Context, prefix string) (string, error) {
	b.seq++
	ns := fmt.Sprintf("%s-%d", prefix, b.seq)
	if err := b.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return "", fmt.Errorf("creating namespace %s: %w", ns, err)
	}
	err := poll(ctx, time.Minute, func() (bool, error) {
		err := b.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "default"}, &corev1.ServiceAccount{})
		return err == nil, client.IgnoreNotFound(err)
	})
	if err != nil {
		return "", fmt.Errorf("waiting for serviceaccount default in %s: %w", ns, err)
	}
	return ns, nil
}

// ecsNamespace is a namespace with the Cluster default and the task definition, once every
// node is an ACTIVE, connected container instance of the cluster.
func (b *bench) ecsNamespace(ctx context.Context, prefix string) (string, error) {
	ns, err := b.namespace(ctx, prefix)
	if err != nil {
		return "", err
	}
	start := time.Now()
	cluster := &ecsv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: ecsv1alpha1.DefaultClusterName, Namespace: ns}}
	if err := b.c.Create(ctx, cluster); err != nil {
		return "", fmt.Errorf("creating the cluster of %s: %w", ns, err)
	}
	td := taskDefinition(ns, family, func(c *ecsv1alpha1.ContainerDefinition) {
		c.CPU, c.Memory = ptr(int32(taskCPU)), ptr(int32(taskMemoryMiB))
	})
	if err := b.c.Create(ctx, td); err != nil {
		return "", fmt.Errorf("creating the task definition of %s: %w", ns, err)
	}
	err = poll(ctx, 2*time.Minute, func() (bool, error) {
		got := &ecsv1alpha1.TaskDefinition{}
		if err := b.c.Get(ctx, client.ObjectKeyFromObject(td), got); err != nil {
			return false, err
		}
		if got.Status.LatestActiveRevision < 1 {
			return false, nil
		}
		cis := &ecsv1alpha1.ContainerInstanceList{}
		if err := b.c.List(ctx, cis, client.InNamespace(ns)); err != nil {
			return false, err
		}
		ready := 0
		for _, ci := range cis.Items {
			if ci.Status.AgentConnected && ci.Status.Status == ecsv1alpha1.ContainerInstanceActive {
				ready++
			}
		}
		return ready == len(b.nodes), nil
	})
	if err != nil {
		return "", fmt.Errorf("waiting for revision 1 of %s and %d ACTIVE container instances in %s: %w", family, len(b.nodes), ns, err)
	}
	b.printf("namespace %s: cluster default with %d ACTIVE container instances in %s", ns, len(b.nodes), kwokharness.Since(start))
	return ns, nil
}

// taskDefinition is an EC2 family of one essential container, name, that sleeps, sized by
// size. It has a health check, as services in production have: ECS counts a task healthy
// when it passes, not after the 40-second rule (docs/services.md).
func taskDefinition(ns, name string, size func(*ecsv1alpha1.ContainerDefinition)) *ecsv1alpha1.TaskDefinition {
	c := ecsv1alpha1.ContainerDefinition{
		Name: name, Image: image, Essential: ptr(true), Command: []string{"sleep", "infinity"},
		HealthCheck: &ecsv1alpha1.HealthCheck{Command: []string{"CMD", "true"}},
	}
	size(&c)
	return &ecsv1alpha1.TaskDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: ecsv1alpha1.TaskDefinitionSpec{
			NetworkMode:             ecsv1alpha1.NetworkModeBridge,
			RequiresCompatibilities: []ecsv1alpha1.Compatibility{ecsv1alpha1.CompatibilityEC2},
			ContainerDefinitions:    []ecsv1alpha1.ContainerDefinition{c},
		},
	}
}

// deleteNamespace empties ns and deletes it: the next figure starts on empty nodes and an
// idle manager once the services, tasks, pods and clusters are gone; the namespace itself
// (the namespace controller takes seconds to finish one) goes meanwhile. Services are marked for
// deletion at any desiredCount (the admission policy otherwise refuses), tasks go before
// their pods, the pods at once.
func (b *bench) deleteNamespace(ctx context.Context, ns string) error {
	start := time.Now()
	svcs := &ecsv1alpha1.ServiceList{}
	if err := b.c.List(ctx, svcs, client.InNamespace(ns)); err != nil {
		return err
	}
	for i := range svcs.Items {
		s := &svcs.Items[i]
		patch := client.RawPatch("application/merge-patch+json", fmt.Appendf(nil, `{"metadata":{"annotations":{%q:"true"}}}`, ecsv1alpha1.ForceDeleteAnnotation))
		if err := b.c.Patch(ctx, s, patch); err != nil {
			return fmt.Errorf("marking service %s/%s for deletion: %w", ns, s.Name, err)
		}
		if err := client.IgnoreNotFound(b.c.Delete(ctx, s)); err != nil {
			return fmt.Errorf("deleting service %s/%s: %w", ns, s.Name, err)
		}
	}
	if err := b.deleteEach(ctx, &ecsv1alpha1.TaskList{}, ns); err != nil {
		return fmt.Errorf("deleting the tasks of %s: %w", ns, err)
	}
	for _, o := range []client.Object{&appsv1.Deployment{}, &appsv1.ReplicaSet{}} {
		if err := b.c.DeleteAllOf(ctx, o, client.InNamespace(ns), client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil {
			return fmt.Errorf("deleting the workloads of %s: %w", ns, err)
		}
	}
	if err := b.deleteEach(ctx, &corev1.PodList{}, ns, client.GracePeriodSeconds(0)); err != nil {
		return fmt.Errorf("deleting the pods of %s: %w", ns, err)
	}
	err := poll(ctx, 3*time.Minute, func() (bool, error) {
		left, services := 0, 0
		for _, l := range []client.ObjectList{&ecsv1alpha1.ServiceList{}, &ecsv1alpha1.TaskList{}, &appsv1.ReplicaSetList{}, &corev1.PodList{}} {
			if err := b.c.List(ctx, l, client.InNamespace(ns)); err != nil {
				return false, err
			}
			if _, ok := l.(*ecsv1alpha1.ServiceList); ok {
				services = meta.LenList(l)
			}
			left += meta.LenList(l)
		}
		if services > 0 {
			// A service's workloads and pods come back until the service is gone.
			for _, o := range []client.Object{&appsv1.Deployment{}, &appsv1.ReplicaSet{}} {
				_ = b.c.DeleteAllOf(ctx, o, client.InNamespace(ns), client.PropagationPolicy(metav1.DeletePropagationBackground))
			}
			_ = b.deleteEach(ctx, &corev1.PodList{}, ns, client.GracePeriodSeconds(0))
		}
		return left == 0, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for the services, tasks and pods of %s to go: %w", ns, err)
	}
	// The manager deregisters the container instances of a deleted cluster and releases it:
	// that is its work and must not overlap the next figure. The namespace controller's
	// removal of the empty namespace (seconds of its retries) may.
	if err := b.c.DeleteAllOf(ctx, &ecsv1alpha1.Cluster{}, client.InNamespace(ns)); err != nil && !meta.IsNoMatchError(err) {
		return fmt.Errorf("deleting the clusters of %s: %w", ns, err)
	}
	if err := b.waitGone(ctx, &ecsv1alpha1.ClusterList{}, ns, "the clusters gone"); err != nil {
		return fmt.Errorf("waiting for the clusters of %s to go: %w", ns, err)
	}
	if err := client.IgnoreNotFound(b.c.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})); err != nil {
		return fmt.Errorf("deleting namespace %s: %w", ns, err)
	}
	b.printf("namespace %s emptied in %s", ns, kwokharness.Since(start))
	return nil
}

// deleteEach deletes every object of list's kind in ns, 16 at a time: the API server's
// DeleteCollection deletes one at a time (--delete-collection-workers is 1 by default),
// which made emptying a namespace of 1,000 tasks and their pods take most of a minute.
func (b *bench) deleteEach(ctx context.Context, list client.ObjectList, ns string, opts ...client.DeleteOption) error {
	if err := b.c.List(ctx, list, client.InNamespace(ns)); err != nil {
		return err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return err
	}
	return parallel(items, func(o runtime.Object) error {
		return client.IgnoreNotFound(b.c.Delete(ctx, o.(client.Object), opts...))
	})
}

// createAll creates the objects 16 at a time: as fast as the client and the API server allow.
func (b *bench) createAll(ctx context.Context, objs []client.Object) error {
	return parallel(objs, func(o client.Object) error {
		if err := b.c.Create(ctx, o); err != nil {
			return fmt.Errorf("creating %s %s/%s: %w", o.GetObjectKind().GroupVersionKind().Kind, o.GetNamespace(), o.GetName(), err)
		}
		return nil
	})
}

// parallel runs f on every item, 16 at a time, and returns the first error.
func parallel[T any](items []T, f func(T) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan T)
	)
	for range 16 {
		wg.Go(func() {
			for it := range next {
				if err := f(it); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for _, it := range items {
		next <- it
	}
	close(next)
	wg.Wait()
	return first
}

// waitCount watches the objects of list's kind in ns until n of them satisfy ok, and returns
// when that was seen. It lists, then watches from the list's resourceVersion, and starts
// over when the watch ends.
func (b *bench) waitCount(ctx context.Context, list client.ObjectList, ns string, n int, ok func(client.Object) bool, timeout time.Duration, what string) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	good := map[string]bool{}
	count := func() int {
		c := 0
		for _, g := range good {
			if g {
				c++
			}
		}
		return c
	}
	for {
		if err := b.c.List(ctx, list, client.InNamespace(ns)); err != nil {
			return time.Time{}, fmt.Errorf("waiting for %s: %w", what, err)
		}
		clear(good)
		items, err := meta.ExtractList(list)
		if err != nil {
			return time.Time{}, err
		}
		for _, it := range items {
			o := it.(client.Object)
			good[o.GetName()] = ok(o)
		}
		c := count()
		if c >= n {
			return time.Now(), nil
		}
		w, err := b.c.Watch(ctx, list, client.InNamespace(ns), &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: list.GetResourceVersion()}})
		if err != nil {
			return time.Time{}, fmt.Errorf("watching for %s: %w", what, err)
		}
		for ev := range w.ResultChan() {
			o, isObj := ev.Object.(client.Object)
			if !isObj {
				continue
			}
			prev := good[o.GetName()]
			switch ev.Type {
			case watch.Added, watch.Modified:
				good[o.GetName()] = ok(o)
			case watch.Deleted:
				delete(good, o.GetName())
			}
			if now := good[o.GetName()]; now != prev {
				if now {
					c++
				} else {
					c--
				}
			}
			if c >= n {
				w.Stop()
				return time.Now(), nil
			}
		}
		w.Stop()
		if ctx.Err() != nil {
			return time.Time{}, fmt.Errorf("timed out after %s waiting for %s: %d of %d", timeout, what, c, n)
		}
	}
}

// poll checks cond every 250ms until it holds, fails or timeout passes.
func poll(ctx context.Context, timeout time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func ptr[T any](v T) *T { return &v }

// podRunning: bound, Running and not being deleted.
func podRunning(o client.Object) bool {
	p := o.(*corev1.Pod)
	return p.Spec.NodeName != "" && p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil
}

func podBound(o client.Object) bool { return o.(*corev1.Pod).Spec.NodeName != "" }

// podUnschedulable: the scheduler has looked at the pod and found no place for it.
func podUnschedulable(o client.Object) bool {
	for _, c := range o.(*corev1.Pod).Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return true
		}
	}
	return false
}

// basePod is the baseline's pod: the shape of the task definition's pod.
func basePod() corev1.PodSpec {
	return corev1.PodSpec{
		TerminationGracePeriodSeconds: ptr(int64(0)),
		Containers: []corev1.Container{{
			Name: family, Image: image, Command: []string{"sleep", "infinity"},
			// The task definition's health check, as the pod builder makes it.
			ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}},
				PeriodSeconds: 30, TimeoutSeconds: 5, FailureThreshold: 3},
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{
					corev1.ResourceCPU:    resource.MustParse(fmt.Sprintf("%dm", (taskCPU*1000+1023)/1024)),
					corev1.ResourceMemory: resource.MustParse(fmt.Sprintf("%dMi", taskMemoryMiB)),
				},
				Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(fmt.Sprintf("%dMi", taskMemoryMiB))},
			},
		}},
	}
}
