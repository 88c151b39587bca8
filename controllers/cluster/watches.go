package cluster

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/controllers/internal/coalesce"
)

// clusterIndex indexes Tasks, Services, ContainerInstances and services' Pods by the name of
// the cluster they belong to. Pods of standalone tasks are not indexed: their Task counts.
const clusterIndex = "cluster.ecs.kube-ecs.io/member-of"

// SetupWithManager registers the controller: Clusters, and the Tasks, Services,
// ContainerInstances and services' Pods that name them, each only when what the cluster
// counts of it changes.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager) error {
	return r.setup(ctx, mgr, r)
}

func (r *Reconciler) setup(ctx context.Context, mgr ctrl.Manager, rec reconcile.Reconciler) error {
	indexes := []struct {
		obj client.Object
		fn  func(client.Object) string
	}{
		{&ecsv1alpha1.Task{}, clusterOfTask},
		{&ecsv1alpha1.Service{}, clusterOfService},
		{&ecsv1alpha1.ContainerInstance{}, clusterOfInstance},
		{&corev1.Pod{}, clusterOfPod},
	}
	for _, ix := range indexes {
		fn := ix.fn
		if err := mgr.GetFieldIndexer().IndexField(ctx, ix.obj, clusterIndex, func(o client.Object) []string {
			if c := fn(o); c != "" {
				return []string{c}
			}
			return nil
		}); err != nil {
			return fmt.Errorf("indexing %T by cluster: %w", ix.obj, err)
		}
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&ecsv1alpha1.Cluster{}, builder.WithPredicates(clusterChanged)).
		Watches(&ecsv1alpha1.Task{}, toCluster(clusterOfTask),
			builder.WithPredicates(changed(func(o client.Object) any {
				t := o.(*ecsv1alpha1.Task)
				return [2]any{clusterOfTask(t), classOfTask(t)}
			}))).
		Watches(&ecsv1alpha1.Service{}, toCluster(clusterOfService),
			builder.WithPredicates(changed(func(o client.Object) any {
				return [2]any{clusterOfService(o), o.GetDeletionTimestamp() == nil}
			}))).
		Watches(&ecsv1alpha1.ContainerInstance{}, toCluster(clusterOfInstance),
			builder.WithPredicates(changed(func(o client.Object) any { return clusterOfInstance(o) }))).
		Watches(&corev1.Pod{}, toCluster(clusterOfPod),
			builder.WithPredicates(servicePod, changed(func(o client.Object) any {
				return [2]any{clusterOfPod(o), classOfPod(o.(*corev1.Pod))}
			}))).
		Named("cluster").
		Complete(rec)
}

func clusterOfTask(o client.Object) string { return ClusterName(o.(*ecsv1alpha1.Task).Spec.Cluster) }

func clusterOfService(o client.Object) string {
	return ClusterName(o.(*ecsv1alpha1.Service).Spec.Cluster)
}

func clusterOfInstance(o client.Object) string {
	return ClusterName(o.(*ecsv1alpha1.ContainerInstance).Spec.Cluster)
}

// clusterOfPod is the cluster of a service's pod, "" for any other pod.
func clusterOfPod(o client.Object) string {
	if _, ok := o.GetLabels()[ecsv1alpha1.ServiceLabel]; !ok {
		return ""
	}
	return o.GetLabels()[ecsv1alpha1.ClusterLabel]
}

// toCluster enqueues the cluster an object names.
// toCluster enqueues the cluster a member names (before and after an update), with the
// other changes of the same second.
func toCluster(clusterOf func(client.Object) string) handler.EventHandler {
	return coalesce.EnqueueAfter(func(_ context.Context, o client.Object) []reconcile.Request {
		name := clusterOf(o)
		if name == "" {
			return nil
		}
		return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: o.GetNamespace(), Name: name}}}
	})
}

// changed lets an update through only when key, what the cluster reads of the object,
// differs: a task's container health or a pod's IP never reach the cluster's queue.
func changed(key func(client.Object) any) predicate.Funcs {
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		return key(e.ObjectOld) != key(e.ObjectNew)
	}}
}

// servicePod keeps the pods of services; a pod of a standalone task counts through its Task.
var servicePod = predicate.Funcs{
	CreateFunc:  func(e event.CreateEvent) bool { return clusterOfPod(e.Object) != "" },
	DeleteFunc:  func(e event.DeleteEvent) bool { return clusterOfPod(e.Object) != "" },
	GenericFunc: func(e event.GenericEvent) bool { return clusterOfPod(e.Object) != "" },
	UpdateFunc: func(e event.UpdateEvent) bool {
		return clusterOfPod(e.ObjectOld) != "" || clusterOfPod(e.ObjectNew) != ""
	},
}

// clusterChanged ignores the cluster's own status writes: only its spec, deletion and
// finalizers matter to it.
var clusterChanged = predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
	o, n := e.ObjectOld, e.ObjectNew
	return o.GetGeneration() != n.GetGeneration() ||
		o.GetDeletionTimestamp().IsZero() != n.GetDeletionTimestamp().IsZero() ||
		!slices.Equal(o.GetFinalizers(), n.GetFinalizers())
}}
