package taskdef_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/taskdef"
)

type rl = corev1.ResourceList

func TestContainerResources(t *testing.T) {
	tests := []struct {
		name string
		c    ecsv1alpha1.ContainerDefinition
		want corev1.ResourceRequirements
	}{
		{"cpu units become millicores, memory is the limit and the request",
			ecsv1alpha1.ContainerDefinition{CPU: ptr.To[int32](256), Memory: ptr.To[int32](512)},
			corev1.ResourceRequirements{Requests: rl{"cpu": milli(250), "memory": mi(512)}, Limits: rl{"memory": mi(512)}}},
		{"cpu rounds up to a whole millicore",
			ecsv1alpha1.ContainerDefinition{CPU: ptr.To[int32](100), Memory: ptr.To[int32](64)},
			corev1.ResourceRequirements{Requests: rl{"cpu": milli(98), "memory": mi(64)}, Limits: rl{"memory": mi(64)}}},
		{"1 unit is 1 millicore",
			ecsv1alpha1.ContainerDefinition{CPU: ptr.To[int32](1)},
			corev1.ResourceRequirements{Requests: rl{"cpu": milli(1)}}},
		{"1024 units are one cpu",
			ecsv1alpha1.ContainerDefinition{CPU: ptr.To[int32](1024)},
			corev1.ResourceRequirements{Requests: rl{"cpu": resource.MustParse("1")}}},
		{"cpu 0 asks for nothing",
			ecsv1alpha1.ContainerDefinition{CPU: ptr.To[int32](0), MemoryReservation: ptr.To[int32](128)},
			corev1.ResourceRequirements{Requests: rl{"memory": mi(128)}}},
		{"memoryReservation alone is a request without a limit",
			ecsv1alpha1.ContainerDefinition{MemoryReservation: ptr.To[int32](256)},
			corev1.ResourceRequirements{Requests: rl{"memory": mi(256)}}},
		{"memoryReservation is the request under the memory limit",
			ecsv1alpha1.ContainerDefinition{Memory: ptr.To[int32](1024), MemoryReservation: ptr.To[int32](512)},
			corev1.ResourceRequirements{Requests: rl{"memory": mi(512)}, Limits: rl{"memory": mi(1024)}}},
		{"no cpu and no memory (task-level memory only)",
			ecsv1alpha1.ContainerDefinition{},
			corev1.ResourceRequirements{}},
		{"GPUs are nvidia.com/gpu limits",
			ecsv1alpha1.ContainerDefinition{ResourceRequirements: []ecsv1alpha1.ResourceRequirement{{Type: "GPU", Value: "2"}}},
			corev1.ResourceRequirements{Limits: rl{taskdef.ResourceGPU: resource.MustParse("2")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.Name, tt.c.Image = "web", "img"
			s := spec("", tt.c)
			s.Memory = "4096"
			res := mustBuild(t, taskdef.Input{Spec: s})
			if diff := cmp.Diff(tt.want, container(t, res, "web").Resources); diff != "" {
				t.Errorf("resources (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPodResources(t *testing.T) {
	tests := []struct {
		name       string
		spec       *ecsv1alpha1.TaskDefinitionSpec
		over       *ecsv1alpha1.TaskOverride
		launchType ecsv1alpha1.LaunchType
		want       *corev1.ResourceRequirements
		wantSize   string // CapacityProvisioned annotation
		wantNotes  []string
	}{
		{name: "no task size, no pod-level resources", spec: spec("", ctr("web"))},
		{name: "EC2: cpu is a request, memory a request and a limit",
			spec: withSize(spec("", ctr("web")), "1 vCPU", "2 GB"),
			want: &corev1.ResourceRequirements{Requests: rl{"cpu": resource.MustParse("1"), "memory": mi(2048)}, Limits: rl{"memory": mi(2048)}}},
		{name: "EC2: vCPU and GB fractions",
			spec: withSize(spec("", ctr("web")), "0.25 vCPU", "0.5GB"),
			want: &corev1.ResourceRequirements{Requests: rl{"cpu": milli(250), "memory": mi(512)}, Limits: rl{"memory": mi(512)}}},
		{name: "EC2: cpu only",
			spec: withSize(spec("", ctr("web")), "128", ""),
			want: &corev1.ResourceRequirements{Requests: rl{"cpu": milli(125)}}},
		{name: "EC2: memory only",
			spec: withSize(spec("", ctr("web")), "", "1024"),
			want: &corev1.ResourceRequirements{Requests: rl{"memory": mi(1024)}, Limits: rl{"memory": mi(1024)}}},
		{name: "Fargate: cpu and memory requests equal limits, size annotated",
			spec:       fargateSpec(ctr("web")),
			launchType: ecsv1alpha1.LaunchTypeFargate,
			want:       &corev1.ResourceRequirements{Requests: rl{"cpu": milli(500), "memory": mi(1024)}, Limits: rl{"cpu": milli(500), "memory": mi(1024)}},
			wantSize:   "0.5vCPU 1GB"},
		{name: "Fargate: a smallest size",
			spec:       withSize(fargateSpec(ctr("web")), "256", "512"),
			launchType: ecsv1alpha1.LaunchTypeFargate,
			want:       &corev1.ResourceRequirements{Requests: rl{"cpu": milli(250), "memory": mi(512)}, Limits: rl{"cpu": milli(250), "memory": mi(512)}},
			wantSize:   "0.25vCPU 0.5GB"},
		{name: "Fargate: task overrides replace the size",
			spec:       fargateSpec(ctr("web")),
			over:       &ecsv1alpha1.TaskOverride{CPU: "1024", Memory: "3 GB"},
			launchType: ecsv1alpha1.LaunchTypeFargate,
			want:       &corev1.ResourceRequirements{Requests: rl{"cpu": resource.MustParse("1"), "memory": mi(3072)}, Limits: rl{"cpu": resource.MustParse("1"), "memory": mi(3072)}},
			wantSize:   "1vCPU 3GB"},
		{name: "Fargate: an override that is no Fargate size is rounded up",
			spec:       fargateSpec(ctr("web")),
			over:       &ecsv1alpha1.TaskOverride{CPU: "300", Memory: "700"},
			launchType: ecsv1alpha1.LaunchTypeFargate,
			want:       &corev1.ResourceRequirements{Requests: rl{"cpu": milli(500), "memory": mi(1024)}, Limits: rl{"cpu": milli(500), "memory": mi(1024)}},
			wantSize:   "0.5vCPU 1GB",
			wantNotes:  []string{"overrides.cpu: cpu 300 and memory 700 MiB are not a Fargate task size (ECS rejects them); rounded up to cpu 512 and memory 1024 MiB"}},
		{name: "EC2: task overrides replace the size",
			spec: withSize(spec("", ctr("web")), "256", "512"),
			over: &ecsv1alpha1.TaskOverride{Memory: "1024"},
			want: &corev1.ResourceRequirements{Requests: rl{"cpu": milli(250), "memory": mi(1024)}, Limits: rl{"memory": mi(1024)}}},
		{name: "per-container rounding raises the pod's cpu to the containers' sum",
			spec: withSize(spec("",
				ctr("a", withCPU(85)), ctr("b", withCPU(85)), ctr("c", withCPU(86))), "256", "2048"),
			want: &corev1.ResourceRequirements{Requests: rl{"cpu": milli(252), "memory": mi(2048)}, Limits: rl{"memory": mi(2048)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustBuild(t, taskdef.Input{Spec: tt.spec, Overrides: tt.over, LaunchType: tt.launchType})
			if diff := cmp.Diff(tt.want, res.PodSpec.Resources); diff != "" {
				t.Errorf("pod resources (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSize, res.Annotations[ecsv1alpha1.CapacityProvisionedAnnotation]); diff != "" {
				t.Errorf("CapacityProvisioned (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantNotes, res.Unsupported); diff != "" {
				t.Errorf("notes (-want +got):\n%s", diff)
			}
		})
	}
}

func withSize(s *ecsv1alpha1.TaskDefinitionSpec, cpu, memory string) *ecsv1alpha1.TaskDefinitionSpec {
	s.CPU, s.Memory = cpu, memory
	return s
}

func withCPU(units int32) func(*ecsv1alpha1.ContainerDefinition) {
	return func(c *ecsv1alpha1.ContainerDefinition) { c.CPU = ptr.To(units) }
}

// TestResourceErrors: containers that ask for more than the task has are rejected, as ECS
// rejects them at registration (and Kubernetes would reject the pod).
func TestResourceErrors(t *testing.T) {
	tests := []struct {
		name       string
		spec       *ecsv1alpha1.TaskDefinitionSpec
		over       *ecsv1alpha1.TaskOverride
		launchType ecsv1alpha1.LaunchType
		wantErr    string
	}{
		{name: "a container's memory above the task's",
			spec:    withSize(spec("", ctr("web", func(c *ecsv1alpha1.ContainerDefinition) { c.Memory = ptr.To[int32](2048) })), "", "1024"),
			wantErr: "The 'memory' setting for container 'web' is greater than for the task."},
		{name: "the containers' reserved memory above the task's",
			spec:    withSize(spec("", ctr("a"), ctr("b"), ctr("c")), "", "1024"),
			wantErr: "Invalid 'memory' setting for task. The containers reserve 1536 MiB of memory, more than the task's 1024 MiB."},
		{name: "the containers' cpu above the task's",
			spec:    withSize(spec("", ctr("a", withCPU(256)), ctr("b", withCPU(512))), "512", ""),
			wantErr: "Invalid 'cpu' setting for task. The containers reserve 768 cpu units, more than the task's 512."},
		{name: "a task memory override below the containers'",
			spec:    withSize(spec("", ctr("web")), "", "2048"),
			over:    &ecsv1alpha1.TaskOverride{Memory: "256"},
			wantErr: "The 'memory' setting for container 'web' is greater than for the task."},
		{name: "a container memory override at or below its reservation",
			spec:    spec("", ctr("web", func(c *ecsv1alpha1.ContainerDefinition) { c.MemoryReservation = ptr.To[int32](256) })),
			over:    &ecsv1alpha1.TaskOverride{ContainerOverrides: []ecsv1alpha1.ContainerOverride{{Name: "web", Memory: ptr.To[int32](256)}}},
			wantErr: "Invalid setting for container 'web'. memoryReservation (256 MiB, the soft limit) must be less than memory (256 MiB, the hard limit)."},
		{name: "a Fargate override larger than any Fargate size",
			spec:       fargateSpec(ctr("web")),
			over:       &ecsv1alpha1.TaskOverride{CPU: "32768", Memory: "4096"},
			launchType: ecsv1alpha1.LaunchTypeFargate,
			wantErr:    "No Fargate configuration exists for given values: no Fargate size has at least 32768 CPU units and 4096 MiB of memory: the largest are 4096 units with 30720 MiB, 8192 with 61440 and 16384 with 122880"},
		{name: "a task cpu the API server cannot have accepted",
			spec:    withSize(spec("", ctr("web")), "lots", ""),
			wantErr: `Invalid 'cpu' setting for task: "lots"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := taskdef.Build(taskdef.Input{Spec: tt.spec, Overrides: tt.over, LaunchType: tt.launchType})
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Build error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
