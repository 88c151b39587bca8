// Package scheduler is the ECS scheduler: it places the pods of EC2 tasks and services
// (schedulerName kube-ecs-scheduler) on the container instances of their cluster with the
// ECS placement decision of internal/placement (resources and ports, distinctInstance and
// memberOf constraints, the strategy chain) and binds them. Decisions are made one pod at a
// time against the cache plus the bindings not yet seen in it, so two tasks never book the
// same resources. A task that fits nowhere stays PENDING with ECS's reason on its pod's
// PodScheduled condition, which the Task and Service controllers report.
package scheduler

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/source"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/controllers/containerinstance"
	"github.com/kube-ecs/kube-ecs/controllers/index"
	"github.com/kube-ecs/kube-ecs/internal/capacity"
	"github.com/kube-ecs/kube-ecs/internal/placement"
)

// The scheduler binds pods and reports why it cannot.
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=pods/binding,verbs=create
// +kubebuilder:rbac:groups="",resources=pods/status,verbs=patch;update
// +kubebuilder:rbac:groups="",resources=nodes,verbs=get;list;watch
// +kubebuilder:rbac:groups=ecs.kube-ecs.io,resources=containerinstances,verbs=get;list;watch

// Retry is how often an unplaceable task is tried again when nothing it waits on changes.
const Retry = 15 * time.Second

// Scheduler places and binds pods.
type Scheduler struct {
	client.Client
	Clock    clock.PassiveClock
	Recorder events.EventRecorder
	// Rand draws random placements; seeded from the clock when nil.
	Rand *rand.Rand

	mu      sync.Mutex
	assumed map[types.UID]assumption
	// binding bounds the bindings in flight; retry brings back a pod whose binding failed.
	binding chan struct{}
	retry   chan event.TypedGenericEvent[*corev1.Pod]
	usage   *usage
}

// MaxBindingsInFlight bounds the bindings the scheduler has sent and not heard back from.
const MaxBindingsInFlight = 16

// assumption is a binding the cache has not shown yet.
type assumption struct {
	node string
	// cluster is the task's cluster (clusterKey): only there does it count as a task.
	cluster string
	task    placement.Task
	bound   time.Time
}

// clusterKey names a cluster across namespaces: a node can be a container instance of
// clusters in several namespaces, and each sees only its own tasks on it.
func clusterKey(namespace, cluster string) string { return namespace + "/" + cluster }

func ours(o client.Object) bool {
	p, ok := o.(*corev1.Pod)
	return ok && p.Spec.SchedulerName == ecsv1alpha1.SchedulerName
}

// SetupWithManager registers the scheduler: one worker, so decisions never race. Bindings
// are sent in the background, as kube-scheduler's binding cycle does: a decision books its
// instance at once (the assumption), so the next decision need not wait for the API server.
func (s *Scheduler) SetupWithManager(mgr ctrl.Manager) error {
	if s.Rand == nil {
		s.Rand = rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x6b756265))
	}
	s.assumed = map[types.UID]assumption{}
	s.binding = make(chan struct{}, MaxBindingsInFlight)
	s.retry = make(chan event.TypedGenericEvent[*corev1.Pod], MaxBindingsInFlight)
	s.usage = newUsage()
	pods, err := mgr.GetCache().GetInformer(context.Background(), &corev1.Pod{})
	if err != nil {
		return fmt.Errorf("getting the pod informer: %w", err)
	}
	if _, err := pods.AddEventHandler(s.podHandler()); err != nil {
		return fmt.Errorf("counting pod events per node: %w", err)
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("scheduler").
		For(&corev1.Pod{}, builder.WithPredicates(predicate.NewPredicateFuncs(ours))).
		WatchesRawSource(source.Channel(s.retry, &handler.TypedEnqueueRequestForObject[*corev1.Pod]{})).
		Watches(&ecsv1alpha1.ContainerInstance{}, handler.EnqueueRequestsFromMapFunc(s.waitingPods), builder.WithPredicates(mayOpen)).
		WithOptions(controller.Options{MaxConcurrentReconciles: 1}).
		Complete(s)
}

// mayOpen passes the container instance changes that can let a waiting task in: a new
// instance, a changed spec (attributes, ACTIVE again), labels or annotations, the agent
// (re)connecting or upgrading, and capacity freed (fewer tasks, more remaining resources).
// Heartbeats and the bookkeeping of the scheduler's own bindings (capacity taken) cannot, and
// would requeue every waiting task of the cluster at each binding.
var mayOpen = predicate.Funcs{
	CreateFunc:  func(event.CreateEvent) bool { return true },
	DeleteFunc:  func(event.DeleteEvent) bool { return false },
	GenericFunc: func(event.GenericEvent) bool { return true },
	UpdateFunc: func(e event.UpdateEvent) bool {
		old, ok1 := e.ObjectOld.(*ecsv1alpha1.ContainerInstance)
		cur, ok2 := e.ObjectNew.(*ecsv1alpha1.ContainerInstance)
		if !ok1 || !ok2 {
			return true
		}
		return MayOpen(old, cur)
	},
}

