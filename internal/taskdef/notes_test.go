package taskdef_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/taskdef"
)

func TestOverrides(t *testing.T) {
	s := spec("",
		ctr("web", func(c *ecsv1alpha1.ContainerDefinition) {
			c.CPU, c.Command = ptr.To[int32](256), []string{"serve"}
			c.Environment = []ecsv1alpha1.KeyValuePair{kv("A", "1")}
		}),
		ctr("worker"),
	)
	over := &ecsv1alpha1.TaskOverride{ContainerOverrides: []ecsv1alpha1.ContainerOverride{
		{Name: "worker", Command: []string{"work", "--once"}, CPU: ptr.To[int32](512), Memory: ptr.To[int32](1024), MemoryReservation: ptr.To[int32](256),
			ResourceRequirements: []ecsv1alpha1.ResourceRequirement{{Type: "GPU", Value: "1"}},
			EnvironmentFiles:     []ecsv1alpha1.EnvironmentFile{{Type: "s3", Value: "arn:aws:s3:::bucket/worker.env"}}},
		{Name: "web", Environment: []ecsv1alpha1.KeyValuePair{kv("B", "2")}},
	}}
	res := mustBuild(t, taskdef.Input{Spec: s, Overrides: over})
	web, worker := container(t, res, "web"), container(t, res, "worker")
	if diff := cmp.Diff([]string{"serve"}, web.Args); diff != "" {
		t.Errorf("web args (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(withMetadata("web", corev1.EnvVar{Name: "A", Value: "1"}, corev1.EnvVar{Name: "B", Value: "2"}), web.Env); diff != "" {
		t.Errorf("web env (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"work", "--once"}, worker.Args); diff != "" {
		t.Errorf("worker args (-want +got):\n%s", diff)
	}
	wantRes := corev1.ResourceRequirements{
		Requests: rl{"cpu": milli(500), "memory": mi(256)},
		Limits:   rl{"memory": mi(1024), taskdef.ResourceGPU: *resourceInt(1)},
	}
	if diff := cmp.Diff(wantRes, worker.Resources); diff != "" {
		t.Errorf("worker resources (-want +got):\n%s", diff)
	}
	wantNotes := []string{"overrides.containerOverrides[0].environmentFiles: Kubernetes does not read environment files from S3; ignored"}
	if diff := cmp.Diff(wantNotes, res.Unsupported); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
}

func TestOverrideOfUnknownContainer(t *testing.T) {
	over := &ecsv1alpha1.TaskOverride{ContainerOverrides: []ecsv1alpha1.ContainerOverride{{Name: "Web"}}}
	_, err := taskdef.Build(taskdef.Input{Spec: spec("", ctr("web")), Overrides: over})
	want := "Override for container named Web is not a container in the TaskDefinition."
	if err == nil || err.Error() != want {
		t.Errorf("Build error = %v, want %q", err, want)
	}
}

// TestUnsupportedNotes: every ignored field is noted with its path, sorted by path.
func TestUnsupportedNotes(t *testing.T) {
	s := spec("",
		ctr("web", func(c *ecsv1alpha1.ContainerDefinition) {
			c.RestartPolicy = &ecsv1alpha1.ContainerRestartPolicy{Enabled: true}
			c.LinuxParameters = &ecsv1alpha1.LinuxParameters{
				InitProcessEnabled: ptr.To(true),
				Devices:            []ecsv1alpha1.Device{{HostPath: "/dev/fuse"}},
				MaxSwap:            ptr.To[int32](0),
				Swappiness:         ptr.To[int32](60),
			}
			c.Ulimits = []ecsv1alpha1.Ulimit{{Name: "nofile", SoftLimit: 1024, HardLimit: 4096}}
			c.LogConfiguration = &ecsv1alpha1.LogConfiguration{LogDriver: "awslogs"}
			c.EnvironmentFiles = []ecsv1alpha1.EnvironmentFile{{Type: "s3", Value: "arn:aws:s3:::b/web.env"}}
			c.CredentialSpecs = []string{"credentialspecdomainless:arn:aws:s3:::b/spec.json"}
			c.DisableNetworking = ptr.To(true)
			c.VersionConsistency = "enabled"
			c.DockerLabels = map[string]string{"team": "web"}
			c.ResourceRequirements = []ecsv1alpha1.ResourceRequirement{{Type: "InferenceAccelerator", Value: "device_1"}, {Type: "GPU", Value: "two"}}
		}),
		ctr("router", func(c *ecsv1alpha1.ContainerDefinition) {
			c.FirelensConfiguration = &ecsv1alpha1.FirelensConfiguration{Type: "fluentbit"}
			c.RestartPolicy = &ecsv1alpha1.ContainerRestartPolicy{Enabled: false}
			c.VersionConsistency = "disabled"
		}),
	)
	s.EphemeralStorage = &ecsv1alpha1.EphemeralStorage{SizeInGiB: 50}
	s.InferenceAccelerators = []ecsv1alpha1.InferenceAccelerator{{DeviceName: "device_1", DeviceType: "eia2.medium"}}
	s.ProxyConfiguration = &ecsv1alpha1.ProxyConfiguration{ContainerName: "router"}
	s.EnableFaultInjection = ptr.To(true)
	s.TaskRoleArn, s.ExecutionRoleArn = "arn:aws:iam::1:role/task", "arn:aws:iam::1:role/exec"
	s.Tags = []ecsv1alpha1.Tag{{Key: "team", Value: "web"}}
	s.PlacementConstraints = []ecsv1alpha1.TaskDefinitionPlacementConstraint{{Type: "memberOf", Expression: "attribute:ecs.os-type == linux"}}
	over := &ecsv1alpha1.TaskOverride{EphemeralStorage: &ecsv1alpha1.EphemeralStorage{SizeInGiB: 30}, TaskRoleArn: "arn:aws:iam::1:role/other"}

	res := mustBuild(t, taskdef.Input{Spec: s, Overrides: over})
	want := []string{
		"containerDefinitions[0].credentialSpecs: Active Directory credential specs are not supported; ignored",
		"containerDefinitions[0].disableNetworking: the containers of a pod share its network; the container keeps its network",
		"containerDefinitions[0].environmentFiles: Kubernetes does not read environment files from S3; ignored",
		"containerDefinitions[0].linuxParameters.devices: not supported on Kubernetes (use a device plugin); ignored",
		"containerDefinitions[0].linuxParameters.initProcessEnabled: Kubernetes has no per-container init process (shareProcessNamespace, which makes the pod's pause process PID 1 of every container, is not the same); ignored",
		"containerDefinitions[0].linuxParameters.maxSwap: Kubernetes sets swap per node, not per container; ignored",
		"containerDefinitions[0].linuxParameters.swappiness: Kubernetes sets swap per node, not per container; ignored",
		"containerDefinitions[0].logConfiguration: the awslogs log driver is not available: Kubernetes keeps the container's stdout and stderr (kubectl logs); ignored",
		"containerDefinitions[0].resourceRequirements[0]: InferenceAccelerator is not available on Kubernetes; ignored",
		`containerDefinitions[0].resourceRequirements[1]: GPU count "two" is not a positive integer; ignored`,
		"containerDefinitions[0].restartPolicy: containers of a task are not restarted in place on Kubernetes (the pod's restartPolicy is Never); ignored",
		"containerDefinitions[0].ulimits: Kubernetes has no per-container ulimits; the container runtime's defaults apply",
		"containerDefinitions[0].versionConsistency: Kubernetes pulls the image by its tag on each node and does not pin the tag to one digest for the task; ignored",
		"containerDefinitions[1].firelensConfiguration: FireLens log routing is not available on Kubernetes; the container runs as an ordinary container",
		"enableFaultInjection: ECS fault injection endpoints are not available on Kubernetes; ignored",
		"ephemeralStorage: a pod's ephemeral storage cannot be sized per task on Kubernetes; ignored",
		"inferenceAccelerators: Elastic Inference accelerators are not available on Kubernetes; ignored",
		"overrides.ephemeralStorage: a pod's ephemeral storage cannot be sized per task on Kubernetes; ignored",
		"proxyConfiguration: App Mesh proxy configuration is not applied on Kubernetes; ignored",
	}
	if diff := cmp.Diff(want, res.Unsupported); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
	for k := range res.Annotations {
		if k != ecsv1alpha1.EssentialContainersAnnotation {
			t.Errorf("unexpected annotation %s: notes are not put on the pod", k)
		}
	}
}

// TestNotesSortNumerically: notes of volumes[11] come after volumes[2].
func TestNotesSortNumerically(t *testing.T) {
	var cs []ecsv1alpha1.ContainerDefinition
	for i := range 10 {
		cs = append(cs, ctr(string(rune('a'+i)), func(c *ecsv1alpha1.ContainerDefinition) { c.Ulimits = []ecsv1alpha1.Ulimit{{Name: "nofile"}} }))
	}
	s := spec("", cs...)
	s.Volumes = make([]ecsv1alpha1.Volume, 12)
	for i := range s.Volumes {
		s.Volumes[i] = ecsv1alpha1.Volume{Name: string(rune('a' + i)), ConfiguredAtLaunch: ptr.To(i == 2 || i == 11)}
	}
	res := mustBuild(t, taskdef.Input{Spec: s})
	var paths []string
	for _, n := range res.Unsupported {
		path, _, _ := strings.Cut(n, ": ")
		paths = append(paths, path)
	}
	want := []string{
		"containerDefinitions[0].ulimits", "containerDefinitions[1].ulimits", "containerDefinitions[2].ulimits",
		"containerDefinitions[3].ulimits", "containerDefinitions[4].ulimits", "containerDefinitions[5].ulimits",
		"containerDefinitions[6].ulimits", "containerDefinitions[7].ulimits", "containerDefinitions[8].ulimits",
		"containerDefinitions[9].ulimits", "volumes[2].configuredAtLaunch", "volumes[11].configuredAtLaunch",
	}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("note paths (-want +got):\n%s", diff)
	}
}

func resourceInt(n int64) *resource.Quantity { return resource.NewQuantity(n, resource.DecimalSI) }
