package containerinstance

import (
	"context"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/controllers/index"
	"github.com/kube-ecs/kube-ecs/controllers/internal/coalesce"
	"github.com/kube-ecs/kube-ecs/controllers/internal/objstatus"
	"github.com/kube-ecs/kube-ecs/internal/arn"
)

// The container instance controller registers nodes and reports their state.
// +kubebuilder:rbac:groups=ecs.kube-ecs.io,resources=containerinstances,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=ecs.kube-ecs.io,resources=containerinstances/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=ecs.kube-ecs.io,resources=clusters,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=nodes,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;list;watch

// Reconciler reports the state of ContainerInstances.
type Reconciler struct {
	client.Client
	Scope arn.Scope
	Clock clock.PassiveClock
	// AgentNamespace holds the agents' heartbeat Leases.
	AgentNamespace string
	// RequireAgent: an instance is connected only while its agent heartbeats. Off (kwok
	// clusters, where no agent runs), a Ready node counts as connected.
	RequireAgent bool
}

// SetupWithManager registers the status controller and the registration controller. The
// shared indexes (controllers/index) must be set up first.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	err := ctrl.NewControllerManagedBy(mgr).
		For(&ecsv1alpha1.ContainerInstance{}).
		Watches(&corev1.Node{}, handler.EnqueueRequestsFromMapFunc(r.instancesOfNode), builder.WithPredicates(nodeChanged)).
		// remainingResources and the task counts follow the pods a second later, with the
		// other changes of that second: a burst of tasks is one status write per instance
		// and second, not one per task.
		Watches(&corev1.Pod{}, coalesce.EnqueueAfter(r.instancesOfPod), builder.WithPredicates(podUsageChanged)).
		Watches(&coordinationv1.Lease{}, handler.EnqueueRequestsFromMapFunc(r.instancesOfLease)).
		Named("containerinstance").
		Complete(r)
	if err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("containerinstance-registration").
		For(&ecsv1alpha1.Cluster{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, deletionChanged))).
		Watches(&corev1.Node{}, handler.EnqueueRequestsFromMapFunc(r.allClusters), builder.WithPredicates(nodeMembershipChanged)).
		// Registration reads no status: an instance's status writes, one per change of its
		// pods, would only fan out to every cluster of the namespace.
		Watches(&ecsv1alpha1.ContainerInstance{}, handler.EnqueueRequestsFromMapFunc(r.clustersOfInstance),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Complete(&registrar{Reconciler: r})
}

var deletionChanged = predicate.Funcs{UpdateFunc: func(e eventUpdate) bool {
	return (e.ObjectOld.GetDeletionTimestamp() == nil) != (e.ObjectNew.GetDeletionTimestamp() == nil)
}}

// nodeMembershipChanged lets through the node events that can change which clusters select
// it: creation, deletion and label changes.
var nodeMembershipChanged = predicate.Or(predicate.LabelChangedPredicate{}, predicate.Funcs{
	UpdateFunc: func(eventUpdate) bool { return false },
})

// nodeChanged lets through the node events that change an instance's status.
var nodeChanged = predicate.Funcs{UpdateFunc: func(e eventUpdate) bool {
	return NodeChanged(e.ObjectOld.(*corev1.Node), e.ObjectNew.(*corev1.Node))
}}

// podUsageChanged lets through the pod events that change what a node's pods take or count.
var podUsageChanged = predicate.Funcs{UpdateFunc: func(e eventUpdate) bool {
	o, n := e.ObjectOld.(*corev1.Pod), e.ObjectNew.(*corev1.Pod)
	return o.Spec.NodeName != n.Spec.NodeName || o.Status.Phase != n.Status.Phase ||
		(o.DeletionTimestamp == nil) != (n.DeletionTimestamp == nil)
}}