// MayOpen says whether an update of a container instance from old to cur can let a waiting
// task in.
func MayOpen(old, cur *ecsv1alpha1.ContainerInstance) bool {
	switch {
	case old.Generation != cur.Generation,
		!maps.Equal(old.Labels, cur.Labels), !maps.Equal(old.Annotations, cur.Annotations),
		!old.Status.AgentConnected && cur.Status.AgentConnected,
		!equality.Semantic.DeepEqual(old.Status.VersionInfo, cur.Status.VersionInfo),
		!equality.Semantic.DeepEqual(old.Status.Attributes, cur.Status.Attributes),
		cur.Status.RunningTasksCount < old.Status.RunningTasksCount:
		return true
	}
	for _, r := range cur.Status.RemainingResources {
		for _, o := range old.Status.RemainingResources {
			if o.Name == r.Name && grew(o, r) {
				return true
			}
		}
	}
	return false
}

// grew: more of an integer resource, or a port that was taken is free.
func grew(old, cur ecsv1alpha1.Resource) bool {
	if ptr.Deref(cur.IntegerValue, 0) > ptr.Deref(old.IntegerValue, 0) {
		return true
	}
	taken := map[string]bool{}
	for _, p := range cur.StringSetValue {
		taken[p] = true
	}
	for _, p := range old.StringSetValue {
		if !taken[p] {
			return true
		}
	}
	return false
}

// waitingPods are the unbound pods of an instance's cluster: a change of the instance may
// let them in.
func (s *Scheduler) waitingPods(ctx context.Context, o client.Object) []ctrl.Request {
	ci := o.(*ecsv1alpha1.ContainerInstance)
	pods := &corev1.PodList{}
	if err := s.List(ctx, pods, client.InNamespace(ci.Namespace), client.MatchingLabels{ecsv1alpha1.ClusterLabel: ci.Spec.Cluster}, client.UnsafeDisableDeepCopy); err != nil {
		log.FromContext(ctx).Error(err, "Listing waiting pods")
		return nil
	}
	var reqs []ctrl.Request
	for _, p := range pods.Items {
		if p.Spec.NodeName == "" && p.Spec.SchedulerName == ecsv1alpha1.SchedulerName && p.DeletionTimestamp == nil {
			reqs = append(reqs, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(&p)})
		}
	}
	return reqs
}

// Reconcile places one pod.
func (s *Scheduler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	pod := &corev1.Pod{}
	if err := s.Get(ctx, req.NamespacedName, pod); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if pod.Spec.NodeName != "" || pod.DeletionTimestamp != nil || pod.Spec.SchedulerName != ecsv1alpha1.SchedulerName {
		s.forget(pod.UID)
		return ctrl.Result{}, nil
	}
	s.mu.Lock()
	a, bound := s.assumed[pod.UID]
	s.mu.Unlock()
	if bound && s.Clock.Now().Sub(a.bound) < time.Minute {
		return ctrl.Result{}, nil // bound already; the cache has not caught up
	}
	spec, err := capacity.ParseScheduling(pod.Annotations[ecsv1alpha1.PlacementAnnotation])
	if err != nil {
		return ctrl.Result{}, s.unschedulable(ctx, pod, fmt.Sprintf("invalid %s annotation: %v", ecsv1alpha1.PlacementAnnotation, err))
	}
	instances, err := s.instances(ctx, pod, spec)
	if err != nil {
		return ctrl.Result{}, err
	}
	task := taskOf(pod, spec)
	d, err := placement.Place(task, instances, s.Rand)
	if err != nil {
		// The expression was validated at admission; an old object can still carry one.
		return ctrl.Result{}, s.unschedulable(ctx, pod, err.Error())
	}
	if d.Instance == "" {
		return ctrl.Result{RequeueAfter: Retry}, s.unschedulable(ctx, pod, d.Message())
	}
	s.mu.Lock()
	s.assumed[pod.UID] = assumption{node: d.Instance, cluster: clusterKey(pod.Namespace, pod.Labels[ecsv1alpha1.ClusterLabel]), task: task, bound: s.Clock.Now()}
	s.mu.Unlock()
	select {
	case s.binding <- struct{}{}:
	case <-ctx.Done():
		s.forget(pod.UID)
		return ctrl.Result{}, ctx.Err()
	}
	go func() {
		defer func() { <-s.binding }()
		s.bind(context.WithoutCancel(ctx), pod, d.Instance)
	}()
	return ctrl.Result{}, nil
}

