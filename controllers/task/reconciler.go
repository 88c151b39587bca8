package task

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/controllers/internal/objstatus"
	"github.com/kube-ecs/kube-ecs/controllers/task/resources"
	"github.com/kube-ecs/kube-ecs/controllers/taskdefinition"
	"github.com/kube-ecs/kube-ecs/internal/arn"
	"github.com/kube-ecs/kube-ecs/internal/capacity"
	"github.com/kube-ecs/kube-ecs/internal/lifecycle"
	"github.com/kube-ecs/kube-ecs/internal/taskdef"
)

// The task controller runs tasks as pods and reads the clusters and families they name.
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups=apps,resources=controllerrevisions,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=nodes,verbs=get;list;watch

// DefaultRetention is how long a STOPPED task stays visible, as ECS keeps stopped tasks
// for about an hour.
const DefaultRetention = time.Hour

// Reconciler runs Tasks as Pods and reports ECS's task lifecycle.
type Reconciler struct {
	client.Client
	// APIReader reads, past the cache, a pod the cache does not show yet.
	APIReader client.Reader
	Scope     arn.Scope
	Clock     clock.PassiveClock
	Recorder  events.EventRecorder
	Pools     Pools
	// Retention is how long a STOPPED task is kept before it is deleted.
	Retention time.Duration
}

// familyIndex indexes Tasks by the family their taskDefinition names.
const familyIndex = "spec.taskDefinition.family"

// SetupWithManager registers the controller: Tasks, the Pods they own, and the Clusters and
// TaskDefinitions that tasks waiting to start name.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(ctx, &ecsv1alpha1.Task{}, familyIndex, func(o client.Object) []string {
		ref, err := taskdefinition.ParseReference(o.(*ecsv1alpha1.Task).Spec.TaskDefinition)
		if err != nil {
			return nil
		}
		return []string{ref.Family}
	}); err != nil {
		return fmt.Errorf("indexing tasks by family: %w", err)
	}
	return ctrl.NewControllerManagedBy(mgr).
		// The controller is the only writer of a task's status: the echo of its own write
		// (two per task) would only be a pass with nothing to do, queued behind real work
		// while a burst of tasks starts. So would the creation of the pod it just made.
		For(&ecsv1alpha1.Task{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{},
			predicate.LabelChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		Owns(&corev1.Pod{}, builder.WithPredicates(predicate.Funcs{CreateFunc: func(event.CreateEvent) bool { return false }})).
		Watches(&ecsv1alpha1.TaskDefinition{}, handler.EnqueueRequestsFromMapFunc(r.tasksOfFamily)).
		Watches(&ecsv1alpha1.Cluster{}, handler.EnqueueRequestsFromMapFunc(r.waitingTasksOfCluster), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Named("task").
		// Tasks are independent and the reconciler keeps no state between passes: several
		// workers (never two on the same task) keep RunTask bursts from queueing behind one.
		WithOptions(controller.Options{MaxConcurrentReconciles: workers}).
		Complete(r)
}

// workers is how many tasks the controller reconciles at once.
const workers = 8

// Reconcile starts the task's pod once, derives the task's ECS state from it, stops the pod
// when ECS would stop the task, and deletes the task when its retention has passed.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, err error) {
	task := &ecsv1alpha1.Task{}
	if err := r.Get(ctx, req.NamespacedName, task); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !task.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil // the pod is garbage-collected with its owner
	}
	base := task.DeepCopy()
	defer func() {
		if err != nil {
			setCondition(task, ecsv1alpha1.ReadyCondition, metav1.ConditionFalse, ecsv1alpha1.ReconcileErrorReason, err.Error())
		} else {
			task.Status.ObservedGeneration = task.Generation
		}
		objstatus.Settle(objstatus.Patch(ctx, r.Client, base, task, base.Status, task.Status), &result, &err)
	}()

	if task.Status.LastStatus == ecsv1alpha1.TaskStopped && r.retentionPassed(task) {
		return ctrl.Result{}, r.deleteTask(ctx, task)
	}
	pod, err := r.getPod(ctx, task)
	if err != nil {
		return ctrl.Result{}, err
	}
	if pod == nil && waitingToStart(task) && task.Spec.DesiredStatus != ecsv1alpha1.DesiredTaskStopped {
		started, err := r.reconcileStart(ctx, task)
		if err != nil {
			return ctrl.Result{}, err
		}
		if started == nil {
			if task.Status.LastStatus == ecsv1alpha1.TaskStopped {
				return ctrl.Result{RequeueAfter: r.retentionLeft(task)}, nil
			}
			return ctrl.Result{}, nil // a watch on the missing Cluster or TaskDefinition brings it back
		}
		pod = started
	}
	return r.reconcileLifecycle(ctx, task, pod)
}

