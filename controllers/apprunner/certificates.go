package apprunner

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/events"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/controllers/internal/objstatus"
	"github.com/kube-ecs/kube-ecs/internal/apprunner"
)

// The certificate controller writes the services' cert-manager Certificates in the
// activators' namespace (the manager's own: namespaced rules) and deletes them, and the
// Secrets cert-manager wrote for them (cert-manager leaves those behind), with the services.
// +kubebuilder:rbac:groups=cert-manager.io,namespace=kube-ecs-system,resources=certificates,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",namespace=kube-ecs-system,resources=secrets,verbs=delete

const (
	// DefaultCertManagerRetry is how often a service whose Certificate cannot be written
	// because cert-manager is not installed is tried again.
	DefaultCertManagerRetry = time.Minute
	// certificateResync rewrites a service's Certificate now and then: the controller does
	// not watch Certificates (their CRD may be missing), so one deleted by hand comes back.
	certificateResync = 10 * time.Hour
	// configureCertificateAction is the action of the certificate controller's events.
	configureCertificateAction = "ConfigureCertificate"
)

// CertificateReconciler has cert-manager issue each App Runner service's certificate, which
// the activators serve (--cert-source=cert-manager) instead of minting their own from the
// CA. It is a controller of its own, beside Reconciler, because its children live in another
// namespace (no owner references: a finalizer deletes them) and because cert-manager may be
// missing, which must not fail the service's other children.
type CertificateReconciler struct {
	client.Client
	// Issuer of the Certificates; nil: none, and the controller only cleans up after
	// services that still carry CertificateFinalizer (an issuer configured before).
	Issuer *apprunner.IssuerRef
	// Namespace of the activators, where the Certificates and their Secrets live.
	Namespace string
	// Domain of the services' hosts (apprunner.Host).
	Domain   string
	Recorder events.EventRecorder
	// RetryInterval while cert-manager is missing (DefaultCertManagerRetry when 0).
	RetryInterval time.Duration
}

// SetupWithManager registers the controller. Status writes (the App Runner controller's,
// many) do not trigger it: spec, labels, finalizers and deletion do.
func (r *CertificateReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&apprunnerv1alpha1.AppRunnerService{}, builder.WithPredicates(predicate.Funcs{
			UpdateFunc: func(e event.UpdateEvent) bool {
				o, n := e.ObjectOld, e.ObjectNew
				return o.GetGeneration() != n.GetGeneration() || o.GetDeletionTimestamp().IsZero() != n.GetDeletionTimestamp().IsZero() ||
					controllerutil.ContainsFinalizer(o, apprunner.CertificateFinalizer) != controllerutil.ContainsFinalizer(n, apprunner.CertificateFinalizer)
			},
		})).
		Named("apprunnercertificate").
		Complete(r)
}

// Reconcile writes the service's Certificate, or deletes it with its Secret and releases
// the service.
func (r *CertificateReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	svc := &apprunnerv1alpha1.AppRunnerService{}
	if err := r.Get(ctx, req.NamespacedName, svc); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	deleting := !svc.DeletionTimestamp.IsZero()
	if r.Issuer == nil || deleting || apprunner.IsCodeRepository(svc) {
		return ctrl.Result{}, r.reconcileDelete(ctx, svc, deleting)
	}
	if !controllerutil.ContainsFinalizer(svc, apprunner.CertificateFinalizer) {
		base := svc.DeepCopy()
		controllerutil.AddFinalizer(svc, apprunner.CertificateFinalizer)
		if err := r.Patch(ctx, svc, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
			return ctrl.Result{}, fmt.Errorf("adding finalizer %s to %s: %w", apprunner.CertificateFinalizer, klog.KObj(svc), err)
		}
	}
	base := svc.DeepCopy()
	cond, result, err := r.reconcileCertificate(ctx, svc)
	if err != nil {
		return ctrl.Result{}, err
	}
	cond.ObservedGeneration = svc.Generation
	meta.SetStatusCondition(&svc.Status.Conditions, cond)
	if err := objstatus.Patch(ctx, r.Client, base, svc, base.Status, svc.Status); err != nil {
		return ctrl.Result{}, err
	}
	r.emitCertificate(base, svc)
	return result, nil
}

// reconcileCertificate applies the Certificate and says how that went.
func (r *CertificateReconciler) reconcileCertificate(ctx context.Context, svc *apprunnerv1alpha1.AppRunnerService) (metav1.Condition, ctrl.Result, error) {
	want := apprunner.MakeCertificate(svc, r.Domain, r.Namespace, *r.Issuer)
	cur, err := r.getCertificate(ctx, want.GetName())
	switch {
	case isCertManagerMissing(err):
		return r.certManagerMissing(), ctrl.Result{RequeueAfter: r.retry()}, nil
	case err != nil:
		return metav1.Condition{}, ctrl.Result{}, err
	case cur != nil && !apprunner.CertificateOf(cur, svc):
		return metav1.Condition{
			Type: apprunnerv1alpha1.CertificateConfiguredCondition, Status: metav1.ConditionFalse, Reason: apprunnerv1alpha1.NotOwnedReason,
			Message: fmt.Sprintf("Certificate %s/%s exists and belongs to another service", r.Namespace, want.GetName()),
		}, ctrl.Result{}, nil
	}
	//nolint:staticcheck // the builder's whole object, under kube-ecs's field manager
	err = r.Patch(ctx, want, client.Apply, client.FieldOwner(ecsv1alpha1.FieldManager), client.ForceOwnership)
	if isCertManagerMissing(err) || apierrors.IsNotFound(err) {
		return r.certManagerMissing(), ctrl.Result{RequeueAfter: r.retry()}, nil
	}
	if err != nil {
		return metav1.Condition{}, ctrl.Result{}, fmt.Errorf("applying Certificate %s: %w", klog.KObj(want), err)
	}
	if cur == nil {
		log.FromContext(ctx).Info("Created certificate", "certificate", klog.KObj(want), "issuer", r.Issuer.String())
	}
	return metav1.Condition{
		Type: apprunnerv1alpha1.CertificateConfiguredCondition, Status: metav1.ConditionTrue, Reason: apprunnerv1alpha1.CertificateAppliedReason,
		Message: fmt.Sprintf("cert-manager issues Certificate %s/%s from %s into Secret %s", r.Namespace, want.GetName(), r.Issuer, want.GetName()),
	}, ctrl.Result{RequeueAfter: certificateResync}, nil
}

