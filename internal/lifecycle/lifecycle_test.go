package lifecycle

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

const (
	provisioning   = ecsv1alpha1.TaskProvisioning
	pending        = ecsv1alpha1.TaskPending
	activating     = ecsv1alpha1.TaskActivating
	runningStatus  = ecsv1alpha1.TaskRunning
	deactivating   = ecsv1alpha1.TaskDeactivating
	stopping       = ecsv1alpha1.TaskStopping
	deprovisioning = ecsv1alpha1.TaskDeprovisioning
	stoppedStatus  = ecsv1alpha1.TaskStopped
)

// outcome is what a case checks of a Decision.
type outcome struct {
	Last    ecsv1alpha1.TaskLifecycleStatus
	Desired ecsv1alpha1.TaskLifecycleStatus
	Code    ecsv1alpha1.TaskStopCode
	Reason  string
	StopPod bool
}

func outcomeOf(d Decision) outcome {
	return outcome{d.Status.LastStatus, d.Status.DesiredStatus, d.Status.StopCode, d.Status.StoppedReason, d.StopPod}
}

// run and stop are the outcomes of a task that runs, and of one that stops with code and
// reason while its pod must be deleted (or not).
func run(last ecsv1alpha1.TaskLifecycleStatus) outcome {
	return outcome{Last: last, Desired: ecsv1alpha1.TaskRunning}
}

func stop(last ecsv1alpha1.TaskLifecycleStatus, code ecsv1alpha1.TaskStopCode, reason string, stopPod bool) outcome {
	return outcome{last, ecsv1alpha1.TaskStopped, code, reason, stopPod}
}

func withCause(st ecsv1alpha1.TaskStatus, code ecsv1alpha1.TaskStopCode, reason string) ecsv1alpha1.TaskStatus {
	st.StopCode, st.StoppedReason, st.DesiredStatus = code, reason, ecsv1alpha1.TaskStopped
	return st
}

type lifecycleCase struct {
	name       string
	task       *ecsv1alpha1.Task
	pod        *corev1.Pod
	podDeleted bool
	prev       ecsv1alpha1.TaskStatus
	now        int // seconds after t0; 0 means 60
	timeout    time.Duration
	want       outcome
}

func (tc lifecycleCase) derive() Decision {
	task := tc.task
	if task == nil {
		task = newTask()
	}
	now := tc.now
	if now == 0 {
		now = 60
	}
	return Derive(Input{Task: task, Pod: tc.pod, PodDeleted: tc.podDeleted, Previous: tc.prev, Now: at(now), RetryTimeout: tc.timeout})
}

func runCases(t *testing.T, cases []lifecycleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.derive()
			if diff := cmp.Diff(tc.want, outcomeOf(d)); diff != "" {
				t.Errorf("Derive() mismatch (-want +got):\n%s", diff)
			}
			if d.StopPod != (d.StopGracePeriod != nil) {
				t.Errorf("StopPod %v with grace %v: a pod delete carries the pod's grace period", d.StopPod, d.StopGracePeriod)
			}
		})
	}
}

const (
	essentialExited = ecsv1alpha1.StopCodeEssentialContainerExited
	userInitiated   = ecsv1alpha1.StopCodeUserInitiated
	failedToStart   = ecsv1alpha1.StopCodeTaskFailedToStart
	termination     = ecsv1alpha1.StopCodeTerminationNotice
	infraHealth     = ecsv1alpha1.StopCodeInfrastructureHealth
)