// getPod returns the task's pod, nil when there is none. A pod of that name the task does
// not control is never used. A task whose status names its pod and does not find it in the
// cache asks the API server: the cache may not have shown a pod just created yet, and a pod
// taken for deleted stops the task.
func (r *Reconciler) getPod(ctx context.Context, task *ecsv1alpha1.Task) (*corev1.Pod, error) {
	pod := &corev1.Pod{}
	key := client.ObjectKey{Namespace: task.Namespace, Name: resources.PodName(task)}
	err := r.Get(ctx, key, pod)
	if apierrors.IsNotFound(err) && task.Status.PodName != "" && task.Status.LastStatus != ecsv1alpha1.TaskStopped && r.APIReader != nil {
		err = r.APIReader.Get(ctx, key, pod)
	}
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the pod of %s: %w", klog.KObj(task), err)
	}
	if !metav1.IsControlledBy(pod, task) {
		return nil, fmt.Errorf("%s: pod %s exists and is not controlled by this task", ecsv1alpha1.NotOwnedReason, pod.Name)
	}
	return pod, nil
}

// reconcileStart resolves what the task needs and creates its pod. It returns nil (and no
// error) when the task cannot start yet: the reason is on the Ready condition, and a watch on
// the missing Cluster or TaskDefinition brings the task back.
func (r *Reconciler) reconcileStart(ctx context.Context, task *ecsv1alpha1.Task) (*corev1.Pod, error) {
	clusterName := clusterOf(task)
	cluster := &ecsv1alpha1.Cluster{}
	if err := r.Get(ctx, client.ObjectKey{Namespace: task.Namespace, Name: clusterName}, cluster); err != nil {
		if apierrors.IsNotFound(err) {
			r.waiting(task, ecsv1alpha1.ClusterNotFoundReason, "ClusterNotFoundException: Cluster not found: no Cluster %q in namespace %q", clusterName, task.Namespace)
			return nil, nil
		}
		return nil, fmt.Errorf("reading cluster %s: %w", clusterName, err)
	}
	resolved, err := taskdefinition.Resolve(ctx, r.Client, task.Namespace, task.Spec.TaskDefinition)
	switch {
	case errors.Is(err, taskdefinition.ErrInactive):
		r.waiting(task, ecsv1alpha1.TaskDefinitionInactiveReason, "ClientException: %v", err)
		return nil, nil
	case errors.Is(err, taskdefinition.ErrNotFound):
		r.waiting(task, ecsv1alpha1.TaskDefinitionNotFoundReason, "ClientException: %v", err)
		return nil, nil
	case err != nil:
		return nil, err
	}
	placement := Place(task, cluster, r.Pools)
	if err := checkOverrides(task.Spec.Overrides); err != nil {
		r.failToStart(task, err.Error())
		return nil, nil
	}
	built, err := taskdef.Build(taskdef.Input{Spec: resolved.Spec, Overrides: task.Spec.Overrides, LaunchType: placement.LaunchType})
	if err != nil {
		// The revision and the overrides are fixed for this task: it can never start.
		r.failToStart(task, "ClientException: "+err.Error())
		return nil, nil
	}
	pod := resources.MakePod(task, resources.PodInput{
		Cluster: clusterName, Family: resolved.Reference.Family, Revision: resolved.Reference.Revision,
		PodSpec: built.PodSpec, Annotations: built.Annotations,
		LaunchType: placement.LaunchType, CapacityProvider: placement.CapacityProvider,
		NodeSelector: placement.NodeSelector, Affinity: placement.Affinity, Tolerations: placement.Tolerations,
		Scheduling: scheduling(task, resolved.Spec, placement), RuntimeClassName: placement.RuntimeClassName,
	})
	if err := r.Create(ctx, pod); err != nil {
		return nil, fmt.Errorf("creating the pod of %s: %w", klog.KObj(task), err)
	}
	log.FromContext(ctx).Info("Created pod", "pod", klog.KObj(pod), "taskDefinition", resolved.Reference.String())
	r.setIdentity(task, clusterName, resolved.Reference, placement, pod)
	if resolved.Spec.NetworkMode == ecsv1alpha1.NetworkModeAwsvpc {
		task.Status.Attachments = []ecsv1alpha1.Attachment{{ID: string(task.UID), Type: ENIAttachment, Status: AttachmentPrecreated}}
	}
	for _, note := range built.Unsupported {
		r.Recorder.Eventf(task, nil, corev1.EventTypeWarning, "Unsupported", "Start", "%s", note)
	}
	return pod, nil
}

