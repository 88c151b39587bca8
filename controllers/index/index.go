// Package index registers the cache field indexes several kube-ecs controllers share; a
// field can be indexed only once per manager.
package index

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// Shared indexes.
const (
	// PodNode indexes Pods by spec.nodeName.
	PodNode = "spec.nodeName"
	// InstanceNode indexes ContainerInstances by spec.nodeName.
	InstanceNode = "spec.nodeName"
	// InstanceCluster indexes ContainerInstances by spec.cluster.
	InstanceCluster = "spec.cluster"
)

// Setup registers the shared indexes with mgr's cache.
func Setup(ctx context.Context, mgr ctrl.Manager) error {
	idx := mgr.GetFieldIndexer()
	if err := idx.IndexField(ctx, &corev1.Pod{}, PodNode, func(o client.Object) []string {
		if n := o.(*corev1.Pod).Spec.NodeName; n != "" {
			return []string{n}
		}
		return nil
	}); err != nil {
		return fmt.Errorf("indexing pods by node: %w", err)
	}
	if err := idx.IndexField(ctx, &ecsv1alpha1.ContainerInstance{}, InstanceNode, func(o client.Object) []string {
		return []string{o.(*ecsv1alpha1.ContainerInstance).Spec.NodeName}
	}); err != nil {
		return fmt.Errorf("indexing container instances by node: %w", err)
	}
	if err := idx.IndexField(ctx, &ecsv1alpha1.ContainerInstance{}, InstanceCluster, func(o client.Object) []string {
		return []string{o.(*ecsv1alpha1.ContainerInstance).Spec.Cluster}
	}); err != nil {
		return fmt.Errorf("indexing container instances by cluster: %w", err)
	}
	return nil
}
