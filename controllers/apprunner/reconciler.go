package apprunner

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/events"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/controllers/internal/objstatus"
	"github.com/kube-ecs/kube-ecs/internal/apprunner"
	"github.com/kube-ecs/kube-ecs/internal/arn"
	"github.com/kube-ecs/kube-ecs/internal/capacity"
)

// The App Runner controller runs services as Deployments, Services, Ingresses and
// ServiceAccounts.
// +kubebuilder:rbac:groups=apprunner.kube-ecs.io,resources=apprunnerservices,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=apprunner.kube-ecs.io,resources=apprunnerservices/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=services;serviceaccounts,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch
// +kubebuilder:rbac:groups=networking.k8s.io,resources=ingresses,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reasons of the events of App Runner operations.
const (
	// OperationStartedReason: an operation started (the action is its type).
	OperationStartedReason = "OperationStarted"
	// OperationSucceededReason: an operation's deployment is complete.
	OperationSucceededReason = "OperationSucceeded"
	// OperationFailedReason: an operation failed.
	OperationFailedReason = "OperationFailed"
	// SpecProblemReason: part of the spec cannot be carried out (an unmappable secret).
	SpecProblemReason = "SpecProblem"
)

// Reconciler is the App Runner service controller.
type Reconciler struct {
	client.Client
	// APIReader confirms that a Deployment the cache does not have is really missing
	// before the controller creates it with its initial replicas.
	APIReader client.Reader
	Scope     arn.Scope
	// Domain is the domain of the services' hosts (apprunner.Host).
	Domain   string
	Pools    capacity.Pools
	Clock    clock.PassiveClock
	Recorder events.EventRecorder
	// Images resolves the image tags of services with auto-deploy (images.go).
	Images ImageResolver
	// ImagePollInterval is how often they are resolved again (default 1m).
	ImagePollInterval time.Duration
	images            imageCache
	// ActivatorNamespace is where the activators run: the only pods the instances accept
	// connections from (network.go). Empty: no ingress NetworkPolicy.
	ActivatorNamespace string
}

// SetupWithManager registers the controller.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&apprunnerv1alpha1.AppRunnerService{}).
		Owns(&appsv1.Deployment{}).
		Owns(&corev1.Service{}).
		Owns(&networkingv1.Ingress{}).
		Owns(&corev1.ServiceAccount{}).
		Owns(&networkingv1.NetworkPolicy{}).
		Watches(&corev1.ConfigMap{}, handler.EnqueueRequestsFromMapFunc(r.servicesOfConnector)).
		Named("apprunnerservice").
		Complete(r)
}

// scope is one reconcile's working state.
type scope struct {
	svc *apprunnerv1alpha1.AppRunnerService
	obs apprunner.Observed
	// egress is what reconcileNetworkPolicies found (nil: it did not run).
	egress *apprunner.Egress
}

