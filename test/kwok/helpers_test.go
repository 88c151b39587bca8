//go:build kwok

package kwok

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// The task definition every test runs: one EC2 container in bridge mode reserving 128 CPU
// units and 256 MiB.
const (
	family        = "worker"
	taskCPU       = 128
	taskMemoryMiB = 256
)

const taskDefinitionYAML = `
apiVersion: ecs.kube-ecs.io/v1alpha1
kind: TaskDefinition
metadata:
  name: worker
spec:
  networkMode: bridge
  requiresCompatibilities: [EC2]
  containerDefinitions:
  - name: worker
    image: public.ecr.aws/docker/library/busybox:1.36
    essential: true
    cpu: 128
    memory: 256
    command: [sleep, infinity]
`

// clusterYAML is a cluster without ec2CapacityProviders: every node outside the Fargate
// pools registers as one of its container instances.
const clusterYAML = `
apiVersion: ecs.kube-ecs.io/v1alpha1
kind: Cluster
metadata:
  name: default
`

// eventually polls cond until it holds, and fails the test with cond's last explanation
// when timeout passes first.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, why, err := cond()
		if err != nil {
			why = err.Error()
		}
		if ok && err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s: %s", timeout, what, why)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// create decodes a manifest strictly (a typo in a field fails the test) and creates it in ns.
func create(t *testing.T, ns, manifest string, obj client.Object) {
	t.Helper()
	if err := yaml.UnmarshalStrict([]byte(manifest), obj); err != nil {
		t.Fatalf("decoding %s: %v", manifest, err)
	}
	obj.SetNamespace(ns)
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %s %s/%s: %v", obj.GetObjectKind().GroupVersionKind().Kind, ns, obj.GetName(), err)
	}
}

// newNamespace creates a namespace holding the Cluster default and the task definition,
// and waits until every simulated node is an ACTIVE, connected container instance of the
// cluster. Its cleanup deletes the namespace and waits until its pods are gone, so that the
// next test starts on empty nodes.
func newNamespace(t *testing.T, prefix string) string {
	t.Helper()
	ctx := context.Background()
	start := time.Now()
	ns := fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()%1e6)
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatalf("creating namespace %s: %v", ns, err)
	}
	t.Cleanup(func() { deleteNamespace(t, ns) })
	create(t, ns, clusterYAML, &ecsv1alpha1.Cluster{})
	create(t, ns, taskDefinitionYAML, &ecsv1alpha1.TaskDefinition{})
	// Pods are refused until the namespace's default ServiceAccount exists.
	eventually(t, time.Minute, "serviceaccount default in "+ns, func() (bool, string, error) {
		err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "default"}, &corev1.ServiceAccount{})
		return err == nil, "not created yet", client.IgnoreNotFound(err)
	})
	eventually(t, time.Minute, "task definition "+family+" revision 1", func() (bool, string, error) {
		td := &ecsv1alpha1.TaskDefinition{}
		err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: family}, td)
		return err == nil && td.Status.LatestActiveRevision >= 1, "no ACTIVE revision yet", err
	})
	eventually(t, time.Minute, fmt.Sprintf("%d container instances", len(fleet)), func() (bool, string, error) {
		cis := &ecsv1alpha1.ContainerInstanceList{}
		if err := k8s.List(ctx, cis, client.InNamespace(ns)); err != nil {
			return false, "", err
		}
		ready := 0
		for _, ci := range cis.Items {
			if ci.Status.AgentConnected && ci.Status.Status == ecsv1alpha1.ContainerInstanceActive {
				ready++
			}
		}
		return ready == len(fleet), fmt.Sprintf("%d registered, %d ACTIVE and connected", len(cis.Items), ready), nil
	})
	t.Logf("namespace %s: cluster default with %d ACTIVE container instances in %s", ns, len(fleet), since(start))
	return ns
}

