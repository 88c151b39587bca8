package service

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/tools/events"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/controllers/internal/objstatus"
	"github.com/kube-ecs/kube-ecs/controllers/taskdefinition"
	"github.com/kube-ecs/kube-ecs/internal/arn"
	"github.com/kube-ecs/kube-ecs/internal/capacity"
)

// The service controller runs services as Deployments, DaemonSets, Services and Ingresses.
// +kubebuilder:rbac:groups=ecs.kube-ecs.io,resources=services,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=ecs.kube-ecs.io,resources=services/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=ecs.kube-ecs.io,resources=services/finalizers,verbs=update
// +kubebuilder:rbac:groups=ecs.kube-ecs.io,resources=clusters;taskdefinitions,verbs=get;list;watch
// +kubebuilder:rbac:groups=apps,resources=deployments;daemonsets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=apps,resources=replicasets,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch;delete
// +kubebuilder:rbac:groups=networking.k8s.io,resources=ingresses,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconciler is the ECS service scheduler.
type Reconciler struct {
	client.Client
	Scope    arn.Scope
	Clock    clock.PassiveClock
	Recorder events.EventRecorder
	Pools    capacity.Pools
	// Rand draws deployment ids (crypto/rand when nil).
	Rand io.Reader

	trackers trackers
}

// Field indexes of Services.
const (
	familyIndex  = "spec.taskDefinition.family"
	clusterIndex = "spec.cluster"
)

// SetupWithManager registers the controller.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager) error {
	idx := mgr.GetFieldIndexer()
	if err := idx.IndexField(ctx, &ecsv1alpha1.Service{}, familyIndex, func(o client.Object) []string {
		ref, err := taskdefinition.ParseReference(o.(*ecsv1alpha1.Service).Spec.TaskDefinition)
		if err != nil {
			return nil
		}
		return []string{ref.Family}
	}); err != nil {
		return fmt.Errorf("indexing services by family: %w", err)
	}
	if err := idx.IndexField(ctx, &ecsv1alpha1.Service{}, clusterIndex, func(o client.Object) []string {
		return []string{clusterOf(o.(*ecsv1alpha1.Service))}
	}); err != nil {
		return fmt.Errorf("indexing services by cluster: %w", err)
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&ecsv1alpha1.Service{}).
		Owns(&appsv1.Deployment{}).
		Owns(&appsv1.DaemonSet{}).
		Owns(&corev1.Service{}).
		Owns(&networkingv1.Ingress{}).
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(serviceOfPod)).
		Watches(&ecsv1alpha1.TaskDefinition{}, handler.EnqueueRequestsFromMapFunc(r.servicesBy(familyIndex))).
		Watches(&ecsv1alpha1.Cluster{}, handler.EnqueueRequestsFromMapFunc(r.servicesBy(clusterIndex)), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		// An instance set to DRAINING (or back to ACTIVE), or a node cordoned, changes which
		// tasks must move: without these the drain waits for an unrelated reconcile.
		Watches(&ecsv1alpha1.ContainerInstance{}, handler.EnqueueRequestsFromMapFunc(r.servicesOfInstance), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&corev1.Node{}, handler.EnqueueRequestsFromMapFunc(r.allServices), builder.WithPredicates(cordonChanged)).
		Named("service").
		Complete(r)
}

func serviceOfPod(_ context.Context, o client.Object) []ctrl.Request {
	name := o.GetLabels()[ecsv1alpha1.ServiceLabel]
	if name == "" {
		return nil
	}
	return []ctrl.Request{{NamespacedName: client.ObjectKey{Namespace: o.GetNamespace(), Name: name}}}
}

func (r *Reconciler) servicesBy(index string) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []ctrl.Request {
		return r.services(ctx, client.InNamespace(o.GetNamespace()), client.MatchingFields{index: o.GetName()})
	}
}

