// Package objstatus holds what every kube-ecs reconciler does with its object's status: one
// write per reconcile, only when the status changed.
package objstatus

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ConflictRetry is when a reconcile whose status write lost to a newer version of the object
// runs again. The newer version's event usually brings it back first; this is the safety net.
const ConflictRetry = time.Second

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

// Settle folds the status write's error perr into a reconcile's result and error: a conflict
// (the cache had not caught up with the last write) runs the reconcile again shortly, with no
// error to log; any other error becomes the reconcile's, unless it already has one.
func Settle(perr error, result *ctrl.Result, err *error) {
	switch {
	case perr == nil || *err != nil:
	case apierrors.IsConflict(perr):
		*result = ctrl.Result{RequeueAfter: ConflictRetry}
	default:
		*err = perr
	}
}
