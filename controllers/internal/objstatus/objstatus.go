// Package objstatus holds what every kube-ecs reconciler does with its object's status: one
// write per reconcile, only when the status changed.
package objstatus

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Patch writes obj's status when it differs from base's. The patch carries base's
// resourceVersion (optimistic locking), so a reconcile that worked from a stale cache fails
// with a conflict and runs again instead of overwriting a newer status. An object deleted
// meanwhile is not an error.
func Patch(ctx context.Context, c client.Client, base, obj client.Object, baseStatus, objStatus any) error {
	if equality.Semantic.DeepEqual(baseStatus, objStatus) {
		return nil
	}
	err := c.Status().Patch(ctx, obj, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("writing the status of %s: %w", klog.KObj(obj), err)
	}
	return nil
}