func (r *Reconciler) instancesByNode(ctx context.Context, node string) []ctrl.Request {
	if node == "" {
		return nil
	}
	list := &ecsv1alpha1.ContainerInstanceList{}
	if err := r.List(ctx, list, client.MatchingFields{index.InstanceNode: node}, client.UnsafeDisableDeepCopy); err != nil {
		log.FromContext(ctx).Error(err, "Listing the container instances of a node", "node", node)
		return nil
	}
	reqs := make([]ctrl.Request, 0, len(list.Items))
	for _, ci := range list.Items {
		reqs = append(reqs, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(&ci)})
	}
	return reqs
}

func (r *Reconciler) instancesOfNode(ctx context.Context, o client.Object) []ctrl.Request {
	return r.instancesByNode(ctx, o.GetName())
}

func (r *Reconciler) instancesOfPod(ctx context.Context, o client.Object) []ctrl.Request {
	return r.instancesByNode(ctx, o.(*corev1.Pod).Spec.NodeName)
}

func (r *Reconciler) instancesOfLease(ctx context.Context, o client.Object) []ctrl.Request {
	l := o.(*coordinationv1.Lease)
	if l.Namespace != r.AgentNamespace || l.Spec.HolderIdentity == nil || l.Name != ecsv1alpha1.AgentLeasePrefix+*l.Spec.HolderIdentity {
		return nil
	}
	return r.instancesByNode(ctx, *l.Spec.HolderIdentity)
}

func (r *Reconciler) allClusters(ctx context.Context, _ client.Object) []ctrl.Request {
	list := &ecsv1alpha1.ClusterList{}
	if err := r.List(ctx, list); err != nil {
		log.FromContext(ctx).Error(err, "Listing clusters")
		return nil
	}
	reqs := make([]ctrl.Request, 0, len(list.Items))
	for _, c := range list.Items {
		reqs = append(reqs, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(&c)})
	}
	return reqs
}

// clustersOfInstance are the instance's cluster and the other clusters of its namespace:
// when one cluster deregisters a node, another that selects it too may register it.
func (r *Reconciler) clustersOfInstance(ctx context.Context, o client.Object) []ctrl.Request {
	ci := o.(*ecsv1alpha1.ContainerInstance)
	reqs := []ctrl.Request{{NamespacedName: types.NamespacedName{Namespace: ci.Namespace, Name: ci.Spec.Cluster}}}
	list := &ecsv1alpha1.ClusterList{}
	if err := r.List(ctx, list, client.InNamespace(ci.Namespace)); err != nil {
		log.FromContext(ctx).Error(err, "Listing the clusters of a namespace", "namespace", ci.Namespace)
		return reqs
	}
	for _, c := range list.Items {
		if c.Name != ci.Spec.Cluster {
			reqs = append(reqs, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(&c)})
		}
	}
	return reqs
}