func TestDeriveStartingAndRunning(t *testing.T) {
	runCases(t, []lifecycleCase{
		{name: "no pod yet", want: run(provisioning)},
		{name: "pod created, not bound", pod: newPod(containers("web")), want: run(pending)},
		{
			name: "unschedulable pod stays PENDING",
			pod: newPod(containers("web"), func(p *corev1.Pod) {
				p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable}}
			}),
			now:  3600,
			want: run(pending),
		},
		{
			name: "bound, containers creating",
			pod:  newPod(containers("web"), scheduled(1), statuses(waiting("web", "ContainerCreating", ""))),
			want: run(activating),
		},
		{
			name: "bound by nodeName alone",
			pod:  newPod(containers("web"), func(p *corev1.Pod) { p.Spec.NodeName = "node-1" }),
			want: run(activating),
		},
		{
			name: "plain init container running",
			pod: newPod(initContainer("migrate"), containers("web"), scheduled(1),
				initStatuses(running("migrate", 3, false)), statuses(waiting("web", "PodInitializing", ""))),
			want: run(activating),
		},
		{
			name: "plain init container done, main container creating",
			pod: newPod(initContainer("migrate"), containers("web"), scheduled(1),
				initStatuses(terminated("migrate", 0, "Completed", 3, 4)), statuses(waiting("web", "ContainerCreating", ""))),
			want: run(activating),
		},
		{
			name: "sidecar running, main container not started",
			pod: newPod(sidecar("envoy"), containers("web"), scheduled(1),
				initStatuses(running("envoy", 3, true)), statuses(waiting("web", "PodInitializing", ""))),
			want: run(activating),
		},
		{
			name: "essential containers run, non-essential still creating",
			pod: newPod(containers("web", "log"), essential("web"), scheduled(1),
				statuses(running("web", 5, false), waiting("log", "ContainerCreating", ""))),
			want: run(runningStatus),
		},
		{
			name: "without the essential annotation every regular container is essential",
			pod: newPod(containers("web", "log"), scheduled(1),
				statuses(running("web", 5, false), waiting("log", "ContainerCreating", ""))),
			want: run(activating),
		},
		{
			name: "essential sidecar and main container run",
			pod: newPod(sidecar("envoy"), containers("web"), essential("envoy,web"), scheduled(1),
				initStatuses(running("envoy", 3, true)), statuses(running("web", 5, true))),
			want: run(runningStatus),
		},
		{name: "all running", pod: runningPod(), want: run(runningStatus)},
	})
}