// deleteNamespace deletes ns and waits until none of its pods is left on the nodes. The
// tasks go first, so that their controller never sees a task whose pod vanished, then the
// pods at once (nothing runs in them to stop); the namespace takes the rest.
func deleteNamespace(t *testing.T, ns string) {
	ctx := context.Background()
	start := time.Now()
	if err := k8s.DeleteAllOf(ctx, &ecsv1alpha1.Task{}, client.InNamespace(ns)); err != nil {
		t.Errorf("deleting the tasks of %s: %v", ns, err)
	}
	if err := k8s.DeleteAllOf(ctx, &corev1.Pod{}, client.InNamespace(ns), client.GracePeriodSeconds(0)); err != nil {
		t.Errorf("deleting the pods of %s: %v", ns, err)
	}
	err := k8s.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, client.PropagationPolicy(metav1.DeletePropagationBackground))
	if client.IgnoreNotFound(err) != nil {
		t.Errorf("deleting namespace %s: %v", ns, err)
		return
	}
	eventually(t, 2*time.Minute, "the pods of namespace "+ns+" to go", func() (bool, string, error) {
		pods := &corev1.PodList{}
		if err := k8s.List(ctx, pods, client.InNamespace(ns)); err != nil {
			return false, "", err
		}
		return len(pods.Items) == 0, fmt.Sprintf("%d pods left", len(pods.Items)), nil
	})
	t.Logf("namespace %s deleted, its pods gone in %s", ns, since(start))
}

// placementSpec is how a task asks to be placed.
type placementSpec struct {
	strategy    []ecsv1alpha1.PlacementStrategy
	constraints []ecsv1alpha1.PlacementConstraint
}

// runTasks creates standalone EC2 tasks of the family (RunTask), several at a time.
func runTasks(t *testing.T, ns string, names []string, p placementSpec) {
	t.Helper()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		next = make(chan string)
	)
	for range 8 {
		wg.Go(func() {
			for name := range next {
				task := &ecsv1alpha1.Task{
					ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
					Spec: ecsv1alpha1.TaskSpec{
						Cluster: ecsv1alpha1.DefaultClusterName, TaskDefinition: family, LaunchType: ecsv1alpha1.LaunchTypeEC2,
						PlacementStrategy: p.strategy, PlacementConstraints: p.constraints,
					},
				}
				if err := k8s.Create(context.Background(), task); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("creating task %s: %w", name, err))
					mu.Unlock()
				}
			}
		})
	}
	for _, n := range names {
		next <- n
	}
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d tasks not created, first: %v", len(errs), len(names), errs[0])
	}
}

// taskNames are prefix-001 ... prefix-<n>.
func taskNames(prefix string, from, n int) []string {
	out := make([]string, 0, n)
	for i := from; i < from+n; i++ {
		out = append(out, fmt.Sprintf("%s-%03d", prefix, i))
	}
	return out
}

// podRunning: bound to a node, Running and not being deleted.
func podRunning(p *corev1.Pod) bool {
	return p.Spec.NodeName != "" && p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil
}

// phases are how long after the tasks were created their pods were all created (by the
// Task controller), all bound (by the ECS scheduler) and the tasks all RUNNING.
type phases struct{ created, bound, running time.Duration }