// setIdentity records what the task was started with; it never changes afterwards.
func (r *Reconciler) setIdentity(task *ecsv1alpha1.Task, cluster string, ref taskdefinition.Reference, p Placement, pod *corev1.Pod) {
	st := &task.Status
	st.TaskArn = r.Scope.Task(cluster, resources.TaskID(task))
	st.ClusterArn = r.Scope.Cluster(cluster)
	st.TaskDefinitionArn = r.Scope.TaskDefinition(ref.Family, ref.Revision)
	st.LaunchType = p.LaunchType
	st.CapacityProviderName = p.CapacityProvider
	st.Group = pod.Annotations[ecsv1alpha1.GroupAnnotation]
	st.StartedBy = task.Spec.StartedBy
	st.PodName = pod.Name
	if q := pod.Spec.Resources; q != nil {
		if cpu, ok := q.Requests[corev1.ResourceCPU]; ok {
			st.CPU = fmt.Sprint(cpu.MilliValue() * 1024 / 1000)
		}
		if mem, ok := q.Limits[corev1.ResourceMemory]; ok {
			st.Memory = fmt.Sprint(mem.Value() / (1 << 20))
		}
	}
}

// reconcileLifecycle derives the ECS state from the pod and stops the pod when ECS would.
func (r *Reconciler) reconcileLifecycle(ctx context.Context, task *ecsv1alpha1.Task, pod *corev1.Pod) (ctrl.Result, error) {
	prev := task.Status.LastStatus
	d := lifecycle.Derive(lifecycle.Input{
		Task: task, Pod: pod, PodDeleted: pod == nil && task.Status.PodName != "",
		Previous: task.Status, Now: metav1.NewTime(r.Clock.Now()),
	})
	conditions := task.Status.Conditions
	task.Status = d.Status
	task.Status.Conditions = conditions
	updateAttachments(&task.Status, pod)
	if err := r.reconcileZone(ctx, task, pod); err != nil {
		return ctrl.Result{}, err
	}
	if d.StopPod && pod != nil {
		opts := []client.DeleteOption{client.Preconditions{UID: &pod.UID}}
		if d.StopGracePeriod != nil {
			opts = append(opts, client.GracePeriodSeconds(*d.StopGracePeriod))
		}
		if err := r.Delete(ctx, pod, opts...); client.IgnoreNotFound(err) != nil {
			return ctrl.Result{}, fmt.Errorf("stopping the pod of %s: %w", klog.KObj(task), err)
		}
	}
	r.setConditions(task, pod)
	if task.Status.LastStatus != prev && eventWorthy(task.Status.LastStatus) {
		var related runtime.Object // a nil *Pod in the interface would make the recorder panic
		if pod != nil {
			related = pod
		}
		r.Recorder.Eventf(task, related, eventType(task), string(task.Status.LastStatus), "Transition", "%s", transitionMessage(task))
	}
	if task.Status.LastStatus == ecsv1alpha1.TaskStopped {
		return ctrl.Result{RequeueAfter: r.retentionLeft(task)}, nil
	}
	if !d.RecheckAt.IsZero() {
		// A startTimeout or a start failure's retry timeout runs out with no event to say so.
		return ctrl.Result{RequeueAfter: max(d.RecheckAt.Sub(r.Clock.Now()), time.Second)}, nil
	}
	return ctrl.Result{}, nil
}

// reconcileZone records the availability zone of the node the task's pod landed on, once.
func (r *Reconciler) reconcileZone(ctx context.Context, task *ecsv1alpha1.Task, pod *corev1.Pod) error {
	if task.Status.AvailabilityZone != "" || pod == nil || pod.Spec.NodeName == "" {
		return nil
	}
	// From the cache: the manager watches every node anyway (container instances, the
	// scheduler), and a read past it for each task cost a request while a burst of tasks
	// started.
	node := &corev1.Node{}
	if err := r.Get(ctx, client.ObjectKey{Name: pod.Spec.NodeName}, node); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("reading node %s: %w", pod.Spec.NodeName, err)
	}
	task.Status.AvailabilityZone = node.Labels[ecsv1alpha1.NodeLabelZone]
	if task.Status.LaunchType != ecsv1alpha1.LaunchTypeFargate {
		// An EC2 task runs on a container instance, named after its node (Fargate tasks
		// show no host).
		task.Status.ContainerInstanceArn = r.Scope.ContainerInstance(clusterOf(task), node.Name)
	}
	return nil
}