func TestDeriveContainerExits(t *testing.T) {
	runCases(t, []lifecycleCase{
		{
			name: "non-essential container exits: task keeps running",
			pod:  runningPod(statuses(running("web", 5, false), terminated("log", 1, "Error", 5, 20))),
			prev: prevAt(runningStatus),
			want: run(runningStatus),
		},
		{
			name: "non-essential sidecar restarts: task keeps running",
			pod: newPod(sidecar("envoy"), containers("web"), essential("web"), scheduled(1),
				initStatuses(restarted(running("envoy", 30, true), 137, 3, 29)), statuses(running("web", 5, true))),
			prev: prevAt(runningStatus),
			want: run(runningStatus),
		},
		{
			name: "essential container exits while another runs",
			pod:  runningPod(statuses(terminated("web", 2, "Error", 5, 20), running("log", 5, false))),
			prev: prevAt(runningStatus),
			want: stop(deactivating, essentialExited, ReasonEssentialContainerExited, true),
		},
		{
			name: "without the essential annotation a sidekick's exit stops the task",
			pod: newPod(containers("web", "log"), scheduled(1),
				statuses(running("web", 5, false), terminated("log", 0, "Completed", 5, 20))),
			prev: prevAt(runningStatus),
			want: stop(deactivating, essentialExited, ReasonEssentialContainerExited, true),
		},
		{
			name: "the only container exits: the pod finishes by itself and keeps its logs",
			pod:  newPod(containers("web"), scheduled(1), statuses(terminated("web", 0, "Completed", 5, 20))),
			prev: prevAt(runningStatus),
			want: stop(ecsv1alpha1.TaskDeprovisioning, essentialExited, ReasonEssentialContainerExited, false),
		},
		{
			name: "essential OOMKilled",
			pod:  runningPod(statuses(terminated("web", 137, "OOMKilled", 5, 20), running("log", 5, false))),
			prev: prevAt(runningStatus),
			want: stop(deactivating, essentialExited, ReasonEssentialContainerExited, true),
		},
		{
			name: "essential exit, pod being deleted, other container still runs",
			pod:  runningPod(deleting(21), statuses(terminated("web", 2, "Error", 5, 20), running("log", 5, false))),
			prev: withCause(prevAt(deactivating), essentialExited, ReasonEssentialContainerExited),
			want: stop(stopping, essentialExited, ReasonEssentialContainerExited, false),
		},
		{
			name: "essential exit, every container ended, pod failed",
			pod:  runningPod(deleting(21), phase(corev1.PodFailed), statuses(terminated("web", 2, "Error", 5, 20), terminated("log", 143, "Error", 5, 22))),
			prev: withCause(prevAt(stopping), essentialExited, ReasonEssentialContainerExited),
			want: stop(stoppedStatus, essentialExited, ReasonEssentialContainerExited, false),
		},
		{
			name: "single essential container completes: pod succeeded, kept for its logs",
			pod:  newPod(containers("job"), scheduled(1), statuses(terminated("job", 0, "Completed", 5, 20)), phase(corev1.PodSucceeded)),
			prev: prevAt(runningStatus),
			want: stop(stoppedStatus, essentialExited, ReasonEssentialContainerExited, false),
		},
		{
			name: "essential sidecar restarted",
			pod: newPod(sidecar("envoy"), containers("web"), essential("envoy,web"), scheduled(1),
				initStatuses(restarted(running("envoy", 30, true), 1, 3, 29)), statuses(running("web", 5, true))),
			prev: prevAt(runningStatus),
			want: stop(deactivating, essentialExited, ReasonEssentialContainerExited, true),
		},
		{
			name: "essential sidecar crash-looping",
			pod: newPod(sidecar("envoy"), containers("web"), essential("envoy,web"), scheduled(1),
				initStatuses(restarted(waiting("envoy", "CrashLoopBackOff", "back-off"), 1, 3, 29)), statuses(running("web", 5, true))),
			prev: prevAt(runningStatus),
			want: stop(deactivating, essentialExited, ReasonEssentialContainerExited, true),
		},
		{
			name: "essential sidecar terminated",
			pod: newPod(sidecar("envoy"), containers("web"), essential("envoy,web"), scheduled(1),
				initStatuses(terminated("envoy", 1, "Error", 3, 29)), statuses(running("web", 5, true))),
			prev: prevAt(runningStatus),
			want: stop(deactivating, essentialExited, ReasonEssentialContainerExited, true),
		},
		{
			name: "essential container exits before another essential one started",
			pod: newPod(containers("web", "db"), essential("web,db"), scheduled(1),
				statuses(terminated("web", 3, "Error", 5, 6), waiting("db", "ContainerCreating", ""))),
			prev: prevAt(activating),
			want: stop(deprovisioning, essentialExited, ReasonEssentialContainerExited, true),
		},
		{
			name: "essential exit jumps a late observer from ACTIVATING to STOPPED",
			pod:  newPod(containers("job"), scheduled(1), statuses(terminated("job", 1, "Error", 5, 6)), phase(corev1.PodFailed)),
			prev: prevAt(activating),
			want: stop(stoppedStatus, essentialExited, ReasonEssentialContainerExited, false),
		},
	})
}

