package lifecycle

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

func TestDeriveContainers(t *testing.T) {
	withPorts := func(name string, ports ...corev1.ContainerPort) podOpt {
		return func(p *corev1.Pod) {
			for _, cs := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
				for i := range cs {
					if cs[i].Name == name {
						cs[i].Ports = ports
					}
				}
			}
		}
	}
	dualStack := func(p *corev1.Pod) {
		p.Status.PodIPs = []corev1.PodIP{{IP: "10.244.1.7"}, {IP: "fd00::7"}}
	}
	pod := newPod(
		initContainer("migrate"), sidecar("envoy"), containers("web", "worker", "cron", "helper"),
		essential("envoy,web"), annotate(ecsv1alpha1.ContainerNamesAnnotation, "migrate=db_migrate, web = Web_App"),
		scheduled(1), dualStack, probe("envoy", 0), probe("web", 0),
		withPorts("envoy", corev1.ContainerPort{ContainerPort: 9901}),
		withPorts("web",
			corev1.ContainerPort{ContainerPort: 80, Protocol: corev1.ProtocolTCP},
			corev1.ContainerPort{ContainerPort: 8125, HostPort: 8125, Protocol: corev1.ProtocolUDP},
			corev1.ContainerPort{ContainerPort: 9000, HostPort: 9000, HostIP: "127.0.0.1"},
			corev1.ContainerPort{ContainerPort: 9999, Protocol: corev1.ProtocolSCTP},
		),
		initStatuses(terminated("migrate", 0, "Completed", 2, 3), running("envoy", 4, true)),
		statuses(
			running("web", 5, true),
			terminated("worker", 137, "OOMKilled", 5, 30),
			waiting("cron", "ErrImagePull", `Failed to pull image "cron:1": not found`),
		),
	)
	prev := prevAt(runningStatus)
	prev.Containers = []ecsv1alpha1.Container{{Name: "Web_App", ContainerArn: "arn:web", CPU: "256", Memory: "512", MemoryReservation: "128", LastStatus: runningStatus}}

	d := Derive(Input{Task: newTask(), Pod: pod, Previous: prev, Now: at(60)})

	ni := []ecsv1alpha1.NetworkInterface{{PrivateIpv4Address: "10.244.1.7", Ipv6Address: "fd00::7"}}
	want := []ecsv1alpha1.Container{
		{
			Name: "db_migrate", Image: "migrate:1", ImageDigest: "sha256:migrate", RuntimeID: "id-migrate",
			LastStatus: stoppedStatus, ExitCode: ptr.To[int32](0), HealthStatus: ecsv1alpha1.HealthStatusUnknown,
			NetworkInterfaces: ni,
		},
		{
			Name: "envoy", Image: "envoy:1", ImageDigest: "sha256:envoy", RuntimeID: "id-envoy",
			LastStatus: runningStatus, HealthStatus: ecsv1alpha1.HealthStatusHealthy, Essential: true,
			NetworkBindings:   []ecsv1alpha1.NetworkBinding{{BindIP: "10.244.1.7", ContainerPort: 9901, Protocol: "tcp"}},
			NetworkInterfaces: ni,
		},
		{
			Name: "Web_App", ContainerArn: "arn:web", CPU: "256", Memory: "512", MemoryReservation: "128",
			Image: "web:1", ImageDigest: "sha256:web", RuntimeID: "id-web",
			LastStatus: runningStatus, HealthStatus: ecsv1alpha1.HealthStatusHealthy, Essential: true,
			NetworkBindings: []ecsv1alpha1.NetworkBinding{
				{BindIP: "10.244.1.7", ContainerPort: 80, Protocol: "tcp"},
				{BindIP: "10.0.0.5", ContainerPort: 8125, HostPort: 8125, Protocol: "udp"},
				{BindIP: "127.0.0.1", ContainerPort: 9000, HostPort: 9000, Protocol: "tcp"},
			},
			NetworkInterfaces: ni,
		},
		{
			Name: "worker", Image: "worker:1", ImageDigest: "sha256:worker", RuntimeID: "id-worker",
			LastStatus: stoppedStatus, ExitCode: ptr.To[int32](137), Reason: ReasonOutOfMemory,
			HealthStatus: ecsv1alpha1.HealthStatusUnknown, NetworkInterfaces: ni,
		},
		{
			Name: "cron", Image: "cron:1", LastStatus: pendingContainer,
			Reason:       `CannotPullContainerError: Failed to pull image "cron:1": not found`,
			HealthStatus: ecsv1alpha1.HealthStatusUnknown, NetworkInterfaces: ni,
		},
		{
			Name: "helper", Image: "helper:1", LastStatus: pendingContainer,
			HealthStatus: ecsv1alpha1.HealthStatusUnknown, NetworkInterfaces: ni,
		},
	}
	if diff := cmp.Diff(want, d.Status.Containers); diff != "" {
		t.Errorf("containers (-want +got):\n%s", diff)
	}
	if d.Status.LastStatus != runningStatus || d.Status.StopCode != "" {
		t.Errorf("task = %s %q, want RUNNING: only non-essential containers stopped", d.Status.LastStatus, d.Status.StopCode)
	}
}

const pendingContainer = ecsv1alpha1.TaskPending