// bind sends the binding of a decision. When it fails, the instance is released and the
// pod decided again.
func (s *Scheduler) bind(ctx context.Context, pod *corev1.Pod, node string) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	binding := &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: node},
	}
	if err := s.SubResource("binding").Create(ctx, pod, binding); err != nil {
		s.forget(pod.UID)
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) || apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
			return // gone, bound meanwhile, or its namespace is going
		}
		log.FromContext(ctx).Error(err, "Binding failed; deciding again", "pod", klog.KObj(pod), "node", node)
		s.retry <- event.TypedGenericEvent[*corev1.Pod]{Object: pod}
		return
	}
	s.Recorder.Eventf(pod, nil, corev1.EventTypeNormal, "Scheduled", "Binding", "Successfully assigned %s/%s to %s (container instance of cluster %s)",
		pod.Namespace, pod.Name, node, pod.Labels[ecsv1alpha1.ClusterLabel])
}

func (s *Scheduler) forget(uid types.UID) {
	s.mu.Lock()
	delete(s.assumed, uid)
	s.mu.Unlock()
}

// unschedulable records why the pod cannot be placed on its PodScheduled condition, as
// kube-scheduler does, once per message.
func (s *Scheduler) unschedulable(ctx context.Context, pod *corev1.Pod, msg string) error {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable && c.Message == msg {
			return nil
		}
	}
	base := pod.DeepCopy()
	cond := corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable,
		Message: msg, LastTransitionTime: metav1.NewTime(s.Clock.Now())}
	replaced := false
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == corev1.PodScheduled {
			pod.Status.Conditions[i], replaced = cond, true
		}
	}
	if !replaced {
		pod.Status.Conditions = append(pod.Status.Conditions, cond)
	}
	if err := s.Status().Patch(ctx, pod, client.StrategicMergeFrom(base)); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("reporting that %s cannot be placed: %w", klog.KObj(pod), err)
	}
	s.Recorder.Eventf(pod, nil, corev1.EventTypeWarning, "FailedScheduling", "Scheduling", "%s", msg)
	return nil
}

// taskOf is what the pod asks of an instance.
func taskOf(pod *corev1.Pod, spec capacity.Scheduling) placement.Task {
	cpu, mem := containerinstance.PodRequests(pod)
	t := placement.Task{CPU: cpu, Memory: mem, Group: pod.Annotations[ecsv1alpha1.GroupAnnotation],
		Constraints: spec.Constraints, Strategy: spec.Strategy}
	for _, p := range containerinstance.HostPorts(pod) {
		proto := placement.ProtocolTCP
		if p.Protocol == corev1.ProtocolUDP {
			proto = placement.ProtocolUDP
		}
		t.Ports = append(t.Ports, placement.Port{Number: p.HostPort, Protocol: proto})
	}
	return t
}