// Reconcile computes one container instance's status.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, err error) {
	ci := &ecsv1alpha1.ContainerInstance{}
	if err := r.Get(ctx, req.NamespacedName, ci); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	base := ci.DeepCopy()
	defer func() {
		if err == nil {
			ci.Status.ObservedGeneration = ci.Generation
		}
		objstatus.Settle(objstatus.Patch(ctx, r.Client, base, ci, base.Status, ci.Status), &result, &err)
	}()
	now := r.Clock.Now()
	st := &ci.Status
	st.ContainerInstanceArn = r.Scope.ContainerInstance(ci.Spec.Cluster, ci.Name)
	if st.RegisteredAt == nil {
		created := ci.CreationTimestamp
		st.RegisteredAt = &created
	}
	node := &corev1.Node{}
	if err := r.Get(ctx, client.ObjectKey{Name: ci.Spec.NodeName}, node); err != nil {
		if !apierrors.IsNotFound(err) {
			return ctrl.Result{}, fmt.Errorf("reading node %s: %w", ci.Spec.NodeName, err)
		}
		st.Status, st.StatusReason, st.AgentConnected = ecsv1alpha1.ContainerInstanceInactive, "the node is gone", false
		setCondition(ci, ecsv1alpha1.ReadyCondition, metav1.ConditionFalse, ecsv1alpha1.AgentDisconnectedReason, "node "+ci.Spec.NodeName+" not found")
		return ctrl.Result{}, nil
	}
	pods := &corev1.PodList{}
	if err := r.List(ctx, pods, client.MatchingFields{index.PodNode: node.Name}); err != nil {
		return ctrl.Result{}, fmt.Errorf("listing the pods of node %s: %w", node.Name, err)
	}
	u := PodUsage(pods.Items)
	own := PodUsage(ClusterPods(ci, pods.Items))
	st.EC2InstanceID = InstanceID(node)
	st.Attributes = Attributes(node, ci)
	st.RegisteredResources, st.RemainingResources = Resources(node, u)
	st.RunningTasksCount, st.PendingTasksCount = own.Running, own.Pending

	var recheck time.Time
	if r.RequireAgent {
		lease := &coordinationv1.Lease{}
		err := r.Get(ctx, client.ObjectKey{Namespace: r.AgentNamespace, Name: ecsv1alpha1.AgentLeasePrefix + node.Name}, lease)
		switch {
		case apierrors.IsNotFound(err):
			lease = nil
		case err != nil:
			return ctrl.Result{}, fmt.Errorf("reading the agent lease of %s: %w", node.Name, err)
		}
		st.AgentConnected, recheck = AgentConnected(lease, now)
		if lease != nil && lease.Spec.RenewTime != nil {
			t := metav1.NewTime(lease.Spec.RenewTime.Time)
			st.LastHeartbeatTime = &t
			st.VersionInfo = &ecsv1alpha1.VersionInfo{AgentVersion: lease.Annotations[ecsv1alpha1.AgentVersionAnnotation], DockerVersion: node.Status.NodeInfo.ContainerRuntimeVersion}
		}
	} else {
		st.AgentConnected = NodeReady(node)
		st.VersionInfo = &ecsv1alpha1.VersionInfo{DockerVersion: node.Status.NodeInfo.ContainerRuntimeVersion}
	}
	switch {
	case ci.Spec.Status == ecsv1alpha1.DesiredContainerInstanceDraining:
		st.Status, st.StatusReason = ecsv1alpha1.ContainerInstanceDraining, "spec.status is DRAINING"
	case node.Spec.Unschedulable:
		st.Status, st.StatusReason = ecsv1alpha1.ContainerInstanceDraining, "the node is cordoned"
	default:
		st.Status, st.StatusReason = ecsv1alpha1.ContainerInstanceActive, ""
	}
	if st.AgentConnected {
		setCondition(ci, ecsv1alpha1.AgentConnectedCondition, metav1.ConditionTrue, ecsv1alpha1.AgentHeartbeatReason, "the agent heartbeats")
	} else {
		setCondition(ci, ecsv1alpha1.AgentConnectedCondition, metav1.ConditionFalse, ecsv1alpha1.AgentDisconnectedReason,
			"no agent heartbeat: no task is placed on this instance until its agent connects")
	}
	ready := st.AgentConnected && st.Status == ecsv1alpha1.ContainerInstanceActive
	if ready {
		setCondition(ci, ecsv1alpha1.ReadyCondition, metav1.ConditionTrue, ecsv1alpha1.ReconciledReason, "ACTIVE and connected: tasks can be placed here")
	} else {
		setCondition(ci, ecsv1alpha1.ReadyCondition, metav1.ConditionFalse, ecsv1alpha1.AgentDisconnectedReason,
			fmt.Sprintf("%s, agentConnected %t: no new task is placed here", st.Status, st.AgentConnected))
	}
	if !recheck.IsZero() {
		return ctrl.Result{RequeueAfter: max(recheck.Sub(now), time.Second)}, nil
	}
	return ctrl.Result{}, nil
}

func setCondition(ci *ecsv1alpha1.ContainerInstance, t string, status metav1.ConditionStatus, reason, msg string) {
	meta.SetStatusCondition(&ci.Status.Conditions, metav1.Condition{Type: t, Status: status, Reason: reason, Message: msg, ObservedGeneration: ci.Generation})
}

