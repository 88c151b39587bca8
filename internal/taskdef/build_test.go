package taskdef_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/taskdef"
)

// ctr is a container definition named name, with image "img" and 512 MiB of memory, changed
// by the options.
func ctr(name string, opts ...func(*ecsv1alpha1.ContainerDefinition)) ecsv1alpha1.ContainerDefinition {
	c := ecsv1alpha1.ContainerDefinition{Name: name, Image: "img", Memory: ptr.To[int32](512)}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// spec is a task definition in network mode mode with the containers.
func spec(mode ecsv1alpha1.NetworkMode, cs ...ecsv1alpha1.ContainerDefinition) *ecsv1alpha1.TaskDefinitionSpec {
	return &ecsv1alpha1.TaskDefinitionSpec{NetworkMode: mode, ContainerDefinitions: cs}
}

// fargateSpec is an awsvpc task definition of 0.5 vCPU and 1 GB that declares FARGATE.
func fargateSpec(cs ...ecsv1alpha1.ContainerDefinition) *ecsv1alpha1.TaskDefinitionSpec {
	s := spec(ecsv1alpha1.NetworkModeAwsvpc, cs...)
	s.RequiresCompatibilities = []ecsv1alpha1.Compatibility{ecsv1alpha1.CompatibilityFargate}
	s.CPU, s.Memory = "512", "1024"
	return s
}

func nonEssential(c *ecsv1alpha1.ContainerDefinition) { c.Essential = ptr.To(false) }

func dependsOn(name string, cond ecsv1alpha1.ContainerCondition) func(*ecsv1alpha1.ContainerDefinition) {
	return func(c *ecsv1alpha1.ContainerDefinition) {
		c.DependsOn = append(c.DependsOn, ecsv1alpha1.ContainerDependency{ContainerName: name, Condition: cond})
	}
}

func mustBuild(t *testing.T, in taskdef.Input) taskdef.Result {
	t.Helper()
	res, err := taskdef.Build(in)
	if err != nil {
		t.Fatalf("Build error: %v", err)
	}
	return res
}

// container finds a container (init or regular) of the pod by its Kubernetes name.
func container(t *testing.T, res taskdef.Result, name string) corev1.Container {
	t.Helper()
	for _, c := range slices.Concat(res.PodSpec.InitContainers, res.PodSpec.Containers) {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no container %s in the pod", name)
	return corev1.Container{}
}

func mi(n int64) resource.Quantity { return *resource.NewQuantity(n<<20, resource.BinarySI) }
func milli(n int64) resource.Quantity {
	return *resource.NewMilliQuantity(n, resource.DecimalSI)
}

// TestBuildWholePod checks a complete PodSpec, so that every default Build sets is seen.
func TestBuildWholePod(t *testing.T) {
	s := spec(ecsv1alpha1.NetworkModeAwsvpc,
		ctr("web", func(c *ecsv1alpha1.ContainerDefinition) {
			c.CPU = ptr.To[int32](256)
			c.MemoryReservation = ptr.To[int32](256)
			c.EntryPoint = []string{"/bin/web"}
			c.Command = []string{"--port", "80"}
			c.PortMappings = []ecsv1alpha1.PortMapping{{ContainerPort: ptr.To[int32](80), Name: "http"}}
			c.Environment = []ecsv1alpha1.KeyValuePair{{Name: "MODE", Value: "prod"}}
			c.HealthCheck = &ecsv1alpha1.HealthCheck{Command: []string{"CMD", "/bin/check"}}
			c.StopTimeout = ptr.To[int32](10)
		}, dependsOn("proxy", ecsv1alpha1.ContainerConditionStart)),
		ctr("proxy"),
	)
	got := mustBuild(t, taskdef.Input{Spec: s})
	want := taskdef.Result{
		PodSpec: corev1.PodSpec{
			InitContainers: []corev1.Container{{
				Name:          "proxy",
				Image:         "img",
				Env:           metadataEnv("proxy"),
				Resources:     corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceMemory: mi(512)}, Limits: corev1.ResourceList{corev1.ResourceMemory: mi(512)}},
				RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways),
			}},
			Containers: []corev1.Container{{
				Name:    "web",
				Image:   "img",
				Command: []string{"/bin/web"},
				Args:    []string{"--port", "80"},
				Ports:   []corev1.ContainerPort{{Name: "http", ContainerPort: 80, Protocol: corev1.ProtocolTCP}},
				Env:     withMetadata("web", corev1.EnvVar{Name: "MODE", Value: "prod"}),
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: milli(250), corev1.ResourceMemory: mi(256)},
					Limits:   corev1.ResourceList{corev1.ResourceMemory: mi(512)},
				},
				ReadinessProbe: &corev1.Probe{
					ProbeHandler:     corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"/bin/check"}}},
					PeriodSeconds:    30,
					TimeoutSeconds:   5,
					FailureThreshold: 3,
					SuccessThreshold: 1,
				},
			}},
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: ptr.To[int64](30),
			EnableServiceLinks:            ptr.To(false),
		},
		Annotations: map[string]string{ecsv1alpha1.EssentialContainersAnnotation: "web,proxy"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Build mismatch (-want +got):\n%s", diff)
	}
}

