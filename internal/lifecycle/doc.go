// Package lifecycle derives an ECS task's observed state from its Pod and the Task's spec:
// lastStatus, desiredStatus, stopCode and stoppedReason, health, per-container status and the
// lifecycle timestamps, and whether the controller must delete the pod.
//
// It is pure: no client, no clock, no environment. The caller passes the Task, its Pod (nil
// when there is none), the status Derive returned last time and the time:
//
//	d := lifecycle.Derive(lifecycle.Input{Task: task, Pod: pod, Previous: task.Status, Now: now})
//	// write d.Status; if d.StopPod, delete the pod with d.StopGracePeriod
//
// # The pod
//
// A task runs as one pod with restartPolicy Never. ECS containers are regular containers,
// plain init containers (COMPLETE/SUCCESS dependencies) or native sidecars (init containers
// with restartPolicy Always: START/HEALTHY dependencies). Every container of the pod is an
// ECS container. The builder annotates the pod with ecsv1alpha1.EssentialContainersAnnotation (the
// Kubernetes names of the essential containers) and, when it converted ECS names,
// ecsv1alpha1.ContainerNamesAnnotation ("<k8s>=<ecs>,..."). Without the essential annotation every
// regular container is essential (ECS's default); with it, exactly the listed ones are.
//
// # lastStatus
//
// lastStatus never moves backwards: the status the pod shows is merged with Previous's and
// the later one wins. A STOPPED task is frozen; Derive returns Previous unchanged.
//
//   - PROVISIONING: no pod yet (a Task whose spec asks STOPPED before it has a pod is
//     STOPPED at once; the controller must not create its pod).
//   - PENDING: the pod is not bound to a node (no PodScheduled=True and no nodeName). An
//     unschedulable pod stays PENDING, as ECS keeps a task PENDING until resources free up.
//   - ACTIVATING: bound, and its essential containers are not all running yet (sandbox,
//     image pulls, plain init containers, sidecars starting).
//   - RUNNING: every essential container (regular or sidecar) runs, and at least one regular
//     container does.
//   - DEACTIVATING: a stop is decided for a task that reached RUNNING and the pod is not
//     being deleted yet (the controller is about to delete it). This holds for every stop
//     cause, so an essential container's exit goes RUNNING -> DEACTIVATING -> STOPPING.
//   - STOPPING: containers still run in a pod that is being deleted, or a stop is decided
//     for a task that never reached RUNNING while something in its pod runs.
//   - DEPROVISIONING: a stop is under way (or the pod is being deleted) and no container
//     runs, but the pod neither finished nor went away.
//   - STOPPED: the pod is gone, or reached phase Succeeded or Failed.
//
// The pod is gone when Pod is nil and either PodDeleted is set or Previous's lastStatus is
// PENDING or later (a pod was seen, so a nil one was deleted).
//
// desiredStatus is RUNNING, or STOPPED once the spec asks for it or the task stops for any
// cause (as ECS sets it when an essential container exits).
//
// # stopCode and stoppedReason
//
// The first cause found is recorded and kept: later observations never change it. Causes,
// in the order they are looked for:
//
//  1. Disruption, once the pod is being deleted or has failed: a DisruptionTarget=True
//     condition or a pod status reason. PreemptionByScheduler, TerminationByKubelet (node
//     pressure eviction, graceful node shutdown), EvictionByEvictionAPI (drain), reason
//     Evicted and reason Terminated (node shutdown) are TerminationNotice ("Task stopped:
//     pod evicted: <message>", "...: pod preempted: ...", "...: pod terminated by its node:
//     ...", "...: node shutdown: ..."); DeletionByTaintManager, DeletionByPodGC and reason
//     NodeLost are InfrastructureHealth ("Task stopped: node unhealthy: ..." or "...: node
//     lost: ..."). A pod of the FARGATE_SPOT capacity provider (pod label or status
//     capacityProviderName) is SpotInterruption, "Your Spot Task was interrupted.". A
//     DisruptionTarget condition on a pod that still runs undisturbed is ignored (the
//     deletion may not happen), except kube-ecs's own Spot interruption notice (reason
//     SpotInterruption, set by controllers/spot): it stops the task at once (SIGTERM
//     through the pod's deletion with its grace period). An essential container that exited before the disruption
//     wins over it.
//  2. StopTask (spec.desiredStatus STOPPED): UserInitiated, spec.stoppedReason or "Task
//     stopped by user".
//  3. Failure to start, only while the task never reached RUNNING: TaskFailedToStart with
//     Fargate's error prefixes:
//     - InvalidImageName, ErrImageNeverPull: "CannotPullContainerError: <message>", at once.
//     - ErrImagePull, ImagePullBackOff (and ImageInspectError, RegistryUnavailable,
//     SignatureValidationFailed): the same reason, but only once the task has been
//     activating for longer than Input.RetryTimeout (default DefaultRetryTimeout, 5
//     minutes) counted from pullStartedAt: the kubelet retries pulls and records no
//     "waiting since".
//     - CreateContainerConfigError (a missing Secret or ConfigMap): "ResourceInitializationError:
//     unable to pull secrets or registry auth: <message>", after the same timeout, because
//     on Kubernetes the Secret often appears a little after the pod (external-secrets,
//     apply order) and the kubelet then starts the container.
//     - CreateContainerError, RunContainerError, PreStartHookError, and a container
//     terminated with StartError or ContainerCannotRun: "CannotStartContainerError:
//     <message>", at once.
//     - A plain init container (a COMPLETE/SUCCESS dependency) exiting non-zero fails the
//     pod: "CannotStartContainerError: dependency <ecs name> exited with code <n>". ECS
//     reports a failed dependency as its dependent never starting, not as an essential exit.
//     - A pod that finished for no reason above (the kubelet rejected it: OutOfcpu,
//     NodeAffinity, UnexpectedAdmissionError...): "ResourceInitializationError: <reason>:
//     <message>" ("...: pod Failed" when the pod says nothing).
//  4. An essential container exited: a regular container terminated, or a sidecar terminated
//     or restarted (restartCount > 0 or a last terminated state: ECS never restarts an
//     essential container in place). EssentialContainerExited, "Essential container in task
//     exited". This also applies to a container that ran and exited before the task reached
//     RUNNING. In a pod being deleted, only an exit before the deletion was asked for
//     (deletionTimestamp minus deletionGracePeriodSeconds) counts; later exits are the
//     deletion's doing.
//  5. The pod was deleted by someone else (gone, or being deleted) while the task should
//     run: UserInitiated, "Task stopped: its pod was deleted". ECS has no exact analogue; a
//     deletion is an action, not a failure, so it is not TaskFailedToStart even before
//     RUNNING (which would also trip a service's circuit breaker).
//  6. A pod of a task that reached RUNNING that finished for no reason above (no essential
//     container listed, say): EssentialContainerExited.
//
// A non-essential container's exit stops nothing; its container entry shows STOPPED, its
// exit code and reason.
//
// # Stopping the pod
//
// StopPod is set while a stop cause is known and the pod is neither being deleted nor
// finished, so a failed delete is retried on the next reconcile and a finished pod is kept
// (with its logs) until the Task goes. StopGracePeriod is the pod's
// terminationGracePeriodSeconds (from the task definition's stopTimeout); Derive never
// asks for a forced (zero grace) delete. A STOPPED task whose pod somehow still runs gets
// StopPod too.
//
// # Timestamps
//
// Each timestamp is set once and then kept. Now is truncated to seconds (what the API
// stores), and times read from the pod are capped at Now (node clocks drift).
//
//   - createdAt: the Task's creationTimestamp.
//   - pullStartedAt: first seen bound: the PodReadyToStartContainers=True transition
//     (sandbox and network ready, pulls begin), else the PodScheduled=True transition,
//     else Now.
//   - connectivityAt: first seen with a pod IP: the PodReadyToStartContainers=True
//     transition, else Now. connectivity is then CONNECTED and stays so.
//   - pullStoppedAt: once every container has started or ended: the latest container start.
//   - startedAt: once every essential container has started: the latest essential start.
//     startedAt set is what "reached RUNNING" means for the stop causes.
//   - stoppingAt: first seen DEACTIVATING or later: when the cause began (essential exit's
//     finishedAt, disruption condition's transition, deletion request), else Now.
//   - executionStoppedAt: first seen DEPROVISIONING or later: the latest container finish,
//     not before stoppingAt.
//   - stoppedAt: first seen STOPPED: Now.
//
// # Containers
//
// One entry per container of the pod, in the pod's order (init containers first), named
// with its ECS name. image is the spec's image (as in the task definition); imageDigest is
// the digest of the status's imageID; runtimeId is the containerID without its runtime
// scheme. lastStatus is PENDING (no status yet, or waiting), RUNNING, or STOPPED (terminated,
// or a sidecar waiting to restart: exitCode and reason are then its last termination's).
// reason: empty for a plain exit (Completed, Error: the exit code says it), "OutOfMemoryError:
// Container killed due to memory usage" for OOMKilled, "CannotStartContainerError: ..." for
// StartError, "<reason>: <message>" otherwise; a waiting container shows the ECS reason of
// its error (CannotPullContainerError..., as for the task) even before it is fatal.
// networkBindings (one per TCP/UDP port; bindIP is the port's hostIP or the node's IP with a
// host port, else the pod IP) and networkInterfaces (the pod's IPv4 and IPv6) appear once
// the pod has an IP. containerArn, cpu, memory and memoryReservation are not Derive's; they
// are kept from Previous by name. In a STOPPED task every container is STOPPED.
//
// # Health
//
// A container's ECS health check is its readiness probe. healthStatus is UNKNOWN without a
// probe, when not running, or during its start period; HEALTHY while Ready; UNHEALTHY while
// running not Ready past its start period. The start period is initialDelaySeconds plus
// failureThreshold x periodSeconds (Kubernetes defaults 3 x 10s): readiness starts false, so
// "past initialDelaySeconds" alone would flag every container UNHEALTHY until its first
// probe; this matches ECS's startPeriod + retries. With a startup probe, the container is
// UNKNOWN until started. The task is UNHEALTHY if an essential container is, HEALTHY if every
// essential container with a health check is (and there is at least one), UNKNOWN otherwise
// (and once STOPPED). A container that stays not Ready turns UNHEALTHY when its start period
// ends, which no pod update announces: Decision.RecheckAt is then the end of the start period.
//
// # startTimeout
//
// A dependency with a startTimeout (pod annotation ecs.kube-ecs.io/start-timeouts) must reach
// the condition its dependents wait for within that many seconds of the pod being scheduled:
// a plain init container (COMPLETE/SUCCESS) must have exited 0, a sidecar (START/HEALTHY) must
// have started, which for HEALTHY means its startup probe passed. If not, its dependents give
// up, as on ECS: TaskFailedToStart, "CannotStartContainerError: dependency <name> did not reach
// the condition its dependents wait for within its startTimeout". Decision.RecheckAt tells the
// controller when to look again, as no event marks a deadline passing (the same holds for the
// retry timeout of retryable start failures).
//
// # version
//
// version is Previous's plus one when anything else in the status changed, so it counts
// ECS-visible state changes and an unchanged pod leaves the status byte-for-byte the same.
//
// Not derived here: conditions (Placed, ContainersHealthy, Ready), ARNs, availabilityZone,
// containerInstanceArn, cpu and memory; the controller sets them.
package lifecycle
