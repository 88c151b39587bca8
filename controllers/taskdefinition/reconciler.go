package taskdefinition

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/controllers/internal/objstatus"
	"github.com/kube-ecs/kube-ecs/internal/arn"
)

// Event reasons of the TaskDefinition controller.
const (
	RegisteredReason   = "Registered"
	DeregisteredReason = "Deregistered"
)

// The controller keeps a family's revisions as ControllerRevisions.
// +kubebuilder:rbac:groups=apps,resources=controllerrevisions,verbs=get;list;watch;create;patch

// Reconciler registers a family's revisions and reports them in its status.
type Reconciler struct {
	client.Client
	// APIReader reads revisions from the API server, not the cache: registering the next
	// number must see every revision already registered.
	APIReader client.Reader
	Scope     arn.Scope
	Clock     clock.PassiveClock
	Recorder  events.EventRecorder
}

// SetupWithManager registers the controller: it watches TaskDefinitions and the
// ControllerRevisions they own.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&ecsv1alpha1.TaskDefinition{}).
		Owns(&appsv1.ControllerRevision{}).
		Named("taskdefinition").
		Complete(r)
}

// Reconcile registers the current spec as a revision when it differs from the newest one,
// records deregistrations, and writes the status once.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, err error) {
	td := &ecsv1alpha1.TaskDefinition{}
	if err := r.Get(ctx, req.NamespacedName, td); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !td.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil // revisions are garbage-collected with their owner
	}
	base := td.DeepCopy()
	defer func() {
		if err != nil {
			meta.SetStatusCondition(&td.Status.Conditions, metav1.Condition{
				Type: ecsv1alpha1.ReadyCondition, Status: metav1.ConditionFalse,
				Reason: ecsv1alpha1.ReconcileErrorReason, Message: err.Error(), ObservedGeneration: td.Generation,
			})
		}
		objstatus.Settle(objstatus.Patch(ctx, r.Client, base, td, base.Status, td.Status), &result, &err)
	}()

	revs, err := r.getRevisions(ctx, td)
	if err != nil {
		return ctrl.Result{}, err
	}
	current, revs, err := r.reconcileRegistration(ctx, td, revs)
	if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
		// The namespace controller deleted the revisions first; the task definition goes next.
		return ctrl.Result{}, nil
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	if err := r.reconcileDeregistrations(ctx, td, revs); err != nil {
		return ctrl.Result{}, err
	}
	td.Status = computeStatus(td, revs, current, r.Scope, metav1.NewTime(r.Clock.Now()))
	return ctrl.Result{}, nil
}

// getRevisions lists the revisions td owns, oldest first.
func (r *Reconciler) getRevisions(ctx context.Context, td *ecsv1alpha1.TaskDefinition) ([]appsv1.ControllerRevision, error) {
	list := &appsv1.ControllerRevisionList{}
	if err := r.APIReader.List(ctx, list, client.InNamespace(td.Namespace), client.MatchingLabels{ecsv1alpha1.FamilyLabel: td.Name}); err != nil {
		return nil, fmt.Errorf("listing the revisions of %s: %w", klog.KObj(td), err)
	}
	revs := owned(td, list.Items)
	sortRevisions(revs)
	return revs, nil
}

// reconcileRegistration registers the current spec as the next revision unless the newest
// revision already holds it. It returns the current spec's revision and the revisions.
func (r *Reconciler) reconcileRegistration(ctx context.Context, td *ecsv1alpha1.TaskDefinition, revs []appsv1.ControllerRevision) (int32, []appsv1.ControllerRevision, error) {
	hash, data, err := Hash(RegisteredSpec(&td.Spec))
	if err != nil {
		return 0, revs, err
	}
	if !needsRegistration(revs, hash) {
		return revisionNumber(&revs[len(revs)-1]), revs, nil
	}
	n := nextRevision(td, revs)
	cr := MakeRevision(td, n, hash, data)
	if err := r.Create(ctx, cr); err != nil {
		if apierrors.IsAlreadyExists(err) {
			// Revisions are listed live, so the object is not ours: say so, never adopt it.
			return 0, revs, fmt.Errorf("%s: ControllerRevision %s already exists and is not a revision of this family; rename or delete it",
				ecsv1alpha1.NotOwnedReason, cr.Name)
		}
		return 0, revs, fmt.Errorf("registering revision %d of %s: %w", n, klog.KObj(td), err)
	}
	log.FromContext(ctx).Info("Registered revision", "taskDefinition", klog.KObj(td), "revision", n)
	r.Recorder.Eventf(td, nil, corev1.EventTypeNormal, RegisteredReason, "Register",
		"Registered task definition %s:%d", td.Name, n)
	return n, append(revs, *cr), nil
}

// reconcileDeregistrations records, on each revision the spec deregisters, when it was
// deregistered: from then on it is INACTIVE whatever the spec says.
func (r *Reconciler) reconcileDeregistrations(ctx context.Context, td *ecsv1alpha1.TaskDefinition, revs []appsv1.ControllerRevision) error {
	for _, cr := range toDeregister(td, revs) {
		patch := client.MergeFrom(cr.DeepCopy())
		if cr.Annotations == nil {
			cr.Annotations = map[string]string{}
		}
		cr.Annotations[DeregisteredAtAnnotation] = r.Clock.Now().UTC().Format(time.RFC3339)
		if err := r.Patch(ctx, cr, patch); err != nil {
			return fmt.Errorf("deregistering revision %d of %s: %w", cr.Revision, klog.KObj(td), err)
		}
		r.Recorder.Eventf(td, nil, corev1.EventTypeNormal, DeregisteredReason, "Deregister",
			"Deregistered task definition %s:%d: it is INACTIVE and cannot start new tasks or services", td.Name, cr.Revision)
	}
	return nil
}