func TestDeriveStopTask(t *testing.T) {
	stopped := newTask(stopTask(""))
	runCases(t, []lifecycleCase{
		{name: "before the pod exists", task: stopped, want: stop(stoppedStatus, userInitiated, ReasonUserStopped, false)},
		{
			name: "while PENDING: nothing runs",
			task: stopped, pod: newPod(containers("web")), prev: prevAt(pending),
			want: stop(deprovisioning, userInitiated, ReasonUserStopped, true),
		},
		{
			name: "while ACTIVATING: nothing runs",
			task: stopped, pod: newPod(containers("web"), scheduled(1), statuses(waiting("web", "ContainerCreating", ""))),
			prev: prevAt(activating),
			want: stop(deprovisioning, userInitiated, ReasonUserStopped, true),
		},
		{
			name: "while RUNNING, without a reason",
			task: stopped, pod: runningPod(), prev: prevAt(runningStatus),
			want: stop(deactivating, userInitiated, ReasonUserStopped, true),
		},
		{
			name: "while RUNNING, with a reason",
			task: newTask(stopTask("scaling down for the night")), pod: runningPod(), prev: prevAt(runningStatus),
			want: stop(deactivating, userInitiated, "scaling down for the night", true),
		},
		{
			name: "pod being deleted, containers still run",
			task: stopped, pod: runningPod(deleting(61)), prev: withCause(prevAt(deactivating), userInitiated, ReasonUserStopped),
			want: stop(stopping, userInitiated, ReasonUserStopped, false),
		},
		{
			name: "every container ended, pod still there",
			task: stopped,
			pod:  runningPod(deleting(61), statuses(terminated("web", 0, "Completed", 5, 62), terminated("log", 0, "Completed", 5, 62))),
			prev: withCause(prevAt(stopping), userInitiated, ReasonUserStopped),
			want: stop(deprovisioning, userInitiated, ReasonUserStopped, false),
		},
		{
			name: "every container ended, pod succeeded",
			task: stopped,
			pod:  runningPod(deleting(61), phase(corev1.PodSucceeded), statuses(terminated("web", 0, "Completed", 5, 62), terminated("log", 0, "Completed", 5, 62))),
			prev: withCause(prevAt(deprovisioning), userInitiated, ReasonUserStopped),
			want: stop(stoppedStatus, userInitiated, ReasonUserStopped, false),
		},
		{
			name: "pod gone",
			task: stopped, prev: withCause(prevAt(stopping), userInitiated, ReasonUserStopped),
			want: stop(stoppedStatus, userInitiated, ReasonUserStopped, false),
		},
		{
			name: "a recorded cause is kept when the user stops the task afterwards",
			task: newTask(stopTask("too late")),
			pod:  runningPod(statuses(terminated("web", 2, "Error", 5, 20), running("log", 5, false))),
			prev: withCause(prevAt(deactivating), essentialExited, ReasonEssentialContainerExited),
			want: stop(deactivating, essentialExited, ReasonEssentialContainerExited, true),
		},
	})
}