func (r *CertificateReconciler) certManagerMissing() metav1.Condition {
	return metav1.Condition{
		Type: apprunnerv1alpha1.CertificateConfiguredCondition, Status: metav1.ConditionFalse, Reason: apprunnerv1alpha1.CertManagerMissingReason,
		Message: fmt.Sprintf("the API server does not serve %s: install cert-manager, or install kube-ecs without activator.tls.certManager.issuerRef; trying again every %s",
			apprunner.CertificateGVK.GroupKind(), r.retry()),
	}
}

// reconcileDelete deletes the service's Certificate and Secret when it carries the
// finalizer, then removes it, and drops the condition of a service that stays.
func (r *CertificateReconciler) reconcileDelete(ctx context.Context, svc *apprunnerv1alpha1.AppRunnerService, deleting bool) error {
	if controllerutil.ContainsFinalizer(svc, apprunner.CertificateFinalizer) {
		if err := r.deleteCertificate(ctx, svc); err != nil {
			return err
		}
		base := svc.DeepCopy()
		controllerutil.RemoveFinalizer(svc, apprunner.CertificateFinalizer)
		if err := r.Patch(ctx, svc, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("removing finalizer %s from %s: %w", apprunner.CertificateFinalizer, klog.KObj(svc), err)
		}
	}
	if deleting || meta.FindStatusCondition(svc.Status.Conditions, apprunnerv1alpha1.CertificateConfiguredCondition) == nil {
		return nil
	}
	base := svc.DeepCopy()
	meta.RemoveStatusCondition(&svc.Status.Conditions, apprunnerv1alpha1.CertificateConfiguredCondition)
	return objstatus.Patch(ctx, r.Client, base, svc, base.Status, svc.Status)
}

// deleteCertificate deletes the service's Certificate and the Secret of that name, unless
// the Certificate belongs to another service.
func (r *CertificateReconciler) deleteCertificate(ctx context.Context, svc *apprunnerv1alpha1.AppRunnerService) error {
	name := apprunner.CertificateName(svc.Namespace, svc.Name)
	cur, err := r.getCertificate(ctx, name)
	switch {
	case isCertManagerMissing(err):
		cur = nil // no Certificate can exist; a Secret may remain from before
	case err != nil:
		return err
	case cur != nil && !apprunner.CertificateOf(cur, svc):
		return nil // another service's: leave it and its Secret
	}
	if cur != nil {
		if err := r.Delete(ctx, cur); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("deleting Certificate %s: %w", klog.KObj(cur), err)
		}
		log.FromContext(ctx).Info("Deleted certificate", "certificate", klog.KObj(cur))
	}
	// Deleted by name: the manager caches no Secret (and may not read them).
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: r.Namespace, Name: name}}
	if err := r.Delete(ctx, secret); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("deleting Secret %s: %w", klog.KObj(secret), err)
	}
	return nil
}

// getCertificate reads a Certificate live (the client does not cache unstructured objects);
// nil when there is none.
func (r *CertificateReconciler) getCertificate(ctx context.Context, name string) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(apprunner.CertificateGVK)
	err := r.Get(ctx, client.ObjectKey{Namespace: r.Namespace, Name: name}, u)
	switch {
	case apierrors.IsNotFound(err) && !isCertManagerMissing(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading Certificate %s/%s: %w", r.Namespace, name, err)
	}
	return u, nil
}

// isCertManagerMissing says whether err means the API server does not serve Certificates.
func isCertManagerMissing(err error) bool {
	return meta.IsNoMatchError(err)
}

func (r *CertificateReconciler) retry() time.Duration {
	if r.RetryInterval > 0 {
		return r.RetryInterval
	}
	return DefaultCertManagerRetry
}

// emitCertificate records a Warning when the Certificate cannot be written (or why changes).
func (r *CertificateReconciler) emitCertificate(base, svc *apprunnerv1alpha1.AppRunnerService) {
	c := meta.FindStatusCondition(svc.Status.Conditions, apprunnerv1alpha1.CertificateConfiguredCondition)
	if c == nil || c.Status != metav1.ConditionFalse {
		return
	}
	if b := meta.FindStatusCondition(base.Status.Conditions, apprunnerv1alpha1.CertificateConfiguredCondition); b != nil &&
		b.Status == c.Status && b.Reason == c.Reason {
		return
	}
	r.Recorder.Eventf(svc, nil, corev1.EventTypeWarning, c.Reason, configureCertificateAction, "%s", c.Message)
}