// Reconcile writes the service's children and computes its status.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, err error) {
	svc := &apprunnerv1alpha1.AppRunnerService{}
	if err := r.Get(ctx, req.NamespacedName, svc); err != nil {
		if apierrors.IsNotFound(err) {
			r.images.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !svc.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil // the garbage collector deletes the children
	}
	base := svc.DeepCopy()
	s := &scope{svc: svc, obs: apprunner.Observed{
		Scope: r.Scope, Domain: r.Domain, Now: metav1.NewTime(r.Clock.Now().Truncate(time.Second)),
	}}
	defer func() {
		apprunner.SetStatus(svc, s.obs)
		if s.egress != nil {
			apprunner.SetEgressCondition(svc, *s.egress)
		}
		if err != nil {
			meta.SetStatusCondition(&svc.Status.Conditions, metav1.Condition{
				Type: apprunnerv1alpha1.ReadyCondition, Status: metav1.ConditionFalse,
				Reason: apprunnerv1alpha1.ReconcileErrorReason, Message: err.Error(), ObservedGeneration: svc.Generation,
			})
		} else {
			svc.Status.ObservedGeneration = svc.Generation
		}
		perr := objstatus.Patch(ctx, r.Client, base, svc, base.Status, svc.Status)
		switch {
		case perr == nil:
			r.emit(base, svc, s.obs.Problems)
			r.emitImage(base, svc)
			r.emitEgress(base, svc)
		case apierrors.IsConflict(perr) && err == nil:
			// The cache had not caught up with the last write: run again on the newer object.
			result = ctrl.Result{RequeueAfter: objstatus.ConflictRetry}
		case err == nil:
			err = perr
		}
	}()
	if err := r.reconcileDeployment(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.reconcileServiceAccount(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.reconcileService(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.reconcileIngress(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.reconcileNetworkPolicies(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{RequeueAfter: r.imageRequeue(svc)}, r.getImageDigest(ctx, s)
}

// apply writes a child with server-side apply under kube-ecs's field manager; obj then holds
// the API server's answer.
func (r *Reconciler) apply(ctx context.Context, obj client.Object, owner string) error {
	//nolint:staticcheck // typed objects are what the pure builders return
	if err := r.Patch(ctx, obj, client.Apply, client.FieldOwner(owner), client.ForceOwnership); err != nil {
		return fmt.Errorf("applying %s %s: %w", obj.GetObjectKind().GroupVersionKind().Kind, klog.KObj(obj), err)
	}
	return nil
}

// reconcileDeployment writes the Deployment. A new one starts with the initial replicas,
// which the controller then hands to the autoscaler's field manager: its later writes leave
// replicas out, so only the autoscaler changes them (and dropping them from the controller's
// applied fields does not reset them to the default).
func (r *Reconciler) reconcileDeployment(ctx context.Context, s *scope) error {
	svc := s.svc
	if apprunner.IsCodeRepository(svc) {
		return nil // nothing to run; a Deployment of an earlier image keeps serving
	}
	dep, problems := apprunner.MakeDeployment(svc, r.Pools)
	s.obs.Problems = problems
	cur := &appsv1.Deployment{}
	err := r.Get(ctx, client.ObjectKeyFromObject(dep), cur)
	if apierrors.IsNotFound(err) {
		err = r.APIReader.Get(ctx, client.ObjectKeyFromObject(dep), cur)
	}
	switch {
	case apierrors.IsNotFound(err):
		r.pinImage(ctx, s, dep, nil)
		n := apprunner.InitialReplicas(svc)
		dep.Spec.Replicas = &n
		if err := r.apply(ctx, dep, ecsv1alpha1.FieldManager); err != nil {
			return err
		}
		log.FromContext(ctx).Info("Created deployment", "deployment", klog.KObj(dep), "replicas", n)
		s.obs.Deployment = dep
		return r.handOffReplicas(ctx, dep, n)
	case err != nil:
		return fmt.Errorf("reading %s: %w", klog.KObj(dep), err)
	}
	if !metav1.IsControlledBy(cur, svc) {
		return notOwned("Deployment", cur.Name)
	}
	s.obs.Previous = cur
	if !replicasHandedOff(cur) {
		n := int32(1)
		if cur.Spec.Replicas != nil {
			n = *cur.Spec.Replicas
		}
		if err := r.handOffReplicas(ctx, cur, n); err != nil {
			return err
		}
	}
	r.pinImage(ctx, s, dep, cur)
	if err := r.apply(ctx, dep, ecsv1alpha1.FieldManager); err != nil {
		return err
	}
	s.obs.Deployment = dep
	return nil
}

// handOffReplicas applies replicas n under the autoscaler's field manager, which then owns
// them with the controller until the controller's next write leaves them out.
func (r *Reconciler) handOffReplicas(ctx context.Context, dep *appsv1.Deployment, n int32) error {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": dep.Name, "namespace": dep.Namespace},
		"spec":     map[string]any{"replicas": int64(n)},
	}}
	//nolint:staticcheck // a partial object: only replicas change hands
	if err := r.Patch(ctx, u, client.Apply, client.FieldOwner(apprunner.AutoscalerFieldManager), client.ForceOwnership); err != nil {
		return fmt.Errorf("handing the replicas of %s to the autoscaler: %w", klog.KObj(dep), err)
	}
	return nil
}

// replicasHandedOff says a field manager other than the controller's owns spec.replicas.
func replicasHandedOff(dep *appsv1.Deployment) bool {
	for _, mf := range dep.ManagedFields {
		if mf.Manager == ecsv1alpha1.FieldManager || mf.FieldsV1 == nil || mf.Subresource == "status" {
			continue
		}
		var fields struct {
			Spec map[string]json.RawMessage `json:"f:spec"`
		}
		if json.Unmarshal(mf.FieldsV1.Raw, &fields) == nil {
			if _, ok := fields.Spec["f:replicas"]; ok {
				return true
			}
		}
		if mf.Subresource == "scale" {
			return true // the scale subresource's fields are its own: spec.replicas
		}
	}
	return false
}

func notOwned(kind, name string) error {
	return fmt.Errorf("%s: %s %s exists and is not controlled by this service", apprunnerv1alpha1.NotOwnedReason, kind, name)
}

// applyOrDelete writes want (when not nil) or deletes the child of that name the service
// controls. It never takes over or deletes an object it does not control.
func (r *Reconciler) applyOrDelete(ctx context.Context, svc *apprunnerv1alpha1.AppRunnerService, kind string, cur, want client.Object) (bool, error) {
	err := r.Get(ctx, client.ObjectKeyFromObject(cur), cur)
	if err != nil && !apierrors.IsNotFound(err) {
		return false, fmt.Errorf("reading %s %s: %w", kind, klog.KObj(cur), err)
	}
	exists := err == nil
	if exists && !metav1.IsControlledBy(cur, svc) {
		if want == nil {
			return false, nil // not ours: leave it
		}
		return false, notOwned(kind, cur.GetName())
	}
	if want != nil {
		return true, r.apply(ctx, want, ecsv1alpha1.FieldManager)
	}
	if exists && cur.GetDeletionTimestamp() == nil {
		if err := r.Delete(ctx, cur); client.IgnoreNotFound(err) != nil {
			return false, fmt.Errorf("deleting %s %s: %w", kind, klog.KObj(cur), err)
		}
		log.FromContext(ctx).Info("Deleted "+kind+" the service no longer needs", "object", klog.KObj(cur))
	}
	return false, nil
}

func (r *Reconciler) childKey(svc *apprunnerv1alpha1.AppRunnerService, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: svc.Namespace, Name: name}
}

// reconcileServiceAccount writes the ServiceAccount of the instance role, or deletes it.
func (r *Reconciler) reconcileServiceAccount(ctx context.Context, s *scope) error {
	var want client.Object
	if sa := apprunner.MakeServiceAccount(s.svc); sa != nil && !apprunner.IsCodeRepository(s.svc) {
		want = sa
	}
	cur := &corev1.ServiceAccount{ObjectMeta: r.childKey(s.svc, apprunner.ServiceAccountName(s.svc))}
	_, err := r.applyOrDelete(ctx, s.svc, "ServiceAccount", cur, want)
	return err
}

// reconcileService writes the Kubernetes Service the activator routes to.
func (r *Reconciler) reconcileService(ctx context.Context, s *scope) error {
	if apprunner.IsCodeRepository(s.svc) {
		return nil
	}
	cur := &corev1.Service{ObjectMeta: r.childKey(s.svc, apprunner.ServiceName(s.svc))}
	ok, err := r.applyOrDelete(ctx, s.svc, "Service", cur, apprunner.MakeService(s.svc))
	s.obs.ServiceExists = ok && err == nil
	return err
}

// reconcileIngress writes the Ingress of a public service, or deletes it.
func (r *Reconciler) reconcileIngress(ctx context.Context, s *scope) error {
	var want client.Object
	if ing := apprunner.MakeIngress(s.svc, r.Domain); ing != nil && !apprunner.IsCodeRepository(s.svc) {
		want = ing
	}
	cur := &networkingv1.Ingress{ObjectMeta: r.childKey(s.svc, apprunner.IngressName(s.svc))}
	_, err := r.applyOrDelete(ctx, s.svc, "Ingress", cur, want)
	return err
}

// getImageDigest reads the image digest the newest running instance of the current
// template pulled.
func (r *Reconciler) getImageDigest(ctx context.Context, s *scope) error {
	d := s.obs.Deployment
	if d == nil {
		return nil
	}
	pods := &corev1.PodList{}
	if err := r.List(ctx, pods, client.InNamespace(s.svc.Namespace), client.MatchingLabels(apprunner.Selector(s.svc))); err != nil {
		return fmt.Errorf("listing the instances of %s: %w", klog.KObj(s.svc), err)
	}
	image := d.Spec.Template.Spec.Containers[0].Image
	token := d.Spec.Template.Annotations[apprunner.RestartedAtAnnotation]
	var newest *corev1.Pod
	for i := range pods.Items {
		p := &pods.Items[i]
		if p.Status.Phase != corev1.PodRunning || p.Annotations[apprunner.RestartedAtAnnotation] != token {
			continue
		}
		if newest == nil || newest.CreationTimestamp.Before(&p.CreationTimestamp) {
			for _, cs := range p.Status.ContainerStatuses {
				if cs.Name == apprunner.ContainerName && cs.Image == image && apprunner.ImageDigest(cs.ImageID) != "" {
					newest = p
				}
			}
		}
	}
	if newest != nil {
		for _, cs := range newest.Status.ContainerStatuses {
			if cs.Name == apprunner.ContainerName {
				s.obs.ImageDigest = apprunner.ImageDigest(cs.ImageID)
			}
		}
	}
	return nil
}

// emit records the events of the operations this reconcile started and ended, once the
// status that holds them is written.
func (r *Reconciler) emit(base, svc *apprunnerv1alpha1.AppRunnerService, problems []string) {
	before, op := base.Status.CurrentOperation, svc.Status.CurrentOperation
	if op == nil {
		return
	}
	started := before == nil || before.ID != op.ID
	if started {
		r.Recorder.Eventf(svc, nil, corev1.EventTypeNormal, OperationStartedReason, string(op.Type),
			"Operation %s %s started", op.Type, op.ID)
		for _, p := range problems {
			r.Recorder.Eventf(svc, nil, corev1.EventTypeWarning, SpecProblemReason, string(op.Type), "%s", p)
		}
	}
	if op.Status == apprunnerv1alpha1.OperationInProgress || (!started && before.Status == op.Status) {
		return
	}
	switch op.Status {
	case apprunnerv1alpha1.OperationSucceeded:
		r.Recorder.Eventf(svc, nil, corev1.EventTypeNormal, OperationSucceededReason, string(op.Type),
			"Operation %s %s SUCCEEDED; the service is %s", op.Type, op.ID, svc.Status.Status)
	case apprunnerv1alpha1.OperationFailed:
		msg := fmt.Sprintf("Operation %s %s FAILED; the service is %s", op.Type, op.ID, svc.Status.Status)
		if cond := meta.FindStatusCondition(svc.Status.Conditions, apprunnerv1alpha1.ReadyCondition); cond != nil {
			msg += ": " + cond.Message
		}
		r.Recorder.Eventf(svc, nil, corev1.EventTypeWarning, OperationFailedReason, string(op.Type), "%s", msg)
	}
}