func TestDeriveFailedToStart(t *testing.T) {
	pulling := func(reason, msg string) *corev1.Pod {
		return newPod(containers("web"), scheduled(1), statuses(waiting("web", reason, msg)))
	}
	const pullMsg = `Failed to pull image "web:1": not found`
	const secretMsg = `secret "db" not found`
	runCases(t, []lifecycleCase{
		{
			name: "ErrImagePull within the retry timeout",
			pod:  pulling("ErrImagePull", pullMsg), prev: prevAt(activating), now: 60,
			want: run(activating),
		},
		{
			name: "ImagePullBackOff past the retry timeout",
			pod:  pulling("ImagePullBackOff", `Back-off pulling image "web:1"`), prev: prevAt(activating), now: 303,
			want: stop(deprovisioning, failedToStart, `CannotPullContainerError: Back-off pulling image "web:1"`, true),
		},
		{
			name: "ErrImagePull at the retry timeout exactly",
			pod:  pulling("ErrImagePull", pullMsg), prev: prevAt(activating), now: 302,
			want: run(activating),
		},
		{
			name: "ErrImagePull past a shorter retry timeout",
			pod:  pulling("ErrImagePull", pullMsg), prev: prevAt(activating), now: 63, timeout: time.Minute,
			want: stop(deprovisioning, failedToStart, "CannotPullContainerError: "+pullMsg, true),
		},
		{
			name: "ErrImagePull seen first long after the pod was bound",
			pod:  pulling("ErrImagePull", pullMsg), prev: prevAt(pending), now: 900,
			want: stop(deprovisioning, failedToStart, "CannotPullContainerError: "+pullMsg, true),
		},
		{
			name: "InvalidImageName fails at once",
			pod:  pulling("InvalidImageName", `couldn't parse image name "WEB"`), prev: prevAt(activating), now: 3,
			want: stop(deprovisioning, failedToStart, `CannotPullContainerError: couldn't parse image name "WEB"`, true),
		},
		{
			name: "ErrImageNeverPull fails at once",
			pod:  pulling("ErrImageNeverPull", ""), prev: prevAt(activating), now: 3,
			want: stop(deprovisioning, failedToStart, "CannotPullContainerError: ErrImageNeverPull", true),
		},
		{
			name: "missing Secret within the retry timeout",
			pod:  pulling("CreateContainerConfigError", secretMsg), prev: prevAt(activating), now: 30,
			want: run(activating),
		},
		{
			name: "missing Secret past the retry timeout",
			pod:  pulling("CreateContainerConfigError", secretMsg), prev: prevAt(activating), now: 400,
			want: stop(deprovisioning, failedToStart, "ResourceInitializationError: unable to pull secrets or registry auth: "+secretMsg, true),
		},
		{
			name: "CreateContainerError fails at once",
			pod:  pulling("CreateContainerError", "no command specified"), prev: prevAt(activating), now: 3,
			want: stop(deprovisioning, failedToStart, "CannotStartContainerError: no command specified", true),
		},
		{
			name: "RunContainerError fails at once",
			pod:  pulling("RunContainerError", "permission denied"), prev: prevAt(activating), now: 3,
			want: stop(deprovisioning, failedToStart, "CannotStartContainerError: permission denied", true),
		},
		{
			name: "a non-essential container's pull failure fails a task that never ran",
			pod: newPod(containers("web", "log"), essential("web"), scheduled(1),
				statuses(waiting("web", "ContainerCreating", ""), waiting("log", "InvalidImageName", "bad"))),
			prev: prevAt(activating),
			want: stop(deprovisioning, failedToStart, "CannotPullContainerError: bad", true),
		},
		{
			name: "a non-essential container's pull failure leaves a running task alone",
			pod: newPod(containers("web", "log"), essential("web"), scheduled(1),
				statuses(running("web", 5, false), waiting("log", "InvalidImageName", "bad"))),
			prev: prevAt(activating),
			want: run(runningStatus),
		},
		{
			name: "essential container cannot start while another runs",
			pod: newPod(containers("web", "log"), essential("web"), scheduled(1), statuses(
				func() corev1.ContainerStatus {
					s := terminated("web", 128, "StartError", 0, 6)
					s.State.Terminated.StartedAt = metav1.Unix(0, 0) // what containerd reports
					s.State.Terminated.Message = `exec: "web": executable file not found in $PATH`
					return s
				}(), running("log", 5, false))),
			prev: prevAt(activating),
			want: stop(stopping, failedToStart, `CannotStartContainerError: exec: "web": executable file not found in $PATH`, true),
		},
		{
			name: "dependency (plain init container) exits non-zero",
			pod: newPod(initContainer("migrate"), containers("web"), scheduled(1), annotate(ecsv1alpha1.ContainerNamesAnnotation, "migrate=db_migrate"),
				initStatuses(terminated("migrate", 3, "Error", 3, 9)), statuses(waiting("web", "PodInitializing", "")), phase(corev1.PodFailed)),
			prev: prevAt(activating),
			want: stop(stoppedStatus, failedToStart, "CannotStartContainerError: dependency db_migrate exited with code 3", false),
		},
		{
			name: "pod failed before any container started, with a message only",
			pod:  newPod(containers("web"), scheduled(1), phase(corev1.PodFailed), podReason("", "Pod was rejected")),
			prev: prevAt(activating),
			want: stop(stoppedStatus, failedToStart, "ResourceInitializationError: Pod was rejected", false),
		},
		{
			name: "pod failed before any container started, saying nothing",
			pod:  newPod(containers("web"), scheduled(1), phase(corev1.PodFailed)),
			prev: prevAt(activating),
			want: stop(stoppedStatus, failedToStart, "ResourceInitializationError: pod Failed", false),
		},
		{
			name: "node rejects the pod",
			pod:  newPod(containers("web"), scheduled(1), phase(corev1.PodFailed), podReason("OutOfcpu", "Pod was rejected: Node didn't have enough resource: cpu")),
			prev: prevAt(activating),
			want: stop(stoppedStatus, failedToStart, "ResourceInitializationError: OutOfcpu: Pod was rejected: Node didn't have enough resource: cpu", false),
		},
	})
}