// registrar keeps a Cluster's ContainerInstances in line with the nodes it selects.
type registrar struct{ *Reconciler }

// Reconcile registers the nodes the cluster selects and deregisters the others (all of
// them while the cluster is being deleted).
func (r *registrar) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	cluster := &ecsv1alpha1.Cluster{}
	err := r.Get(ctx, req.NamespacedName, cluster)
	if err != nil && !apierrors.IsNotFound(err) {
		return ctrl.Result{}, err
	}
	gone := apierrors.IsNotFound(err) || !cluster.DeletionTimestamp.IsZero()
	want := map[string]string{} // node -> provider
	if !gone {
		nodes := &corev1.NodeList{}
		if err := r.List(ctx, nodes); err != nil {
			return ctrl.Result{}, fmt.Errorf("listing nodes: %w", err)
		}
		for i := range nodes.Items {
			if p, ok := Selects(cluster, &nodes.Items[i]); ok {
				want[nodes.Items[i].Name] = p
			}
		}
	}
	have := &ecsv1alpha1.ContainerInstanceList{}
	if err := r.List(ctx, have, client.InNamespace(req.Namespace), client.MatchingFields{index.InstanceCluster: req.Name}); err != nil {
		return ctrl.Result{}, fmt.Errorf("listing container instances: %w", err)
	}
	registered := map[string]bool{}
	for i := range have.Items {
		ci := &have.Items[i]
		if provider, ok := want[ci.Spec.NodeName]; ok && ci.Name == ci.Spec.NodeName {
			registered[ci.Spec.NodeName] = true
			if err := r.reconcileProvider(ctx, ci, provider); err != nil {
				return ctrl.Result{}, err
			}
			continue
		}
		log.FromContext(ctx).Info("Deregistering container instance", "instance", klog.KObj(ci))
		if err := r.Delete(ctx, ci, client.Preconditions{UID: &ci.UID}); client.IgnoreNotFound(err) != nil {
			return ctrl.Result{}, fmt.Errorf("deregistering %s: %w", klog.KObj(ci), err)
		}
	}
	for node, provider := range want {
		if registered[node] {
			continue
		}
		ci := &ecsv1alpha1.ContainerInstance{
			ObjectMeta: metav1.ObjectMeta{Name: node, Namespace: req.Namespace,
				Labels: map[string]string{ecsv1alpha1.ClusterLabel: req.Name}},
			Spec: ecsv1alpha1.ContainerInstanceSpec{Cluster: req.Name, NodeName: node, CapacityProviderName: provider},
		}
		err := r.Create(ctx, ci)
		switch {
		case apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause):
			return ctrl.Result{}, nil // the namespace is going, and the cluster with it
		case apierrors.IsAlreadyExists(err):
			// Another Cluster of the namespace registered the node first: an instance
			// belongs to one cluster.
			continue
		case err != nil:
			return ctrl.Result{}, fmt.Errorf("registering node %s: %w", node, err)
		}
		log.FromContext(ctx).Info("Registered container instance", "instance", klog.KObj(ci), "provider", provider)
	}
	return ctrl.Result{}, nil
}

// reconcileProvider records which capacity provider selects a registered node now: its
// labels or the cluster's providers may have changed, and the scheduler places a
// provider's tasks by it.
func (r *registrar) reconcileProvider(ctx context.Context, ci *ecsv1alpha1.ContainerInstance, provider string) error {
	if ci.Spec.CapacityProviderName == provider {
		return nil
	}
	base := ci.DeepCopy()
	ci.Spec.CapacityProviderName = provider
	if err := r.Patch(ctx, ci, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("recording capacity provider %q of %s: %w", provider, klog.KObj(ci), err)
	}
	log.FromContext(ctx).Info("Moved container instance to another capacity provider", "instance", klog.KObj(ci), "from", base.Spec.CapacityProviderName, "provider", provider)
	return nil
}
