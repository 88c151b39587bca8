package taskdef_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/taskdef"
)

func TestContainerSecurityContext(t *testing.T) {
	tests := []struct {
		name      string
		set       func(*ecsv1alpha1.ContainerDefinition)
		want      *corev1.SecurityContext
		wantNotes []string
	}{
		{name: "nothing set, no security context", set: func(*ecsv1alpha1.ContainerDefinition) {}},
		{name: "a numeric user", set: func(c *ecsv1alpha1.ContainerDefinition) { c.User = "1000" },
			want: &corev1.SecurityContext{RunAsUser: ptr.To[int64](1000)}},
		{name: "numeric user and group", set: func(c *ecsv1alpha1.ContainerDefinition) { c.User = "1000:2000" },
			want: &corev1.SecurityContext{RunAsUser: ptr.To[int64](1000), RunAsGroup: ptr.To[int64](2000)}},
		{name: "root by number", set: func(c *ecsv1alpha1.ContainerDefinition) { c.User = "0" },
			want: &corev1.SecurityContext{RunAsUser: ptr.To[int64](0)}},
		{name: "a user name cannot be expressed", set: func(c *ecsv1alpha1.ContainerDefinition) { c.User = "nginx" },
			wantNotes: []string{`containerDefinitions[0].user: the user "nginx" is not a numeric id, and Kubernetes runs containers as numeric ids only; the image's user applies`}},
		{name: "a name with a numeric group keeps the group", set: func(c *ecsv1alpha1.ContainerDefinition) { c.User = "app:2000" },
			want:      &corev1.SecurityContext{RunAsGroup: ptr.To[int64](2000)},
			wantNotes: []string{`containerDefinitions[0].user: the user "app" is not a numeric id, and Kubernetes runs containers as numeric ids only; the image's user applies`}},
		{name: "a uid with a group name keeps the uid", set: func(c *ecsv1alpha1.ContainerDefinition) { c.User = "1000:staff" },
			want:      &corev1.SecurityContext{RunAsUser: ptr.To[int64](1000)},
			wantNotes: []string{`containerDefinitions[0].user: the group "staff" is not a numeric id, and Kubernetes runs containers as numeric ids only; the image's group applies`}},
		{name: "privileged and a read-only root file system", set: func(c *ecsv1alpha1.ContainerDefinition) {
			c.Privileged, c.ReadonlyRootFilesystem = ptr.To(true), ptr.To(true)
		}, want: &corev1.SecurityContext{Privileged: ptr.To(true), ReadOnlyRootFilesystem: ptr.To(true)}},
		{name: "false is the default and is not written", set: func(c *ecsv1alpha1.ContainerDefinition) {
			c.Privileged, c.ReadonlyRootFilesystem = ptr.To(false), ptr.To(false)
		}},
		{name: "capabilities", set: func(c *ecsv1alpha1.ContainerDefinition) {
			c.LinuxParameters = &ecsv1alpha1.LinuxParameters{Capabilities: &ecsv1alpha1.KernelCapabilities{Add: []string{"NET_BIND_SERVICE"}, Drop: []string{"ALL"}}}
		}, want: &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_BIND_SERVICE"}, Drop: []corev1.Capability{"ALL"}}}},
		{name: "docker security options", set: func(c *ecsv1alpha1.ContainerDefinition) {
			c.DockerSecurityOptions = []string{"no-new-privileges", "apparmor:my-profile", "label:type:svirt_t", "label:level:s0:c1,c2", "credentialspec:file://x.json", "label:disable"}
		}, want: &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr.To(false),
			AppArmorProfile:          &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeLocalhost, LocalhostProfile: ptr.To("my-profile")},
			SELinuxOptions:           &corev1.SELinuxOptions{Type: "svirt_t", Level: "s0:c1,c2"},
		}, wantNotes: []string{
			`containerDefinitions[0].dockerSecurityOptions[4]: "credentialspec:file://x.json" has no Kubernetes equivalent; ignored`,
			`containerDefinitions[0].dockerSecurityOptions[5]: "label:disable" has no Kubernetes equivalent; ignored`,
		}},
		{name: "apparmor unconfined and the default", set: func(c *ecsv1alpha1.ContainerDefinition) {
			c.DockerSecurityOptions = []string{"apparmor:unconfined"}
		}, want: &corev1.SecurityContext{AppArmorProfile: &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustBuild(t, taskdef.Input{Spec: spec("", ctr("web", tt.set))})
			if diff := cmp.Diff(tt.want, container(t, res, "web").SecurityContext); diff != "" {
				t.Errorf("security context (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantNotes, res.Unsupported); diff != "" {
				t.Errorf("notes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestContainerProcessSettings(t *testing.T) {
	s := spec("", ctr("web", func(c *ecsv1alpha1.ContainerDefinition) {
		c.WorkingDirectory = "/app"
		c.Interactive, c.PseudoTerminal = ptr.To(true), ptr.To(true)
	}), ctr("plain"))
	res := mustBuild(t, taskdef.Input{Spec: s})
	web, plain := container(t, res, "web"), container(t, res, "plain")
	if web.WorkingDir != "/app" || !web.Stdin || !web.TTY {
		t.Errorf("web: workingDir %q, stdin %t, tty %t; want /app, true, true", web.WorkingDir, web.Stdin, web.TTY)
	}
	if plain.WorkingDir != "" || plain.Stdin || plain.TTY {
		t.Errorf("plain: workingDir %q, stdin %t, tty %t; want none", plain.WorkingDir, plain.Stdin, plain.TTY)
	}
}

func TestPodSecurity(t *testing.T) {
	sysctl := func(ns, v string) ecsv1alpha1.SystemControl {
		return ecsv1alpha1.SystemControl{Namespace: ns, Value: v}
	}
	tests := []struct {
		name      string
		spec      *ecsv1alpha1.TaskDefinitionSpec
		want      corev1.PodSpec // only the fields below are compared
		wantNotes []string
	}{
		{name: "nothing set", spec: spec("", ctr("a"))},
		{name: "pidMode task shares the process namespace", spec: withModes(spec("", ctr("a")), "task", ""),
			want: corev1.PodSpec{ShareProcessNamespace: ptr.To(true)}},
		{name: "pidMode host is the host's", spec: withModes(spec("", ctr("a")), "host", ""),
			want: corev1.PodSpec{HostPID: true}},
		{name: "ipcMode host is the host's", spec: withModes(spec("", ctr("a")), "", "host"),
			want: corev1.PodSpec{HostIPC: true}},
		{name: "ipcMode task is what a pod does anyway", spec: withModes(spec("", ctr("a")), "", "task")},
		{name: "ipcMode none cannot be had", spec: withModes(spec("", ctr("a")), "", "none"),
			wantNotes: []string{"ipcMode: none: the containers of a pod always share an IPC namespace on Kubernetes"}},
		{name: "systemControls are merged into the pod's sysctls",
			spec: spec("",
				ctr("a", func(c *ecsv1alpha1.ContainerDefinition) {
					c.SystemControls = []ecsv1alpha1.SystemControl{sysctl("net.core.somaxconn", "1024"), sysctl("kernel.shm_rmid_forced", "1")}
				}),
				ctr("b", func(c *ecsv1alpha1.ContainerDefinition) {
					c.SystemControls = []ecsv1alpha1.SystemControl{sysctl("net.core.somaxconn", "1024"), sysctl("kernel.shm_rmid_forced", "0"), sysctl("Bad Name", "1")}
				})),
			want: corev1.PodSpec{SecurityContext: &corev1.PodSecurityContext{Sysctls: []corev1.Sysctl{
				{Name: "net.core.somaxconn", Value: "1024"}, {Name: "kernel.shm_rmid_forced", Value: "1"},
			}}},
			wantNotes: []string{
				`containerDefinitions[1].systemControls[1]: kernel.shm_rmid_forced is set to "1" by another container, and Kubernetes sets sysctls per pod; "0" ignored`,
				`containerDefinitions[1].systemControls[2]: "Bad Name" is not a valid sysctl name; ignored`,
			}},
		{name: "network sysctls are left out on the host network",
			spec: spec(ecsv1alpha1.NetworkModeHost, ctr("a", func(c *ecsv1alpha1.ContainerDefinition) {
				c.SystemControls = []ecsv1alpha1.SystemControl{sysctl("net.ipv4.ip_local_port_range", "1024 65000"), sysctl("kernel.msgmax", "65536")}
			})),
			want: corev1.PodSpec{HostNetwork: true, SecurityContext: &corev1.PodSecurityContext{Sysctls: []corev1.Sysctl{{Name: "kernel.msgmax", Value: "65536"}}}},
			wantNotes: []string{
				"containerDefinitions[0].systemControls[0]: net.ipv4.ip_local_port_range would change the node's network settings on the host network; ignored",
			}},
		{name: "IPC sysctls are left out with the host's IPC namespace",
			spec: withModes(spec("", ctr("a", func(c *ecsv1alpha1.ContainerDefinition) {
				c.SystemControls = []ecsv1alpha1.SystemControl{sysctl("kernel.shm_rmid_forced", "1"), sysctl("fs.mqueue.msg_max", "20"), sysctl("net.core.somaxconn", "512")}
			})), "", "host"),
			want: corev1.PodSpec{HostIPC: true, SecurityContext: &corev1.PodSecurityContext{Sysctls: []corev1.Sysctl{{Name: "net.core.somaxconn", Value: "512"}}}},
			wantNotes: []string{
				"containerDefinitions[0].systemControls[0]: kernel.shm_rmid_forced would change the node's IPC settings with ipcMode host; ignored",
				"containerDefinitions[0].systemControls[1]: fs.mqueue.msg_max would change the node's IPC settings with ipcMode host; ignored",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustBuild(t, taskdef.Input{Spec: tt.spec})
			got := corev1.PodSpec{
				ShareProcessNamespace: res.PodSpec.ShareProcessNamespace,
				HostPID:               res.PodSpec.HostPID,
				HostIPC:               res.PodSpec.HostIPC,
				HostNetwork:           res.PodSpec.HostNetwork,
				SecurityContext:       res.PodSpec.SecurityContext,
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("pod security (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantNotes, res.Unsupported); diff != "" {
				t.Errorf("notes (-want +got):\n%s", diff)
			}
		})
	}
}

func withModes(s *ecsv1alpha1.TaskDefinitionSpec, pid, ipc string) *ecsv1alpha1.TaskDefinitionSpec {
	s.PidMode, s.IpcMode = pid, ipc
	return s
}

func TestRuntimePlatform(t *testing.T) {
	tests := []struct {
		name       string
		platform   *ecsv1alpha1.RuntimePlatform
		launchType ecsv1alpha1.LaunchType
		want       map[string]string
	}{
		{name: "none on EC2: any node"},
		{name: "X86_64 Linux", platform: &ecsv1alpha1.RuntimePlatform{CPUArchitecture: "X86_64", OperatingSystemFamily: "LINUX"},
			want: map[string]string{"kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux"}},
		{name: "ARM64 only", platform: &ecsv1alpha1.RuntimePlatform{CPUArchitecture: "ARM64"},
			want: map[string]string{"kubernetes.io/arch": "arm64"}},
		{name: "Windows picks the build", platform: &ecsv1alpha1.RuntimePlatform{OperatingSystemFamily: "WINDOWS_SERVER_2022_CORE"},
			want: map[string]string{"kubernetes.io/os": "windows", "node.kubernetes.io/windows-build": "10.0.20348"}},
		{name: "Fargate defaults to Linux on X86_64", launchType: ecsv1alpha1.LaunchTypeFargate,
			want: map[string]string{"kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux"}},
		{name: "Fargate on ARM64", platform: &ecsv1alpha1.RuntimePlatform{CPUArchitecture: "ARM64"}, launchType: ecsv1alpha1.LaunchTypeFargate,
			want: map[string]string{"kubernetes.io/arch": "arm64", "kubernetes.io/os": "linux"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fargateSpec(ctr("a"))
			s.RuntimePlatform = tt.platform
			res := mustBuild(t, taskdef.Input{Spec: s, LaunchType: tt.launchType})
			if diff := cmp.Diff(tt.want, res.PodSpec.NodeSelector); diff != "" {
				t.Errorf("node selector (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFargateCompatibility: on FARGATE, a task definition that breaks Fargate's rules (which
// admission checks only when it declares FARGATE) is refused as ECS's RunTask refuses it.
func TestFargateCompatibility(t *testing.T) {
	const prefix = "Task definition does not support launch_type FARGATE. "
	tests := []struct {
		name    string
		change  func(*ecsv1alpha1.TaskDefinitionSpec)
		wantErr string
	}{
		{name: "bridge", change: func(s *ecsv1alpha1.TaskDefinitionSpec) { s.NetworkMode = "" },
			wantErr: "Fargate only supports network mode 'awsvpc'."},
		{name: "no task cpu", change: func(s *ecsv1alpha1.TaskDefinitionSpec) { s.CPU = "" },
			wantErr: "Fargate requires that 'cpu' be defined at the task level."},
		{name: "no task memory", change: func(s *ecsv1alpha1.TaskDefinitionSpec) { s.Memory = "" },
			wantErr: "Fargate requires that 'memory' be defined at the task level."},
		{name: "privileged", change: func(s *ecsv1alpha1.TaskDefinitionSpec) { s.ContainerDefinitions[0].Privileged = ptr.To(true) },
			wantErr: "Fargate does not support privileged containers: remove privileged: true"},
		{name: "host sourcePath", change: func(s *ecsv1alpha1.TaskDefinitionSpec) {
			s.Volumes = []ecsv1alpha1.Volume{{Name: "v", Host: &ecsv1alpha1.HostVolumeProperties{SourcePath: "/var/log"}}}
		}, wantErr: "Fargate does not support host volumes with a sourcePath; omit sourcePath for task-scoped scratch space"},
		{name: "pidMode host", change: func(s *ecsv1alpha1.TaskDefinitionSpec) { s.PidMode = "host" },
			wantErr: "Fargate does not support pidMode host."},
		{name: "ipcMode host", change: func(s *ecsv1alpha1.TaskDefinitionSpec) { s.IpcMode = "host" },
			wantErr: "Fargate does not support ipcMode host."},
		{name: "hostPort other than containerPort", change: func(s *ecsv1alpha1.TaskDefinitionSpec) {
			s.ContainerDefinitions[0].PortMappings = []ecsv1alpha1.PortMapping{{ContainerPort: ptr.To[int32](80), HostPort: ptr.To[int32](8080)}}
		}, wantErr: "When networkMode=awsvpc, the host ports and container ports in port mappings must match."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fargateSpec(ctr("web"))
			s.RequiresCompatibilities = nil
			tt.change(s)
			if _, err := taskdef.Build(taskdef.Input{Spec: s, LaunchType: ecsv1alpha1.LaunchTypeFargate}); err == nil || err.Error() != prefix+tt.wantErr {
				t.Errorf("Build error = %v, want %q", err, prefix+tt.wantErr)
			}
			if err := taskdef.CheckFargate(s); err == nil || err.Error() != prefix+tt.wantErr {
				t.Errorf("CheckFargate error = %v, want %q", err, prefix+tt.wantErr)
			}
			if _, err := taskdef.Build(taskdef.Input{Spec: s, LaunchType: ecsv1alpha1.LaunchTypeEC2}); err != nil {
				t.Errorf("Build on EC2 error = %v, want none", err)
			}
		})
	}
}