func TestDeriveDisruptionsAndDeletion(t *testing.T) {
	const evictMsg = "The node was low on resource: memory."
	runCases(t, []lifecycleCase{
		{
			name: "evicted by the kubelet",
			pod: runningPod(phase(corev1.PodFailed), podReason("Evicted", evictMsg),
				statuses(terminated("web", 137, "Error", 5, 40), terminated("log", 137, "Error", 5, 40))),
			prev: prevAt(runningStatus),
			want: stop(stoppedStatus, termination, "Task stopped: pod evicted: "+evictMsg, false),
		},
		{
			name: "evicted through the Eviction API (drain)",
			pod:  runningPod(deleting(40), condition(corev1.DisruptionTarget, 40, "EvictionByEvictionAPI", "Eviction API: evicting")),
			prev: prevAt(runningStatus),
			want: stop(stopping, termination, "Task stopped: pod evicted: Eviction API: evicting", false),
		},
		{
			name: "preempted",
			pod:  runningPod(deleting(40), condition(corev1.DisruptionTarget, 40, corev1.PodReasonPreemptionByScheduler, "preempted by a higher priority pod")),
			prev: prevAt(runningStatus),
			want: stop(stopping, termination, "Task stopped: pod preempted: preempted by a higher priority pod", false),
		},
		{
			name: "terminated by its node",
			pod:  runningPod(condition(corev1.DisruptionTarget, 40, corev1.PodReasonTerminationByKubelet, "Pod was terminated in response to imminent node shutdown."), phase(corev1.PodFailed), podReason("Terminated", "Pod was terminated in response to imminent node shutdown.")),
			prev: prevAt(runningStatus),
			want: stop(stoppedStatus, termination, "Task stopped: pod terminated by its node: Pod was terminated in response to imminent node shutdown.", false),
		},
		{
			name: "node shutdown (reason only)",
			pod:  runningPod(phase(corev1.PodFailed), podReason("Terminated", "Pod was terminated in response to imminent node shutdown.")),
			prev: prevAt(runningStatus),
			want: stop(stoppedStatus, termination, "Task stopped: node shutdown: Pod was terminated in response to imminent node shutdown.", false),
		},
		{
			name: "deleted by the taint manager (node unreachable)",
			pod:  runningPod(deleting(400), condition(corev1.DisruptionTarget, 400, "DeletionByTaintManager", "Taint manager: deleting due to NoExecute taint")),
			prev: prevAt(runningStatus), now: 401,
			want: stop(stopping, infraHealth, "Task stopped: node unhealthy: Taint manager: deleting due to NoExecute taint", false),
		},
		{
			name: "node lost",
			pod:  runningPod(deleting(400), podReason("NodeLost", "Node node-1 which was running pod t1-pod is unresponsive")),
			prev: prevAt(runningStatus), now: 401,
			want: stop(stopping, infraHealth, "Task stopped: node lost: Node node-1 which was running pod t1-pod is unresponsive", false),
		},
		{
			name: "Fargate Spot pod evicted",
			pod:  runningPod(label(ecsv1alpha1.CapacityProviderLabel, ecsv1alpha1.CapacityProviderFargateSpot), deleting(40), condition(corev1.DisruptionTarget, 40, "EvictionByEvictionAPI", "")),
			prev: prevAt(runningStatus),
			want: stop(stopping, ecsv1alpha1.StopCodeSpotInterruption, ReasonSpotInterruption, false),
		},
		{
			name: "Spot interruption notice: the task stops at once, its pod gets SIGTERM",
			pod: runningPod(label(ecsv1alpha1.CapacityProviderLabel, ecsv1alpha1.CapacityProviderFargateSpot),
				condition(corev1.DisruptionTarget, 40, ecsv1alpha1.SpotInterruptionDisruptionReason, ReasonSpotInterruption)),
			prev: prevAt(runningStatus),
			want: stop(deactivating, ecsv1alpha1.StopCodeSpotInterruption, ReasonSpotInterruption, true),
		},
		{
			name: "Spot interruption notice while the pod is being deleted",
			pod:  runningPod(deleting(41), condition(corev1.DisruptionTarget, 40, ecsv1alpha1.SpotInterruptionDisruptionReason, ReasonSpotInterruption)),
			prev: prevAt(runningStatus),
			want: stop(stopping, ecsv1alpha1.StopCodeSpotInterruption, ReasonSpotInterruption, false),
		},
		{
			name: "an essential exit before the Spot interruption notice wins",
			pod: runningPod(condition(corev1.DisruptionTarget, 40, ecsv1alpha1.SpotInterruptionDisruptionReason, ReasonSpotInterruption),
				statuses(terminated("web", 1, "Error", 5, 20), running("log", 5, false))),
			prev: prevAt(runningStatus),
			want: stop(deactivating, essentialExited, ReasonEssentialContainerExited, true),
		},
		{
			name: "a disruption announced on a pod that still runs is ignored",
			pod:  runningPod(condition(corev1.DisruptionTarget, 40, corev1.PodReasonPreemptionByScheduler, "")),
			prev: prevAt(runningStatus),
			want: run(runningStatus),
		},
		{
			name: "an essential exit before the disruption wins",
			pod: runningPod(deleting(40), condition(corev1.DisruptionTarget, 40, "EvictionByEvictionAPI", ""),
				statuses(terminated("web", 1, "Error", 5, 20), running("log", 5, false))),
			prev: prevAt(runningStatus),
			want: stop(stopping, essentialExited, ReasonEssentialContainerExited, false),
		},
		{
			name: "pod deleted by someone else while RUNNING",
			prev: prevAt(runningStatus),
			want: stop(stoppedStatus, userInitiated, ReasonPodDeleted, false),
		},
		{
			name: "pod deleted by someone else before RUNNING",
			prev: prevAt(activating),
			want: stop(stoppedStatus, userInitiated, ReasonPodDeleted, false),
		},
		{
			name:       "pod created and deleted between two observations",
			podDeleted: true, prev: prevAt(provisioning),
			want: stop(stoppedStatus, userInitiated, ReasonPodDeleted, false),
		},
		{
			name: "pod being deleted by someone else",
			pod:  runningPod(deleting(40)), prev: prevAt(runningStatus),
			want: stop(stopping, userInitiated, ReasonPodDeleted, false),
		},
		{
			name: "essential container stopped by someone else's delete",
			pod:  runningPod(deleting(20), statuses(terminated("web", 143, "Error", 5, 25), running("log", 5, false))),
			prev: prevAt(runningStatus),
			want: stop(stopping, userInitiated, ReasonPodDeleted, false),
		},
		{
			name: "essential container exited before someone else's delete",
			pod:  runningPod(deleting(20), statuses(terminated("web", 1, "Error", 5, 10), running("log", 5, false))),
			prev: prevAt(runningStatus),
			want: stop(stopping, essentialExited, ReasonEssentialContainerExited, false),
		},
	})
}