func (r *Reconciler) retention() time.Duration {
	if r.Retention > 0 {
		return r.Retention
	}
	return DefaultRetention
}

func (r *Reconciler) retentionLeft(task *ecsv1alpha1.Task) time.Duration {
	stopped := task.CreationTimestamp.Time
	if task.Status.StoppedAt != nil {
		stopped = task.Status.StoppedAt.Time
	}
	return max(stopped.Add(r.retention()).Sub(r.Clock.Now()), time.Second)
}

func (r *Reconciler) retentionPassed(task *ecsv1alpha1.Task) bool {
	return task.Status.StoppedAt != nil && !r.Clock.Now().Before(task.Status.StoppedAt.Add(r.retention()))
}

func (r *Reconciler) deleteTask(ctx context.Context, task *ecsv1alpha1.Task) error {
	log.FromContext(ctx).Info("Deleting stopped task after its retention", "task", klog.KObj(task), "retention", r.retention())
	if err := r.Delete(ctx, task, client.Preconditions{UID: &task.UID}); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("deleting stopped task %s: %w", klog.KObj(task), err)
	}
	return nil
}

// waiting records why a task cannot start, on its Ready condition and as a warning event
// (once per reason).
func (r *Reconciler) waiting(task *ecsv1alpha1.Task, reason, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if task.Status.LastStatus == "" {
		task.Status.LastStatus = ecsv1alpha1.TaskProvisioning
		task.Status.DesiredStatus = ecsv1alpha1.TaskRunning
		created := task.CreationTimestamp
		task.Status.CreatedAt = &created
	}
	if c := meta.FindStatusCondition(task.Status.Conditions, ecsv1alpha1.ReadyCondition); c == nil || c.Reason != reason || c.Message != msg {
		r.Recorder.Eventf(task, nil, corev1.EventTypeWarning, reason, "Start", "%s", msg)
	}
	setCondition(task, ecsv1alpha1.ReadyCondition, metav1.ConditionFalse, reason, msg)
}

// failToStart stops a task that can never start (its revision cannot run, or its overrides
// are invalid), as ECS would refuse the RunTask: STOPPED with TaskFailedToStart.
func (r *Reconciler) failToStart(task *ecsv1alpha1.Task, reason string) {
	now := metav1.NewTime(r.Clock.Now())
	created := task.CreationTimestamp
	st := &task.Status
	st.LastStatus, st.DesiredStatus = ecsv1alpha1.TaskStopped, ecsv1alpha1.TaskStopped
	st.StopCode, st.StoppedReason = ecsv1alpha1.StopCodeTaskFailedToStart, reason
	st.CreatedAt, st.StoppingAt, st.StoppedAt = &created, &now, &now
	st.Version++
	r.Recorder.Eventf(task, nil, corev1.EventTypeWarning, string(ecsv1alpha1.TaskStopped), "Start", "%s", transitionMessage(task))
	setCondition(task, ecsv1alpha1.ReadyCondition, metav1.ConditionFalse, ecsv1alpha1.TaskStoppedReason,
		fmt.Sprintf("%s: %s", st.StopCode, st.StoppedReason))
}

// scheduling is how the ECS scheduler places an EC2 task; nil for Fargate tasks, which go
// to their capacity pool.
func scheduling(task *ecsv1alpha1.Task, td *ecsv1alpha1.TaskDefinitionSpec, p Placement) *capacity.Scheduling {
	if p.LaunchType == ecsv1alpha1.LaunchTypeFargate {
		return nil
	}
	s := capacity.NewScheduling(task.Spec.PlacementConstraints, task.Spec.PlacementStrategy, td.PlacementConstraints, capacity.TaskStrategy, p.CapacityProvider)
	return &s
}

func clusterOf(task *ecsv1alpha1.Task) string {
	if task.Spec.Cluster == "" {
		return ecsv1alpha1.DefaultClusterName
	}
	return clusterNameFromRef(task.Spec.Cluster)
}