// TestBuildIsDeterministic builds a task definition that touches every map Build reads
// many times and expects the same result each time.
func TestBuildIsDeterministic(t *testing.T) {
	s := spec(ecsv1alpha1.NetworkModeBridge,
		ctr("a_b", func(c *ecsv1alpha1.ContainerDefinition) {
			c.DockerLabels = map[string]string{"z": "1", "a": "2", "m": "3"}
			c.LogConfiguration = &ecsv1alpha1.LogConfiguration{LogDriver: "awslogs", Options: map[string]string{"b": "1", "a": "2"}}
			c.SystemControls = []ecsv1alpha1.SystemControl{{Namespace: "net.core.somaxconn", Value: "1024"}, {Namespace: "kernel.shm_rmid_forced", Value: "1"}}
			c.ExtraHosts = []ecsv1alpha1.HostEntry{{Hostname: "b", IPAddress: "10.0.0.2"}, {Hostname: "a", IPAddress: "10.0.0.1"}}
		}),
		ctr("A-B", dependsOn("a_b", ecsv1alpha1.ContainerConditionStart)),
	)
	s.Volumes = []ecsv1alpha1.Volume{{Name: "x", DockerVolumeConfiguration: &ecsv1alpha1.DockerVolumeConfiguration{DriverOpts: map[string]string{"q": "1", "p": "2"}}}}
	first := mustBuild(t, taskdef.Input{Spec: s})
	for range 20 {
		if diff := cmp.Diff(first, mustBuild(t, taskdef.Input{Spec: s})); diff != "" {
			t.Fatalf("Build is not deterministic (-first +again):\n%s", diff)
		}
	}
}

func TestBuildDoesNotModifyInput(t *testing.T) {
	s := spec("", ctr("web", func(c *ecsv1alpha1.ContainerDefinition) {
		c.Command = []string{"a"}
		c.Environment = []ecsv1alpha1.KeyValuePair{{Name: "A", Value: "1"}}
	}))
	o := &ecsv1alpha1.TaskOverride{ContainerOverrides: []ecsv1alpha1.ContainerOverride{{
		Name: "web", Command: []string{"b"}, CPU: ptr.To[int32](10), Environment: []ecsv1alpha1.KeyValuePair{{Name: "A", Value: "2"}},
	}}}
	before, overBefore := s.DeepCopy(), o.DeepCopy()
	mustBuild(t, taskdef.Input{Spec: s, Overrides: o})
	if diff := cmp.Diff(before, s); diff != "" {
		t.Errorf("Build changed the spec (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(overBefore, o); diff != "" {
		t.Errorf("Build changed the overrides (-before +after):\n%s", diff)
	}
}

func TestBuildRejectsEmptyInput(t *testing.T) {
	for _, in := range []taskdef.Input{{}, {Spec: &ecsv1alpha1.TaskDefinitionSpec{}}} {
		if _, err := taskdef.Build(in); err == nil {
			t.Errorf("Build(%+v) = nil error, want one", in)
		}
	}
}

func TestContainerNames(t *testing.T) {
	long := "c_" + strings.Repeat("0123456789", 7)
	long63 := "c-" + strings.Repeat("0123456789", 7)[:61]
	tests := []struct {
		name      string
		ecs       []string
		want      []string
		wantNames string // ecsv1alpha1.ContainerNamesAnnotation; "" for none
	}{
		{"valid names are kept, no annotation", []string{"web", "log-router"}, []string{"web", "log-router"}, ""},
		{"upper case and underscores", []string{"Web_App", "db"}, []string{"web-app", "db"}, "web-app=Web_App"},
		{"trailing separators are trimmed", []string{"web_", "db-"}, []string{"web", "db"}, "web=web_,db=db-"},
		{"valid names keep theirs, converted ones get a suffix", []string{"a_b", "a-b", "A_B"}, []string{"a-b-2", "a-b", "a-b-3"}, "a-b-2=a_b,a-b-3=A_B"},
		{"long names are cut to 63 characters", []string{long}, []string{long63}, long63 + "=" + long},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cs []ecsv1alpha1.ContainerDefinition
			for _, n := range tt.ecs {
				cs = append(cs, ctr(n))
			}
			res := mustBuild(t, taskdef.Input{Spec: spec("", cs...)})
			var got []string
			for _, c := range res.PodSpec.Containers {
				got = append(got, c.Name)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("container names (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantNames, res.Annotations[ecsv1alpha1.ContainerNamesAnnotation]); diff != "" {
				t.Errorf("names annotation (-want +got):\n%s", diff)
			}
			for i, k := range tt.want {
				if got := taskdef.ECSContainerName(res.Annotations, k); got != tt.ecs[i] {
					t.Errorf("ECSContainerName(%s) = %s, want %s", k, got, tt.ecs[i])
				}
			}
		})
	}
}

func TestEssentialContainers(t *testing.T) {
	s := spec("",
		ctr("init_step", nonEssential),
		ctr("web", dependsOn("init_step", ecsv1alpha1.ContainerConditionSuccess)),
		ctr("Sidecar", func(c *ecsv1alpha1.ContainerDefinition) { c.Essential = ptr.To(true) }),
		ctr("logs", nonEssential),
	)
	res := mustBuild(t, taskdef.Input{Spec: s})
	if diff := cmp.Diff("web,sidecar", res.Annotations[ecsv1alpha1.EssentialContainersAnnotation]); diff != "" {
		t.Errorf("essential annotation (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"web", "sidecar"}, taskdef.EssentialContainers(res.Annotations)); diff != "" {
		t.Errorf("EssentialContainers (-want +got):\n%s", diff)
	}
}