// servicesOfInstance are the services of a container instance's cluster.
func (r *Reconciler) servicesOfInstance(ctx context.Context, o client.Object) []ctrl.Request {
	ci := o.(*ecsv1alpha1.ContainerInstance)
	return r.services(ctx, client.InNamespace(ci.Namespace), client.MatchingFields{clusterIndex: ci.Spec.Cluster})
}

// allServices are every service: a node may be an instance of any namespace's clusters, and
// a cordon is rare enough not to index pods by node for it.
func (r *Reconciler) allServices(ctx context.Context, _ client.Object) []ctrl.Request {
	return r.services(ctx)
}

func (r *Reconciler) services(ctx context.Context, opts ...client.ListOption) []ctrl.Request {
	list := &ecsv1alpha1.ServiceList{}
	if err := r.List(ctx, list, opts...); err != nil {
		log.FromContext(ctx).Error(err, "Listing services")
		return nil
	}
	reqs := make([]ctrl.Request, 0, len(list.Items))
	for _, s := range list.Items {
		reqs = append(reqs, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(&s)})
	}
	return reqs
}

// cordonChanged lets through the node updates that cordon or uncordon it.
var cordonChanged = predicate.Funcs{
	CreateFunc:  func(event.CreateEvent) bool { return false },
	DeleteFunc:  func(event.DeleteEvent) bool { return false },
	GenericFunc: func(event.GenericEvent) bool { return false },
	UpdateFunc: func(e event.UpdateEvent) bool {
		old, ok1 := e.ObjectOld.(*corev1.Node)
		cur, ok2 := e.ObjectNew.(*corev1.Node)
		return ok1 && ok2 && old.Spec.Unschedulable != cur.Spec.Unschedulable
	},
}

func clusterOf(svc *ecsv1alpha1.Service) string {
	c := svc.Spec.Cluster
	if c == "" {
		return ecsv1alpha1.DefaultClusterName
	}
	if i := lastSlash(c); i >= 0 && len(c) > 4 && c[:4] == "arn:" {
		return c[i+1:]
	}
	return c
}

func lastSlash(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return i
		}
	}
	return -1
}

// Reconcile runs one pass of the service scheduler.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, err error) {
	svc := &ecsv1alpha1.Service{}
	if err := r.Get(ctx, req.NamespacedName, svc); err != nil {
		if apierrors.IsNotFound(err) {
			r.trackers.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !svc.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, svc)
	}
	if !controllerutil.ContainsFinalizer(svc, ecsv1alpha1.ServiceFinalizer) {
		patch := client.MergeFrom(svc.DeepCopy())
		controllerutil.AddFinalizer(svc, ecsv1alpha1.ServiceFinalizer)
		if err := r.Patch(ctx, svc, patch); err != nil {
			return ctrl.Result{}, fmt.Errorf("adding the finalizer of %s: %w", klog.KObj(svc), err)
		}
	}
	tr := r.trackers.get(req.NamespacedName)
	s := &scope{svc: svc, tr: tr, now: metav1.NewTime(r.Clock.Now().Truncate(time.Second))}
	base := svc.DeepCopy()
	before := tr.snapshot()
	defer func() {
		if err != nil {
			setCondition(svc, ecsv1alpha1.ReadyCondition, metav1.ConditionFalse, ecsv1alpha1.ReconcileErrorReason, err.Error())
		} else {
			svc.Status.ObservedGeneration = svc.Generation
		}
		perr := objstatus.Patch(ctx, r.Client, base, svc, base.Status, svc.Status)
		switch {
		case perr == nil:
			clear(tr.failures) // they are in the written status now
			r.emit(svc, s.events)
		case apierrors.IsConflict(perr) && err == nil:
			// The cache had not caught up with the last write yet: run again on the newer
			// object; the events of this pass are sent then.
			tr.restore(before)
			result, err = ctrl.Result{RequeueAfter: objstatus.ConflictRetry}, nil
			return
		case err == nil:
			err = perr
		}
		if perr != nil {
			tr.restore(before)
		}
		if err != nil {
			result = ctrl.Result{}
		}
	}()
	return r.reconcileService(ctx, s)
}

