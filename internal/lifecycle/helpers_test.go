package lifecycle

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// t0 is the task's creation; times in tests are seconds after it.
var t0 = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

func at(sec int) metav1.Time { return metav1.NewTime(t0.Add(time.Duration(sec) * time.Second)) }

func atp(sec int) *metav1.Time { t := at(sec); return &t }

func newTask(opts ...func(*ecsv1alpha1.Task)) *ecsv1alpha1.Task {
	t := &ecsv1alpha1.Task{ObjectMeta: metav1.ObjectMeta{Name: "t1", Namespace: "ns", CreationTimestamp: at(0)}}
	for _, o := range opts {
		o(t)
	}
	return t
}

// stopTask is StopTask with reason (empty: none given).
func stopTask(reason string) func(*ecsv1alpha1.Task) {
	return func(t *ecsv1alpha1.Task) {
		t.Spec.DesiredStatus = ecsv1alpha1.DesiredTaskStopped
		t.Spec.StoppedReason = reason
	}
}

type podOpt func(*corev1.Pod)

// newPod is a pending pod with a 30s grace period and the given containers and state.
func newPod(opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "t1-pod", Namespace: "ns", Annotations: map[string]string{}, Labels: map[string]string{}},
		Spec:       corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, TerminationGracePeriodSeconds: ptr.To[int64](30)},
		Status:     corev1.PodStatus{Phase: corev1.PodPending},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func ctr(name string) corev1.Container { return corev1.Container{Name: name, Image: name + ":1"} }

// containers adds regular containers.
func containers(names ...string) podOpt {
	return func(p *corev1.Pod) {
		for _, n := range names {
			p.Spec.Containers = append(p.Spec.Containers, ctr(n))
		}
	}
}

// initContainer adds a plain init container (a COMPLETE/SUCCESS dependency).
func initContainer(name string) podOpt {
	return func(p *corev1.Pod) { p.Spec.InitContainers = append(p.Spec.InitContainers, ctr(name)) }
}

// sidecar adds a native sidecar (a START/HEALTHY dependency).
func sidecar(name string) podOpt {
	return func(p *corev1.Pod) {
		c := ctr(name)
		c.RestartPolicy = ptr.To(corev1.ContainerRestartPolicyAlways)
		p.Spec.InitContainers = append(p.Spec.InitContainers, c)
	}
}

func essential(names string) podOpt {
	return func(p *corev1.Pod) { p.Annotations[ecsv1alpha1.EssentialContainersAnnotation] = names }
}

func annotate(k, v string) podOpt { return func(p *corev1.Pod) { p.Annotations[k] = v } }

func label(k, v string) podOpt { return func(p *corev1.Pod) { p.Labels[k] = v } }

// condition sets condition t True since sec.
func condition(t corev1.PodConditionType, sec int, reason, msg string) podOpt {
	return func(p *corev1.Pod) {
		c := corev1.PodCondition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: at(sec), Reason: reason, Message: msg}
		for i := range p.Status.Conditions {
			if p.Status.Conditions[i].Type == t {
				p.Status.Conditions[i] = c
				return
			}
		}
		p.Status.Conditions = append(p.Status.Conditions, c)
	}
}

// scheduled binds the pod at sec; its sandbox and IP are ready a second later.
func scheduled(sec int) podOpt {
	return func(p *corev1.Pod) {
		p.Spec.NodeName = "node-1"
		condition(corev1.PodScheduled, sec, "", "")(p)
		condition(corev1.PodReadyToStartContainers, sec+1, "", "")(p)
		p.Status.HostIP = "10.0.0.5"
		p.Status.PodIP = "10.244.1.7"
		p.Status.PodIPs = []corev1.PodIP{{IP: "10.244.1.7"}}
	}
}

func phase(ph corev1.PodPhase) podOpt { return func(p *corev1.Pod) { p.Status.Phase = ph } }

func podReason(reason, msg string) podOpt {
	return func(p *corev1.Pod) { p.Status.Reason, p.Status.Message = reason, msg }
}

// deleting marks the pod deleted at sec with its 30s grace period.
func deleting(sec int) podOpt {
	return func(p *corev1.Pod) {
		p.DeletionTimestamp = atp(sec + 30)
		p.DeletionGracePeriodSeconds = ptr.To[int64](30)
	}
}

// probe gives container name a readiness probe (ECS health check) of initial delay delay,
// 5s period and 3 failures: a 15s+delay start period.
func probe(name string, delay int32) podOpt {
	return func(p *corev1.Pod) {
		pr := &corev1.Probe{InitialDelaySeconds: delay, PeriodSeconds: 5, FailureThreshold: 3}
		for _, cs := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
			for i := range cs {
				if cs[i].Name == name {
					cs[i].ReadinessProbe = pr
				}
			}
		}
	}
}

// statuses sets the statuses of regular containers (and a pending pod's phase to Running).
func statuses(ss ...corev1.ContainerStatus) podOpt {
	return func(p *corev1.Pod) {
		if p.Status.Phase == corev1.PodPending {
			p.Status.Phase = corev1.PodRunning
		}
		p.Status.ContainerStatuses = ss
	}
}

// initStatuses sets the statuses of init containers and sidecars.
func initStatuses(ss ...corev1.ContainerStatus) podOpt {
	return func(p *corev1.Pod) { p.Status.InitContainerStatuses = ss }
}

func running(name string, started int, ready bool) corev1.ContainerStatus {
	return corev1.ContainerStatus{
		Name: name, Ready: ready, Started: ptr.To(true), Image: "docker.io/library/" + name + ":1",
		ImageID:     "docker.io/library/" + name + "@sha256:" + name,
		ContainerID: "containerd://id-" + name,
		State:       corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: at(started)}},
	}
}

func waiting(name, reason, msg string) corev1.ContainerStatus {
	return corev1.ContainerStatus{
		Name: name, Image: name + ":1",
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}},
	}
}

func terminated(name string, code int32, reason string, started, finished int) corev1.ContainerStatus {
	s := running(name, started, false)
	s.State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
		ExitCode: code, Reason: reason, StartedAt: at(started), FinishedAt: at(finished), ContainerID: s.ContainerID,
	}}
	return s
}

// restarted is a sidecar status s after one earlier run that exited with code.
func restarted(s corev1.ContainerStatus, code int32, started, finished int) corev1.ContainerStatus {
	s.RestartCount = 1
	s.LastTerminationState = terminated(s.Name, code, "Error", started, finished).State
	return s
}

// runningPod is a scheduled pod whose containers web (essential) and log run since 5s.
func runningPod(opts ...podOpt) *corev1.Pod {
	base := []podOpt{
		containers("web", "log"), essential("web"), scheduled(1),
		statuses(running("web", 5, false), running("log", 5, false)),
	}
	return newPod(append(base, opts...)...)
}

// prevAt is a previous status of lastStatus s with the timestamps that state implies.
func prevAt(s ecsv1alpha1.TaskLifecycleStatus) ecsv1alpha1.TaskStatus {
	st := ecsv1alpha1.TaskStatus{LastStatus: s, DesiredStatus: ecsv1alpha1.TaskRunning, CreatedAt: atp(0), Version: 3}
	if rank(s) >= rank(ecsv1alpha1.TaskActivating) {
		st.PullStartedAt, st.ConnectivityAt, st.Connectivity = atp(2), atp(2), ConnectivityConnected
	}
	if rank(s) >= rank(ecsv1alpha1.TaskRunning) {
		st.PullStoppedAt, st.StartedAt = atp(5), atp(5)
	}
	return st
}
