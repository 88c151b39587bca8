//go:build envtest

// The API server check needs envtest's kube-apiserver and etcd (make envtest-assets), which
// `make test-unit` promises internal/ does not: run it with
//
//	go test -tags envtest ./internal/taskdef/ -run TestPodsAreValid

package taskdef_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/taskdef"
	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

// kitchenSink are task definitions that use most of what Build maps, one network mode each.
func kitchenSink() map[string]taskdef.Input {
	hc := &ecsv1alpha1.HealthCheck{Command: []string{"CMD-SHELL", "true"}, Interval: ptr.To[int32](5), StartPeriod: ptr.To[int32](12)}
	full := func(mode ecsv1alpha1.NetworkMode) *ecsv1alpha1.TaskDefinitionSpec {
		s := spec(mode,
			ctr("Web_App",
				dependsOn("proxy", ecsv1alpha1.ContainerConditionHealthy),
				dependsOn("migrate", ecsv1alpha1.ContainerConditionSuccess),
				healthCheck(hc),
				mounts(mount("data", "/data", false), mount("efs_share", "/shared", true)),
				func(c *ecsv1alpha1.ContainerDefinition) {
					c.CPU, c.MemoryReservation = ptr.To[int32](100), ptr.To[int32](128)
					c.EntryPoint, c.Command = []string{"/bin/sh", "-c"}, []string{"sleep 3600"}
					c.PortMappings = []ecsv1alpha1.PortMapping{pm(8080, ptr.To[int32](8080), "", "http"), portRange("9000-9004")}
					c.Environment = []ecsv1alpha1.KeyValuePair{kv("A", "1")}
					c.Secrets = []ecsv1alpha1.Secret{{Name: "DB", ValueFrom: "arn:aws:secretsmanager:us-east-1:1:secret:prod/db-AbCdEf:password::"}}
					c.User, c.WorkingDirectory = "1000:1000", "/app"
					c.ReadonlyRootFilesystem = ptr.To(true)
					c.DockerSecurityOptions = []string{"no-new-privileges", "apparmor:runtime/default", "label:level:s0:c1,c2"}
					c.LinuxParameters = &ecsv1alpha1.LinuxParameters{
						Capabilities:     &ecsv1alpha1.KernelCapabilities{Add: []string{"NET_BIND_SERVICE"}, Drop: []string{"ALL"}},
						SharedMemorySize: ptr.To[int32](64),
						Tmpfs:            []ecsv1alpha1.Tmpfs{{ContainerPath: "/tmp", Size: 32}},
					}
					c.SystemControls = []ecsv1alpha1.SystemControl{{Namespace: "kernel.shm_rmid_forced", Value: "1"}}
					c.ExtraHosts = []ecsv1alpha1.HostEntry{{Hostname: "metadata", IPAddress: "169.254.169.254"}}
					c.DNSSearchDomains = []string{"corp.example.com"}
					c.Interactive, c.PseudoTerminal = ptr.To(true), ptr.To(true)
					c.ResourceRequirements = []ecsv1alpha1.ResourceRequirement{{Type: "GPU", Value: "1"}}
					c.RepositoryCredentials = &ecsv1alpha1.RepositoryCredentials{CredentialsParameter: "registry"}
				}),
			ctr("proxy", healthCheck(hc), dependsOn("config", ecsv1alpha1.ContainerConditionStart), func(c *ecsv1alpha1.ContainerDefinition) {
				c.PortMappings = []ecsv1alpha1.PortMapping{pm(9901, nil, ecsv1alpha1.TransportProtocolUDP, "admin")}
				c.Hostname = "proxy"
				c.StopTimeout = ptr.To[int32](90)
			}),
			ctr("config", healthCheck(hc), volumesFrom("Web_App", true)),
			ctr("migrate", nonEssential, healthCheck(hc), func(c *ecsv1alpha1.ContainerDefinition) { c.Command = []string{"true"} }),
		)
		s.Volumes = []ecsv1alpha1.Volume{
			{Name: "data"},
			{Name: "efs_share", EFSVolumeConfiguration: &ecsv1alpha1.EFSVolumeConfiguration{FileSystemID: "fs-1234", RootDirectory: "/app"}},
			{Name: "logs", Host: &ecsv1alpha1.HostVolumeProperties{SourcePath: "/var/log"}},
		}
		s.CPU, s.Memory = "1 vCPU", "4 GB"
		return s
	}
	out := map[string]taskdef.Input{}
	for _, mode := range []ecsv1alpha1.NetworkMode{ecsv1alpha1.NetworkModeBridge, ecsv1alpha1.NetworkModeAwsvpc, ecsv1alpha1.NetworkModeHost} {
		out["kitchen-sink-"+string(mode)] = taskdef.Input{Spec: full(mode)}
	}
	dns := full(ecsv1alpha1.NetworkModeAwsvpc)
	dns.ContainerDefinitions[0].DNSServers = []string{"10.0.0.2"}
	dns.PidMode, dns.IpcMode = "task", "host"
	out["dns-and-shared-pids"] = taskdef.Input{Spec: dns}
	hostPID := full(ecsv1alpha1.NetworkModeNone)
	hostPID.ContainerDefinitions[0].PortMappings, hostPID.ContainerDefinitions[1].PortMappings = nil, nil
	hostPID.PidMode = "host"
	out["none-and-host-pid"] = taskdef.Input{Spec: hostPID}
	fargate := full(ecsv1alpha1.NetworkModeAwsvpc)
	fargate.Volumes = fargate.Volumes[:2]
	fargate.ContainerDefinitions[0].ResourceRequirements = nil
	out["fargate"] = taskdef.Input{Spec: fargate, LaunchType: ecsv1alpha1.LaunchTypeFargate,
		Overrides: &ecsv1alpha1.TaskOverride{CPU: "300", ContainerOverrides: []ecsv1alpha1.ContainerOverride{{Name: "proxy", CPU: ptr.To[int32](100)}}}}
	return out
}