// scope is one reconcile's working state.
type scope struct {
	svc     *ecsv1alpha1.Service
	tr      *tracker
	now     metav1.Time
	cluster *ecsv1alpha1.Cluster
	tasks   []taskView
	// events are the ECS events of this pass, oldest first; they are recorded in the
	// status and sent as Kubernetes Events once the status is written.
	events  []pendingEvent
	requeue time.Duration
	blocked bool
	// drainLeft is the number of tasks on DRAINING instances still running after this pass.
	drainLeft int
	// unsettled: a workload has not carried out its spec yet (its controller has not
	// observed it, or its pods are not all updated and available).
	unsettled bool
}

func metav1IsControlledBy(o, owner metav1.Object) bool { return metav1.IsControlledBy(o, owner) }

func intOrInt(n int32) intstr.IntOrString { return intstr.FromInt32(n) }

type pendingEvent struct {
	warning bool
	reason  string
	message string
	// deploy: a Kubernetes Event of the Deploy action, not an ECS service event (it stays
	// out of status.events).
	deploy bool
}

func (s *scope) event(warning bool, reason, message string) {
	s.events = append(s.events, pendingEvent{warning: warning, reason: reason, message: message})
}

func (s *scope) requeueAfter(d time.Duration) {
	if d <= 0 {
		d = time.Second
	}
	if s.requeue == 0 || d < s.requeue {
		s.requeue = d
	}
}