// waitTasksRunning waits until every named task is RUNNING on a bound, Running pod, and
// says when each phase completed, counted from start.
func waitTasksRunning(t *testing.T, ns string, names []string, start time.Time, timeout time.Duration) phases {
	t.Helper()
	ctx := context.Background()
	var ph phases
	eventually(t, timeout, fmt.Sprintf("%d tasks RUNNING in %s", len(names), ns), func() (bool, string, error) {
		tasks := &ecsv1alpha1.TaskList{}
		if err := k8s.List(ctx, tasks, client.InNamespace(ns)); err != nil {
			return false, "", err
		}
		pods := &corev1.PodList{}
		if err := k8s.List(ctx, pods, client.InNamespace(ns), client.HasLabels{ecsv1alpha1.TaskLabel}); err != nil {
			return false, "", err
		}
		byPod := map[string]*corev1.Pod{}
		for i := range pods.Items {
			byPod[pods.Items[i].Name] = &pods.Items[i]
		}
		byName := map[string]*ecsv1alpha1.Task{}
		for i := range tasks.Items {
			byName[tasks.Items[i].Name] = &tasks.Items[i]
		}
		states := map[string]int{}
		created, bound := 0, 0
		var waiting *ecsv1alpha1.Task
		for _, n := range names {
			task := byName[n]
			if task == nil {
				states["missing"]++
				continue
			}
			pod := byPod[task.Status.PodName]
			if pod != nil {
				created++
				if pod.Spec.NodeName != "" {
					bound++
				}
			}
			if task.Status.LastStatus == ecsv1alpha1.TaskRunning && pod != nil && podRunning(pod) {
				states["RUNNING"]++
				continue
			}
			states[string(task.Status.LastStatus)+"(pod not running)"]++
			waiting = task
		}
		now := since(start)
		if ph.created == 0 && created == len(names) {
			ph.created = now
		}
		if ph.bound == 0 && bound == len(names) {
			ph.bound = now
		}
		why := fmt.Sprintf("%v, %d pods created, %d bound", states, created, bound)
		if waiting != nil {
			if c := placedCondition(waiting); c != nil {
				why += fmt.Sprintf("; %s Placed=%s: %s", waiting.Name, c.Status, c.Message)
			}
		}
		if states["RUNNING"] == len(names) {
			ph.running = now
			return true, "", nil
		}
		return false, why, nil
	})
	return ph
}

// getTask reads one task.
func getTask(t *testing.T, ns, name string) *ecsv1alpha1.Task {
	t.Helper()
	task := &ecsv1alpha1.Task{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, task); err != nil {
		t.Fatalf("reading task %s/%s: %v", ns, name, err)
	}
	return task
}

// getPod reads one pod; nil when it does not exist.
func getPod(t *testing.T, ns, name string) *corev1.Pod {
	t.Helper()
	pod := &corev1.Pod{}
	err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, pod)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatalf("reading pod %s/%s: %v", ns, name, err)
	}
	return pod
}

// listPods lists the pods of ns that carry label (any value).
func listPods(t *testing.T, ns, label string) []corev1.Pod {
	t.Helper()
	pods := &corev1.PodList{}
	if err := k8s.List(context.Background(), pods, client.InNamespace(ns), client.HasLabels{label}); err != nil {
		t.Fatalf("listing pods in %s: %v", ns, err)
	}
	return pods.Items
}

// resourceViolations checks every node against what its pods (of every namespace) reserve:
// the scheduler must never book more CPU or memory than a node has.
func resourceViolations(t *testing.T) []string {
	t.Helper()
	pods := &corev1.PodList{}
	if err := k8s.List(context.Background(), pods); err != nil {
		t.Fatalf("listing pods: %v", err)
	}
	cpu, mem := map[string]int64{}, map[string]int64{}
	for _, p := range pods.Items {
		if p.Spec.NodeName == "" || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		for _, c := range p.Spec.Containers {
			cpu[p.Spec.NodeName] += c.Resources.Requests.Cpu().MilliValue()
			mem[p.Spec.NodeName] += c.Resources.Requests.Memory().Value() >> 20
		}
	}
	var out []string
	for _, n := range fleet {
		if milli := n.cpu * 1000 / 1024; cpu[n.name] > milli {
			out = append(out, fmt.Sprintf("%s: %dm CPU reserved of %dm", n.name, cpu[n.name], milli))
		}
		if mem[n.name] > n.memoryMiB {
			out = append(out, fmt.Sprintf("%s: %d MiB reserved of %d", n.name, mem[n.name], n.memoryMiB))
		}
	}
	return out
}

// sortedKeys is the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// placedCondition is a task's Placed condition, nil when it has none.
func placedCondition(task *ecsv1alpha1.Task) *metav1.Condition {
	return meta.FindStatusCondition(task.Status.Conditions, ecsv1alpha1.PlacedCondition)
}