// instances are the container instances of the pod's cluster (and capacity provider) as
// the placement decision sees them: what their pods and the bindings the cache has not shown
// yet leave. It reads the cache without copies (nothing here writes to what it reads): one
// decision per task must not copy every pod of the cluster.
func (s *Scheduler) instances(ctx context.Context, pod *corev1.Pod, spec capacity.Scheduling) ([]placement.Instance, error) {
	cis := &ecsv1alpha1.ContainerInstanceList{}
	if err := s.List(ctx, cis, client.InNamespace(pod.Namespace), client.MatchingFields{index.InstanceCluster: pod.Labels[ecsv1alpha1.ClusterLabel]},
		client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing container instances: %w", err)
	}
	nodes := &corev1.NodeList{}
	if err := s.List(ctx, nodes, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing nodes: %w", err)
	}
	byName := make(map[string]*corev1.Node, len(nodes.Items))
	for i := range nodes.Items {
		byName[nodes.Items[i].Name] = &nodes.Items[i]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Clock.Now()
	assumedOn := map[string][]types.UID{}
	for uid, a := range s.assumed {
		if now.Sub(a.bound) > time.Minute {
			delete(s.assumed, uid)
			continue
		}
		assumedOn[a.node] = append(assumedOn[a.node], uid)
	}
	out := make([]placement.Instance, 0, len(cis.Items))
	for i := range cis.Items {
		ci := &cis.Items[i]
		if spec.CapacityProvider != "" && ci.Spec.CapacityProviderName != spec.CapacityProvider {
			continue
		}
		node := byName[ci.Spec.NodeName]
		if node == nil {
			continue
		}
		key, version := ci.Namespace+"/"+ci.Name, instanceVersion(ci)
		e, ok := s.usage.get(key, version, node.Name, node.ResourceVersion, now)
		if !ok {
			pods := &corev1.PodList{}
			if err := s.List(ctx, pods, client.MatchingFields{index.PodNode: node.Name}, client.UnsafeDisableDeepCopy); err != nil {
				return nil, fmt.Errorf("listing the pods of %s: %w", node.Name, err)
			}
			e = usageEntry{instanceVersion: version, nodeVersion: node.ResourceVersion, podGen: s.usage.podGen[node.Name],
				inst: instanceOf(ci, node, pods.Items)}
			for _, p := range pods.Items {
				if _, assumed := s.assumed[p.UID]; assumed {
					// Bound in the cache, its event not counted yet (see usage).
					if e.counted == nil {
						e.counted = map[types.UID]bool{}
					}
					e.counted[p.UID] = true
				}
			}
			s.usage.put(key, e, now)
		}
		// Reserve copies what it changes: the entry stays as computed.
		inst := e.inst
		for _, uid := range assumedOn[node.Name] {
			if a, ok := s.assumed[uid]; ok && !e.counted[uid] {
				inst = reserve(inst, a, clusterKey(ci.Namespace, ci.Spec.Cluster))
			}
		}
		out = append(out, inst)
	}
	return out, nil
}

// reserve books an assumed binding on an instance of cluster: its resources and ports
// always, its place among the instance's tasks and groups only when it is one of cluster's.
func reserve(inst placement.Instance, a assumption, cluster string) placement.Instance {
	r := placement.Reserve(inst, a.task)
	if a.cluster != cluster {
		r.RunningTasks, r.TaskGroups = inst.RunningTasks, inst.TaskGroups
	}
	return r
}

// instanceVersion is what instanceOf reads of a container instance that can change: its
// spec (the generation), its agent's connection and version. Not its resourceVersion: the
// instance's status follows its pods (remaining resources, task counts) and changes with
// every burst, which the pod events already say.
func instanceVersion(ci *ecsv1alpha1.ContainerInstance) string {
	agent := ""
	if ci.Status.VersionInfo != nil {
		agent = ci.Status.VersionInfo.AgentVersion
	}
	return fmt.Sprintf("%d/%t/%s", ci.Generation, ci.Status.AgentConnected, agent)
}

// instanceOf is a container instance as the placement decision sees it. Every pod on the
// node takes resources and ports; only the tasks of the instance's own cluster count as its
// tasks (runningTasksCount, task groups for distinctInstance, spread and task:group), as an
// ECS instance belongs to one cluster.
func instanceOf(ci *ecsv1alpha1.ContainerInstance, node *corev1.Node, pods []corev1.Pod) placement.Instance {
	u := containerinstance.PodUsage(pods)
	attrs := map[string]string{}
	for _, a := range containerinstance.Attributes(node, ci) {
		attrs[a.Name] = a.Value
	}
	inst := placement.Instance{
		Name:            ci.Name,
		ID:              containerinstance.InstanceID(node),
		Attributes:      attrs,
		AgentConnected:  ci.Status.AgentConnected,
		Active:          ci.Spec.Status != ecsv1alpha1.DesiredContainerInstanceDraining && !node.Spec.Unschedulable,
		RegisteredAt:    ci.CreationTimestamp.Time,
		RemainingCPU:    node.Status.Allocatable.Cpu().MilliValue()*1024/1000 - u.CPU,
		RemainingMemory: node.Status.Allocatable.Memory().Value()>>20 - u.Memory,
		UsedPorts:       map[placement.Port]bool{},
		TaskGroups:      map[string]int{},
	}
	if ci.Status.VersionInfo != nil {
		inst.AgentVersion = ci.Status.VersionInfo.AgentVersion
	}
	for _, p := range containerinstance.ReservedPorts {
		inst.UsedPorts[placement.Port{Number: p, Protocol: placement.ProtocolTCP}] = true
	}
	for _, p := range u.Ports {
		inst.UsedPorts[placement.Port{Number: p, Protocol: placement.ProtocolTCP}] = true
	}
	for _, p := range u.PortsUDP {
		inst.UsedPorts[placement.Port{Number: p, Protocol: placement.ProtocolUDP}] = true
	}
	for _, p := range containerinstance.ClusterPods(ci, pods) {
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		inst.RunningTasks++
		if g := p.Annotations[ecsv1alpha1.GroupAnnotation]; g != "" {
			inst.TaskGroups[g]++
		}
	}
	return inst
}