func (r *Reconciler) reconcileService(ctx context.Context, s *scope) (ctrl.Result, error) {
	svc := s.svc
	st := &svc.Status
	if st.Status == "" {
		created := svc.CreationTimestamp
		st.Status, st.CreatedAt = ecsv1alpha1.ServiceActive, &created
	}
	name := clusterOf(svc)
	st.ServiceArn, st.ClusterArn = r.Scope.Service(name, svc.Name), r.Scope.Cluster(name)
	cluster := &ecsv1alpha1.Cluster{}
	if err := r.Get(ctx, client.ObjectKey{Namespace: svc.Namespace, Name: name}, cluster); err != nil {
		if !apierrors.IsNotFound(err) {
			return ctrl.Result{}, fmt.Errorf("reading cluster %s: %w", name, err)
		}
		setCondition(svc, ecsv1alpha1.ReadyCondition, metav1.ConditionFalse, ecsv1alpha1.ClusterNotFoundReason,
			fmt.Sprintf("ClusterNotFoundException: Cluster not found: no Cluster %q in namespace %q", name, svc.Namespace))
		return ctrl.Result{}, nil // the Cluster watch brings the service back
	}
	s.cluster = cluster

	if err := r.observe(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.reconcileFailedTasks(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	plan, err := r.reconcileDeployments(ctx, s)
	if err != nil || plan == nil {
		return ctrl.Result{RequeueAfter: s.requeue}, err
	}
	if !plan.daemon {
		if err := r.reconcileDraining(ctx, s, plan); err != nil {
			return ctrl.Result{}, err
		}
		drainSurge(s, plan)
	}
	if plan.newPrimary {
		// The status write carries the resourceVersion this pass read: a pass that read a
		// stale service fails there, and must not have run a deployment nothing records.
		// The workloads follow once the status holds the new PRIMARY deployment.
		s.unsettled = true
		s.requeueAfter(time.Second)
	} else if err := r.reconcileWorkloads(ctx, s, plan); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.reconcileNetworking(ctx, s, plan); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.reconcileStatus(ctx, s, plan); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{RequeueAfter: s.requeue}, nil
}

// reconcileDelete stops the deleted service's tasks (DRAINING), then lets it go.
func (r *Reconciler) reconcileDelete(ctx context.Context, svc *ecsv1alpha1.Service) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(svc, ecsv1alpha1.ServiceFinalizer) {
		return ctrl.Result{}, nil
	}
	base := svc.DeepCopy()
	pods := &corev1.PodList{}
	if err := r.List(ctx, pods, client.InNamespace(svc.Namespace), client.MatchingLabels{ecsv1alpha1.ServiceLabel: svc.Name}); err != nil {
		return ctrl.Result{}, fmt.Errorf("listing the tasks of %s: %w", klog.KObj(svc), err)
	}
	for _, kind := range []client.ObjectList{&appsv1.DeploymentList{}, &appsv1.DaemonSetList{}} {
		objs, err := r.owned(ctx, svc, kind)
		if err != nil {
			return ctrl.Result{}, err
		}
		for _, o := range objs {
			if o.GetDeletionTimestamp() != nil {
				continue
			}
			if err := r.Delete(ctx, o, client.PropagationPolicy(metav1.DeletePropagationBackground)); client.IgnoreNotFound(err) != nil {
				return ctrl.Result{}, fmt.Errorf("deleting %s of %s: %w", o.GetName(), klog.KObj(svc), err)
			}
		}
	}
	if len(pods.Items) > 0 {
		svc.Status.Status = ecsv1alpha1.ServiceDraining
		svc.Status.DesiredCount = 0
		setCondition(svc, ecsv1alpha1.ReadyCondition, metav1.ConditionFalse, ecsv1alpha1.ServiceDrainingReason,
			fmt.Sprintf("the service is DRAINING: %d tasks are stopping", len(pods.Items)))
		result := ctrl.Result{RequeueAfter: 5 * time.Second} // pod deletions also bring it back
		var err error
		if objstatus.Settle(objstatus.Patch(ctx, r.Client, base, svc, base.Status, svc.Status), &result, &err); err != nil {
			return ctrl.Result{}, err
		}
		return result, nil
	}
	patch := client.MergeFrom(svc.DeepCopy())
	controllerutil.RemoveFinalizer(svc, ecsv1alpha1.ServiceFinalizer)
	if err := r.Patch(ctx, svc, patch); client.IgnoreNotFound(err) != nil {
		return ctrl.Result{}, fmt.Errorf("removing the finalizer of %s: %w", klog.KObj(svc), err)
	}
	r.trackers.forget(client.ObjectKeyFromObject(svc))
	log.FromContext(ctx).Info("Service deleted: its tasks have stopped", "service", klog.KObj(svc))
	return ctrl.Result{}, nil
}

// owned lists the objects of a kind that the service controls.
func (r *Reconciler) owned(ctx context.Context, svc *ecsv1alpha1.Service, list client.ObjectList) ([]client.Object, error) {
	if err := r.List(ctx, list, client.InNamespace(svc.Namespace), client.MatchingLabels{ecsv1alpha1.ServiceLabel: svc.Name}); err != nil {
		return nil, fmt.Errorf("listing the children of %s: %w", klog.KObj(svc), err)
	}
	var out []client.Object
	err := meta.EachListItem(list, func(o runtime.Object) error {
		obj, ok := o.(client.Object)
		if ok && metav1.IsControlledBy(obj, svc) {
			out = append(out, obj)
		}
		return nil
	})
	return out, err
}

// emit sends the pass's ECS events as Kubernetes Events.
func (r *Reconciler) emit(svc *ecsv1alpha1.Service, evs []pendingEvent) {
	for _, e := range evs {
		typ := corev1.EventTypeNormal
		if e.warning {
			typ = corev1.EventTypeWarning
		}
		action := "Schedule"
		if e.deploy {
			action = "Deploy"
		}
		r.Recorder.Eventf(svc, nil, typ, e.reason, action, "%s", e.message)
	}
}

func (r *Reconciler) rand() io.Reader {
	if r.Rand != nil {
		return r.Rand
	}
	return rand.Reader
}

func setCondition(svc *ecsv1alpha1.Service, t string, status metav1.ConditionStatus, reason, msg string) {
	meta.SetStatusCondition(&svc.Status.Conditions, metav1.Condition{
		Type: t, Status: status, Reason: reason, Message: msg, ObservedGeneration: svc.Generation,
	})
}