// A finished pod always has a cause.
func TestDeriveFinishedPodFallback(t *testing.T) {
	runCases(t, []lifecycleCase{
		{
			name: "no essential container listed",
			pod:  newPod(containers("job"), essential(""), scheduled(1), statuses(terminated("job", 0, "Completed", 5, 9)), phase(corev1.PodSucceeded)),
			prev: prevAt(runningStatus),
			want: stop(stoppedStatus, essentialExited, ReasonEssentialContainerExited, false),
		},
		{
			name: "failed with the essential container never started",
			pod: newPod(containers("web", "log"), essential("web"), scheduled(1), phase(corev1.PodFailed),
				statuses(waiting("web", "ContainerCreating", ""), terminated("log", 1, "Error", 5, 9))),
			prev: prevAt(activating),
			want: stop(stoppedStatus, failedToStart, "ResourceInitializationError: pod Failed", false),
		},
	})
}

func TestDeriveWithoutTask(t *testing.T) {
	d := Derive(Input{Pod: runningPod(), Now: at(60)})
	if d.Status.LastStatus != runningStatus || !d.Status.CreatedAt.Equal(atp(60)) {
		t.Errorf("lastStatus %s createdAt %v, want RUNNING created now", d.Status.LastStatus, d.Status.CreatedAt)
	}
}

