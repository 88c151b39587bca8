//go:build envtest

package cluster

import (
	"context"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// SetupThrough registers r as SetupWithManager does, with its reconciles going through wrap,
// so that the suite can count them.
func (r *Reconciler) SetupThrough(ctx context.Context, mgr ctrl.Manager, wrap func(reconcile.Reconciler) reconcile.Reconciler) error {
	return r.setup(ctx, mgr, wrap(r))
}
