package task

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// waitingToStart is a task whose pod has not been created yet.
func waitingToStart(t *ecsv1alpha1.Task) bool {
	return t.Status.PodName == "" && t.Status.LastStatus != ecsv1alpha1.TaskStopped
}

// tasksOfFamily maps a TaskDefinition to the tasks that wait to start with it.
func (r *Reconciler) tasksOfFamily(ctx context.Context, o client.Object) []reconcile.Request {
	list := &ecsv1alpha1.TaskList{}
	if err := r.List(ctx, list, client.InNamespace(o.GetNamespace()), client.MatchingFields{familyIndex: o.GetName()}); err != nil {
		log.FromContext(ctx).Error(err, "listing the tasks of a family", "family", o.GetName())
		return nil
	}
	return requests(list, func(t *ecsv1alpha1.Task) bool { return waitingToStart(t) })
}

// waitingTasksOfCluster maps a Cluster to the tasks that wait to start in it.
func (r *Reconciler) waitingTasksOfCluster(ctx context.Context, o client.Object) []reconcile.Request {
	list := &ecsv1alpha1.TaskList{}
	if err := r.List(ctx, list, client.InNamespace(o.GetNamespace())); err != nil {
		log.FromContext(ctx).Error(err, "listing the tasks of a cluster", "cluster", o.GetName())
		return nil
	}
	return requests(list, func(t *ecsv1alpha1.Task) bool { return waitingToStart(t) && clusterOf(t) == o.GetName() })
}

func requests(list *ecsv1alpha1.TaskList, keep func(*ecsv1alpha1.Task) bool) []reconcile.Request {
	var out []reconcile.Request
	for i := range list.Items {
		if keep(&list.Items[i]) {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return out
}