func TestDeriveMonotonic(t *testing.T) {
	runCases(t, []lifecycleCase{
		{
			name: "RUNNING task whose pod looks ACTIVATING",
			pod:  newPod(containers("web"), scheduled(1), statuses(waiting("web", "ContainerCreating", ""))),
			prev: prevAt(runningStatus),
			want: run(runningStatus),
		},
		{
			name: "ACTIVATING task whose pod looks unbound",
			pod:  newPod(containers("web")), prev: prevAt(activating),
			want: run(activating),
		},
		{
			name: "PENDING task with no pod in sight is not PROVISIONING again",
			prev: prevAt(pending),
			want: stop(stoppedStatus, userInitiated, ReasonPodDeleted, false),
		},
		{
			name: "STOPPING task whose pod looks DEACTIVATING",
			task: newTask(stopTask("")), pod: runningPod(),
			prev: withCause(prevAt(stopping), userInitiated, ReasonUserStopped),
			want: stop(stopping, userInitiated, ReasonUserStopped, true),
		},
		{
			name: "STOPPED stays STOPPED whatever the pod says",
			pod:  newPod(containers("web"), scheduled(1), statuses(terminated("web", 0, "Completed", 5, 9)), phase(corev1.PodSucceeded)),
			prev: withCause(prevAt(stoppedStatus), essentialExited, ReasonEssentialContainerExited),
			want: stop(stoppedStatus, essentialExited, ReasonEssentialContainerExited, false),
		},
		{
			name: "STOPPED task whose pod still runs: the pod is deleted",
			pod:  runningPod(),
			prev: withCause(prevAt(stoppedStatus), userInitiated, ReasonPodDeleted),
			want: stop(stoppedStatus, userInitiated, ReasonPodDeleted, true),
		},
	})
}

func TestDeriveStoppedIsFrozen(t *testing.T) {
	prev := withCause(prevAt(stoppedStatus), essentialExited, ReasonEssentialContainerExited)
	prev.StoppingAt, prev.ExecutionStoppedAt, prev.StoppedAt = atp(20), atp(21), atp(22)
	prev.Containers = []ecsv1alpha1.Container{{Name: "web", LastStatus: stoppedStatus}}
	d := Derive(Input{Task: newTask(stopTask("later")), Pod: runningPod(), Previous: prev, Now: at(100)})
	if diff := cmp.Diff(prev, d.Status); diff != "" {
		t.Errorf("a STOPPED task changed (-want +got):\n%s", diff)
	}
}

func TestDeriveStopGracePeriod(t *testing.T) {
	for _, tc := range []struct {
		name  string
		grace *int64
	}{
		{"from the pod's terminationGracePeriodSeconds", ptr.To[int64](90)},
		{"default when the pod has none", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := runningPod(func(p *corev1.Pod) { p.Spec.TerminationGracePeriodSeconds = tc.grace })
			d := Derive(Input{Task: newTask(stopTask("")), Pod: pod, Previous: prevAt(runningStatus), Now: at(60)})
			if !d.StopPod {
				t.Fatal("StopPod = false, want true")
			}
			if diff := cmp.Diff(tc.grace, d.StopGracePeriod); diff != "" {
				t.Errorf("StopGracePeriod (-want +got):\n%s", diff)
			}
			if tc.grace != nil && d.StopGracePeriod == pod.Spec.TerminationGracePeriodSeconds {
				t.Error("StopGracePeriod aliases the pod's field")
			}
		})
	}
}