func TestDeriveContainerStates(t *testing.T) {
	oneContainer := func(ss ...corev1.ContainerStatus) *corev1.Pod {
		return newPod(sidecar("envoy"), containers("web", "log"), essential("web"), scheduled(1),
			initStatuses(ss[0]), statuses(ss[1:]...))
	}
	startError := terminated("log", 128, "StartError", 0, 6)
	startError.State.Terminated.StartedAt.Time = t0.AddDate(-60, 0, 0)
	startError.State.Terminated.Message = "exec format error"
	for _, tc := range []struct {
		name string
		pod  *corev1.Pod
		want []ecsv1alpha1.Container // name, lastStatus, exitCode, reason only
	}{
		{
			name: "sidecar waiting to restart is STOPPED with its last exit",
			pod: oneContainer(restarted(waiting("envoy", "CrashLoopBackOff", "back-off 10s"), 2, 3, 20),
				running("web", 5, false), running("log", 5, false)),
			want: []ecsv1alpha1.Container{
				{Name: "envoy", LastStatus: stoppedStatus, ExitCode: ptr.To[int32](2)},
				{Name: "web", LastStatus: runningStatus},
				{Name: "log", LastStatus: runningStatus},
			},
		},
		{
			name: "sidecar running again after a restart",
			pod: oneContainer(restarted(running("envoy", 21, false), 2, 3, 20),
				running("web", 5, false), running("log", 5, false)),
			want: []ecsv1alpha1.Container{
				{Name: "envoy", LastStatus: runningStatus},
				{Name: "web", LastStatus: runningStatus},
				{Name: "log", LastStatus: runningStatus},
			},
		},
		{
			name: "start error and other kubelet reasons",
			pod: oneContainer(running("envoy", 3, false),
				func() corev1.ContainerStatus {
					s := terminated("web", 137, "ContainerStatusUnknown", 5, 30)
					s.State.Terminated.Message = "The container could not be located when the pod was terminated"
					return s
				}(), startError),
			want: []ecsv1alpha1.Container{
				{Name: "envoy", LastStatus: runningStatus},
				{Name: "web", LastStatus: stoppedStatus, ExitCode: ptr.To[int32](137), Reason: "ContainerStatusUnknown: The container could not be located when the pod was terminated"},
				{Name: "log", LastStatus: stoppedStatus, ExitCode: ptr.To[int32](128), Reason: "CannotStartContainerError: exec format error"},
			},
		},
		{
			name: "waiting on a secret, and a plain exit",
			pod: oneContainer(running("envoy", 3, false),
				waiting("web", "CreateContainerConfigError", `secret "db" not found`), terminated("log", 1, "Error", 5, 9)),
			want: []ecsv1alpha1.Container{
				{Name: "envoy", LastStatus: runningStatus},
				{Name: "web", LastStatus: pendingContainer, Reason: `ResourceInitializationError: unable to pull secrets or registry auth: secret "db" not found`},
				{Name: "log", LastStatus: stoppedStatus, ExitCode: ptr.To[int32](1)},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Derive(Input{Task: newTask(), Pod: tc.pod, Previous: prevAt(activating), Now: at(60)})
			var got []ecsv1alpha1.Container
			for _, c := range d.Status.Containers {
				got = append(got, ecsv1alpha1.Container{Name: c.Name, LastStatus: c.LastStatus, ExitCode: c.ExitCode, Reason: c.Reason})
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("containers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeriveContainersWhenStopped(t *testing.T) {
	prev := withCause(prevAt(stopping), userInitiated, ReasonUserStopped)
	prev.Containers = []ecsv1alpha1.Container{
		{Name: "web", LastStatus: runningStatus, HealthStatus: ecsv1alpha1.HealthStatusHealthy, Essential: true},
		{Name: "log", LastStatus: stoppedStatus, ExitCode: ptr.To[int32](0), HealthStatus: ecsv1alpha1.HealthStatusUnknown},
	}
	d := Derive(Input{Task: newTask(stopTask("")), Previous: prev, Now: at(60)})
	want := []ecsv1alpha1.Container{
		{Name: "web", LastStatus: stoppedStatus, HealthStatus: ecsv1alpha1.HealthStatusUnknown, Essential: true},
		{Name: "log", LastStatus: stoppedStatus, ExitCode: ptr.To[int32](0), HealthStatus: ecsv1alpha1.HealthStatusUnknown},
	}
	if diff := cmp.Diff(want, d.Status.Containers); diff != "" {
		t.Errorf("containers of a task whose pod is gone (-want +got):\n%s", diff)
	}
	if d.Status.HealthStatus != ecsv1alpha1.HealthStatusUnknown {
		t.Errorf("healthStatus = %s, want UNKNOWN once STOPPED", d.Status.HealthStatus)
	}
}

func TestNameAndIDParsing(t *testing.T) {
	for _, tc := range []struct{ in, digest string }{
		{"docker.io/library/nginx@sha256:abc", "sha256:abc"},
		{"docker-pullable://nginx@sha256:abc", "sha256:abc"},
		{"sha256:def", "sha256:def"},
		{"", ""},
		{"nginx:1.27", ""},
	} {
		if got := imageDigest(tc.in); got != tc.digest {
			t.Errorf("imageDigest(%q) = %q, want %q", tc.in, got, tc.digest)
		}
	}
	for _, tc := range []struct{ in, id string }{
		{"containerd://0123abcd", "0123abcd"},
		{"cri-o://beef", "beef"},
		{"0123abcd", "0123abcd"},
		{"", ""},
	} {
		if got := runtimeID(tc.in); got != tc.id {
			t.Errorf("runtimeID(%q) = %q, want %q", tc.in, got, tc.id)
		}
	}
	got := parseNames(" a=A_1 ,b = B,broken, =x,y=,c=C=D,")
	want := map[string]string{"a": "A_1", "b": "B", "c": "C=D"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parseNames (-want +got):\n%s", diff)
	}
	set, listed := parseEssential(map[string]string{ecsv1alpha1.EssentialContainersAnnotation: "web, cache,,"})
	if diff := cmp.Diff(map[string]bool{"web": true, "cache": true}, set); diff != "" || !listed {
		t.Errorf("parseEssential (-want +got):\n%s (listed %v)", diff, listed)
	}
}