// sampleInputs are the task definitions of config/samples and test/api/testdata/aws.
func sampleInputs(t *testing.T) map[string]taskdef.Input {
	out := map[string]taskdef.Input{}
	files, _ := filepath.Glob(filepath.Join("..", "..", "config", "samples", "taskdefinition-*.yaml"))
	aws, _ := filepath.Glob(filepath.Join("..", "..", "test", "api", "testdata", "aws", "*task-definition*.json"))
	for _, f := range append(files, aws...) {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var wrapped struct {
			Spec           *ecsv1alpha1.TaskDefinitionSpec `json:"spec"`
			TaskDefinition *ecsv1alpha1.TaskDefinitionSpec `json:"taskDefinition"`
		}
		var bare ecsv1alpha1.TaskDefinitionSpec
		if err := yaml.Unmarshal(raw, &wrapped); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		s := wrapped.Spec
		if s == nil {
			s = wrapped.TaskDefinition
		}
		if s == nil {
			if err := json.Unmarshal(raw, &bare); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			s = &bare
		}
		for _, lt := range launchTypes(s) {
			out[strings.ToLower(strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))+"-"+string(lt))] = taskdef.Input{Spec: s, LaunchType: lt}
		}
	}
	return out
}

// TestPodsAreValid creates (dry run) a pod from each input on a real API server: the
// PodSpecs Build makes pass Kubernetes' validation (pod-level resources, sidecars, probes,
// names, host ports...).
func TestPodsAreValid(t *testing.T) {
	env, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	ns := env.NewNamespace(t, "taskdef")
	ctx := context.Background()
	if err := env.Client.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: ns}}); err != nil {
		t.Fatal(err)
	}
	inputs := kitchenSink()
	for k, v := range sampleInputs(t) {
		inputs[k] = v
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			res := mustBuild(t, in)
			pod := &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: strings.ReplaceAll(name, ".", "-"), Namespace: ns, Annotations: res.Annotations},
				Spec:       res.PodSpec,
			}
			if err := env.Client.Create(ctx, pod, client.DryRunAll); err != nil {
				spec, _ := yaml.Marshal(res.PodSpec)
				t.Fatalf("the API server rejected the pod: %v\n%s", err, spec)
			}
			// A disabled feature gate drops fields silently instead of rejecting them.
			if (res.PodSpec.Resources == nil) != (pod.Spec.Resources == nil) {
				t.Errorf("the API server dropped the pod-level resources: is the PodLevelResources feature gate off?")
			}
			for i, c := range pod.Spec.InitContainers {
				if (c.RestartPolicy == nil) != (res.PodSpec.InitContainers[i].RestartPolicy == nil) {
					t.Errorf("the API server dropped init container %s's restartPolicy", c.Name)
				}
			}
		})
	}
}
