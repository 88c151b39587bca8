package cluster

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/controllers/internal/objstatus"
	"github.com/kube-ecs/kube-ecs/internal/arn"
)

// The cluster controller keeps a finalizer on Clusters and counts what names them.
// +kubebuilder:rbac:groups=ecs.kube-ecs.io,resources=clusters,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=ecs.kube-ecs.io,resources=clusters/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=ecs.kube-ecs.io,resources=clusters/finalizers,verbs=update
// +kubebuilder:rbac:groups=ecs.kube-ecs.io,resources=tasks;services;containerinstances,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch

// DeleteAction is the action of the events a blocked deletion records.
const DeleteAction = "DeleteCluster"

// Reconciler reports a Cluster's ECS status and blocks its deletion while it holds
// services, tasks or container instances.
type Reconciler struct {
	client.Client
	Scope    arn.Scope
	Clock    clock.PassiveClock
	Recorder events.EventRecorder
}

// Reconcile keeps the finalizer, computes the status from what names the cluster, and on
// deletion releases the finalizer once nothing does.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, err error) {
	cluster := &ecsv1alpha1.Cluster{}
	if err := r.Get(ctx, req.NamespacedName, cluster); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if err := r.reconcileFinalizer(ctx, cluster); err != nil {
		return ctrl.Result{}, err
	}
	base := cluster.DeepCopy()
	released := false
	defer func() {
		if released {
			return // the cluster is going away: no status to write
		}
		if err != nil {
			setCondition(cluster, ecsv1alpha1.ReadyCondition, metav1.ConditionFalse, ecsv1alpha1.ReconcileErrorReason, err.Error(), metav1.NewTime(r.Clock.Now()))
		} else {
			cluster.Status.ObservedGeneration = cluster.Generation
		}
		objstatus.Settle(objstatus.Patch(ctx, r.Client, base, cluster, base.Status, cluster.Status), &result, &err)
	}()

	m, err := r.getMembers(ctx, cluster)
	if err != nil {
		return ctrl.Result{}, err
	}
	b := setStatus(cluster, m, r.Scope.Cluster(cluster.Name), metav1.NewTime(r.Clock.Now()))
	if cluster.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	if b != nil {
		// The watches on what blocks bring the cluster back when it changes.
		if prev := meta.FindStatusCondition(base.Status.Conditions, ecsv1alpha1.DeletingCondition); prev == nil || prev.Message != b.message {
			r.Recorder.Eventf(cluster, nil, corev1.EventTypeWarning, b.reason, DeleteAction, "%s", b.message)
		}
		return ctrl.Result{}, nil
	}
	released = true
	return ctrl.Result{}, r.releaseFinalizer(ctx, cluster)
}

// reconcileFinalizer adds the finalizer to a cluster that is not being deleted.
func (r *Reconciler) reconcileFinalizer(ctx context.Context, cluster *ecsv1alpha1.Cluster) error {
	if !cluster.DeletionTimestamp.IsZero() || controllerutil.ContainsFinalizer(cluster, ecsv1alpha1.ClusterFinalizer) {
		return nil
	}
	base := cluster.DeepCopy()
	controllerutil.AddFinalizer(cluster, ecsv1alpha1.ClusterFinalizer)
	if err := r.Patch(ctx, cluster, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("adding the finalizer to %s: %w", klog.KObj(cluster), err)
	}
	return nil
}

// releaseFinalizer lets the API server delete a cluster that holds nothing any more.
func (r *Reconciler) releaseFinalizer(ctx context.Context, cluster *ecsv1alpha1.Cluster) error {
	if !controllerutil.ContainsFinalizer(cluster, ecsv1alpha1.ClusterFinalizer) {
		return nil
	}
	base := cluster.DeepCopy()
	controllerutil.RemoveFinalizer(cluster, ecsv1alpha1.ClusterFinalizer)
	if err := r.Patch(ctx, cluster, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("removing the finalizer of %s: %w", klog.KObj(cluster), err)
	}
	log.FromContext(ctx).Info("Released deleted cluster: it holds no services, tasks or container instances", "cluster", klog.KObj(cluster))
	return nil
}

// getMembers reads the services, tasks, service pods and container instances that name the
// cluster, through the indexes SetupWithManager registers, without copies: counting only
// reads them.
func (r *Reconciler) getMembers(ctx context.Context, cluster *ecsv1alpha1.Cluster) (members, error) {
	var m members
	opts := []client.ListOption{client.InNamespace(cluster.Namespace), client.MatchingFields{clusterIndex: cluster.Name}, client.UnsafeDisableDeepCopy}
	services := &ecsv1alpha1.ServiceList{}
	if err := r.List(ctx, services, opts...); err != nil {
		return m, fmt.Errorf("listing the services of %s: %w", klog.KObj(cluster), err)
	}
	tasks := &ecsv1alpha1.TaskList{}
	if err := r.List(ctx, tasks, opts...); err != nil {
		return m, fmt.Errorf("listing the tasks of %s: %w", klog.KObj(cluster), err)
	}
	pods := &corev1.PodList{}
	if err := r.List(ctx, pods, opts...); err != nil {
		return m, fmt.Errorf("listing the service pods of %s: %w", klog.KObj(cluster), err)
	}
	instances := &ecsv1alpha1.ContainerInstanceList{}
	if err := r.List(ctx, instances, opts...); err != nil {
		return m, fmt.Errorf("listing the container instances of %s: %w", klog.KObj(cluster), err)
	}
	m.services, m.tasks, m.pods, m.instances = services.Items, tasks.Items, pods.Items, instances.Items
	return m, nil
}
