package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// Valid base manifests. Every invalid case below is one of these with a JSON merge patch
// applied, and TestBasesAccepted proves each base alone is accepted, so a rejection is due
// to the patch and nothing else.
var bases = map[string]string{
	"td-ec2": `
apiVersion: ecs.kube-ecs.io/v1alpha1
kind: TaskDefinition
metadata: {name: web}
spec:
  family: web
  networkMode: bridge
  requiresCompatibilities: [EC2]
  containerDefinitions:
  - name: app
    image: nginx:1.27
    memory: 256
    portMappings: [{containerPort: 80, hostPort: 0, protocol: tcp}]
    healthCheck: {command: [CMD-SHELL, "curl -f http://localhost/ || exit 1"]}
  - name: log-router
    image: fluent/fluent-bit:3
    essential: false
    memoryReservation: 64
  volumes: [{name: scratch}]
`,
	"td-fargate": `
apiVersion: ecs.kube-ecs.io/v1alpha1
kind: TaskDefinition
metadata: {name: api}
spec:
  networkMode: awsvpc
  requiresCompatibilities: [FARGATE]
  cpu: "256"
  memory: "512"
  containerDefinitions:
  - name: api
    image: public.ecr.aws/example/api:1
    portMappings: [{containerPort: 8080}]
`,
	"task": `
apiVersion: ecs.kube-ecs.io/v1alpha1
kind: Task
metadata: {name: migrate}
spec:
  cluster: default
  taskDefinition: web:1
  launchType: EC2
`,
	"service": `
apiVersion: ecs.kube-ecs.io/v1alpha1
kind: Service
metadata: {name: web}
spec:
  taskDefinition: web
  desiredCount: 2
  deploymentConfiguration: {maximumPercent: 200, minimumHealthyPercent: 100}
`,
	"cluster": `
apiVersion: ecs.kube-ecs.io/v1alpha1
kind: Cluster
metadata: {name: prod}
spec:
  capacityProviders: [FARGATE, FARGATE_SPOT, ec2-default]
  defaultCapacityProviderStrategy: [{capacityProvider: FARGATE, base: 1, weight: 1}]
  ec2CapacityProviders:
  - name: ec2-default
    nodeSelector: {matchLabels: {ecs.kube-ecs.io/capacity-provider: ec2-default}}
`,
	"containerinstance": `
apiVersion: ecs.kube-ecs.io/v1alpha1
kind: ContainerInstance
metadata: {name: node-1}
spec:
  cluster: prod
  nodeName: node-1
  attributes: [{name: stack, value: blue}]
`,
	"apprunner": `
apiVersion: apprunner.kube-ecs.io/v1alpha1
kind: AppRunnerService
metadata: {name: hello}
spec:
  sourceConfiguration:
    imageRepository:
      imageIdentifier: public.ecr.aws/example/hello:latest
      imageRepositoryType: ECR_PUBLIC
      imageConfiguration: {port: "8080"}
  instanceConfiguration: {cpu: 1 vCPU, memory: 2 GB}
  autoScalingConfiguration: {minSize: 0, maxSize: 5, maxConcurrency: 50}
`,
}

type invalidCase struct {
	name  string
	base  string
	patch string // JSON merge patch, written as YAML
	want  string // a substring of the API server's message
}

var invalidCases = []invalidCase{
	// Task definitions: containers and dependencies.
	{"no essential container", "td-ec2", `{spec: {containerDefinitions: [{name: app, image: nginx, memory: 256, essential: false}]}}`,
		"All tasks must have at least one essential container"},
	{"duplicate container names", "td-ec2", `{spec: {containerDefinitions: [{name: app, image: a, memory: 64}, {name: app, image: b, memory: 64}]}}`,
		"container names must be unique"},
	{"dependsOn an unknown container", "td-ec2", `{spec: {containerDefinitions: [{name: app, image: a, memory: 64, dependsOn: [{containerName: db, condition: START}]}]}}`,
		"every dependsOn containerName must name one of this task definition's containers"},
	{"COMPLETE on an essential container", "td-ec2", `{spec: {containerDefinitions: [{name: app, image: a, memory: 64, dependsOn: [{containerName: init, condition: COMPLETE}]}, {name: init, image: b, memory: 64}]}}`,
		"cannot be set on an essential container"},
	{"SUCCESS on an essential container", "td-ec2", `{spec: {containerDefinitions: [{name: app, image: a, memory: 64, dependsOn: [{containerName: init, condition: SUCCESS}]}, {name: init, image: b, memory: 64, essential: true}]}}`,
		"cannot be set on an essential container"},
	{"HEALTHY without a health check", "td-ec2", `{spec: {containerDefinitions: [{name: app, image: a, memory: 64, dependsOn: [{containerName: db, condition: HEALTHY}]}, {name: db, image: b, memory: 64}]}}`,
		"dependsOn condition HEALTHY needs a healthCheck"},
	{"depends on itself", "td-ec2", `{spec: {containerDefinitions: [{name: app, image: a, memory: 64, dependsOn: [{containerName: app, condition: START}]}]}}`,
		"a container cannot depend on itself"},
	{"unknown dependsOn condition", "td-ec2", `{spec: {containerDefinitions: [{name: app, image: a, memory: 64, dependsOn: [{containerName: b, condition: READY}]}, {name: b, image: b, memory: 64}]}}`,
		`Unsupported value: "READY"`},
	{"EC2 container without memory", "td-ec2", `{spec: {containerDefinitions: [{name: app, image: a}]}}`,
		"At least one of 'memory' or 'memoryReservation' must be specified"},
	{"memoryReservation above memory", "td-ec2", `{spec: {containerDefinitions: [{name: app, image: a, memory: 128, memoryReservation: 256}]}}`,
		"memoryReservation (the soft limit) must be less than memory (the hard limit)"},
	{"eleven containers", "td-ec2", `{spec: {containerDefinitions: [{name: c1, image: a, memory: 64}, {name: c2, image: a, memory: 64}, {name: c3, image: a, memory: 64}, {name: c4, image: a, memory: 64}, {name: c5, image: a, memory: 64}, {name: c6, image: a, memory: 64}, {name: c7, image: a, memory: 64}, {name: c8, image: a, memory: 64}, {name: c9, image: a, memory: 64}, {name: c10, image: a, memory: 64}, {name: c11, image: a, memory: 64}]}}`,
		"must have at most 10 items"},
	{"container name with a space", "td-ec2", `{spec: {containerDefinitions: [{name: "my app", image: a, memory: 64}]}}`,
		"should match"},
	{"family differs from the object name", "td-ec2", `{spec: {family: other}}`,
		"spec.family must equal metadata.name"},
	{"mountPoint of an undeclared volume", "td-ec2", `{spec: {containerDefinitions: [{name: app, image: a, memory: 64, mountPoints: [{sourceVolume: data, containerPath: /data}]}]}}`,
		"a mountPoint's sourceVolume must name one of the task definition's volumes"},

	// Task definitions: health checks.
	{"health check without CMD", "td-ec2", `{spec: {containerDefinitions: [{name: app, image: a, memory: 64, healthCheck: {command: ["curl -f http://localhost/"]}}]}}`,
		"healthCheck.command must start with CMD or CMD-SHELL"},
	{"health check interval below 5s", "td-ec2", `{spec: {containerDefinitions: [{name: app, image: a, memory: 64, healthCheck: {command: [CMD, true], interval: 2}}]}}`,
		"should be greater than or equal to 5"},
	{"health check retries above 10", "td-ec2", `{spec: {containerDefinitions: [{name: app, image: a, memory: 64, healthCheck: {command: [CMD, true], retries: 11}}]}}`,
		"should be less than or equal to 10"},

	// Task definitions: networking.
	{"unknown network mode", "td-ec2", `{spec: {networkMode: nat}}`, `Unsupported value: "nat"`},
	{"awsvpc hostPort different from containerPort", "td-ec2", `{spec: {networkMode: awsvpc, containerDefinitions: [{name: app, image: a, memory: 64, portMappings: [{containerPort: 80, hostPort: 8080}]}]}}`,
		"when networkMode is awsvpc, a portMapping's hostPort must be omitted or equal to its containerPort"},
	{"host mode dynamic port", "td-ec2", `{spec: {networkMode: host}}`,
		"when networkMode is host, a portMapping's hostPort must be omitted or equal to its containerPort"},
	{"port mappings in none mode", "td-ec2", `{spec: {networkMode: none}}`, "networkMode none allows no portMappings"},
	{"links outside bridge mode", "td-ec2", `{spec: {networkMode: awsvpc, containerDefinitions: [{name: app, image: a, memory: 64, links: ["db:db"]}]}}`,
		"links are only supported when networkMode is bridge"},
	{"unknown port protocol", "td-ec2", `{spec: {containerDefinitions: [{name: app, image: a, memory: 64, portMappings: [{containerPort: 80, protocol: sctp}]}]}}`,
		`Unsupported value: "sctp"`},
	{"containerPort out of range", "td-ec2", `{spec: {containerDefinitions: [{name: app, image: a, memory: 64, portMappings: [{containerPort: 70000}]}]}}`,
		"should be less than or equal to 65535"},

	// Task definitions: Fargate.
	{"Fargate in bridge mode", "td-fargate", `{spec: {networkMode: bridge}}`, "Fargate only supports network mode 'awsvpc'."},
	{"Fargate without task cpu", "td-fargate", `{spec: {cpu: null}}`, "Fargate requires that 'cpu' be defined at the task level."},
	{"Fargate without task memory", "td-fargate", `{spec: {memory: null}}`, "Fargate requires that 'memory' be defined at the task level."},
	{"Fargate cpu that is no Fargate size", "td-fargate", `{spec: {cpu: "300"}}`, "Invalid 'cpu' setting for task."},
	{"Fargate cpu and memory that do not pair", "td-fargate", `{spec: {cpu: "256", memory: "4096"}}`,
		"No Fargate configuration exists for cpu 256 and memory 4096"},
	{"Fargate pair in vCPU and GB units", "td-fargate", `{spec: {cpu: "1 vCPU", memory: "1 GB"}}`,
		"No Fargate configuration exists for cpu 1 vCPU and memory 1 GB"},
	{"Fargate 8 vCPU with memory off its 4 GiB steps", "td-fargate", `{spec: {cpu: "8192", memory: "18432"}}`,
		"No Fargate configuration exists for cpu 8192 and memory 18432"},
	{"task cpu that is no number", "td-fargate", `{spec: {cpu: "lots"}}`, "should match"},
	{"Fargate privileged container", "td-fargate", `{spec: {containerDefinitions: [{name: api, image: a, privileged: true}]}}`,
		"Fargate does not support privileged containers"},
	{"Fargate stopTimeout above 120s", "td-fargate", `{spec: {containerDefinitions: [{name: api, image: a, stopTimeout: 300}]}}`,
		"Fargate allows a stopTimeout of at most 120 seconds"},
	{"Fargate placement constraint", "td-fargate", `{spec: {placementConstraints: [{type: memberOf, expression: "attribute:ecs.instance-type =~ t3.*"}]}}`,
		"Fargate does not support placement constraints"},
	{"Fargate host volume", "td-fargate", `{spec: {volumes: [{name: data, host: {sourcePath: /var/data}}]}}`,
		"Fargate does not support host volumes with a sourcePath"},
	{"ephemeral storage below 21 GiB", "td-fargate", `{spec: {ephemeralStorage: {sizeInGiB: 10}}}`, "should be greater than or equal to 21"},

	// Tasks.
	{"task without a task definition", "task", `{spec: {taskDefinition: null}}`, "spec.taskDefinition: Required value"},
	{"task with launch type and strategy", "task", `{spec: {capacityProviderStrategy: [{capacityProvider: FARGATE, weight: 1}]}}`,
		"Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again."},
	{"strategy with two bases", "task", `{spec: {launchType: null, capacityProviderStrategy: [{capacityProvider: FARGATE, base: 1, weight: 1}, {capacityProvider: FARGATE_SPOT, base: 2, weight: 1}]}}`,
		"Only one capacity provider in a strategy can have a base defined."},
	{"strategy with every weight zero", "task", `{spec: {launchType: null, capacityProviderStrategy: [{capacityProvider: FARGATE, base: 1}]}}`,
		"At least one capacity provider in a strategy must have a weight greater than 0."},
	{"strategy naming a provider twice", "task", `{spec: {launchType: null, capacityProviderStrategy: [{capacityProvider: FARGATE, weight: 1}, {capacityProvider: FARGATE, weight: 2}]}}`,
		"a capacity provider can appear only once in a strategy"},
	{"unknown launch type", "task", `{spec: {launchType: LAMBDA}}`, `Unsupported value: "LAMBDA"`},
	{"memberOf without expression", "task", `{spec: {placementConstraints: [{type: memberOf}]}}`, "a memberOf constraint needs an expression"},
	{"distinctInstance with expression", "task", `{spec: {placementConstraints: [{type: distinctInstance, expression: "agentConnected == true"}]}}`,
		"a distinctInstance constraint takes no expression"},
	{"binpack on ports", "task", `{spec: {placementStrategy: [{type: binpack, field: ports}]}}`, "a binpack strategy needs field cpu or memory"},
	{"spread without field", "task", `{spec: {placementStrategy: [{type: spread}]}}`, "a spread strategy needs a field"},
	{"startedBy with a space", "task", `{spec: {startedBy: "ci job"}}`, "should match"},
	{"Fargate task with placement constraints", "task", `{spec: {launchType: FARGATE, placementConstraints: [{type: distinctInstance}]}}`,
		"Fargate does not support placement constraints"},

	// Services.
	{"minimumHealthyPercent above 100", "service", `{spec: {deploymentConfiguration: {minimumHealthyPercent: 150}}}`, "should be less than or equal to 100"},
	{"maximumPercent below 100", "service", `{spec: {deploymentConfiguration: {maximumPercent: 50}}}`, "should be greater than or equal to 100"},
	{"negative desiredCount", "service", `{spec: {desiredCount: -1}}`, "should be greater than or equal to 0"},
	{"daemon with maximumPercent 200", "service", `{spec: {schedulingStrategy: DAEMON, desiredCount: null}}`,
		"The daemon scheduling strategy requires a maximumPercent of 100."},
	{"daemon on Fargate", "service", `{spec: {schedulingStrategy: DAEMON, launchType: FARGATE, deploymentConfiguration: {maximumPercent: 100, minimumHealthyPercent: 0}}}`,
		"The DAEMON scheduling strategy is not supported on Fargate."},
	{"daemon on Fargate Spot by strategy", "service", `{spec: {schedulingStrategy: DAEMON, capacityProviderStrategy: [{capacityProvider: FARGATE_SPOT, weight: 1}], deploymentConfiguration: {maximumPercent: 100, minimumHealthyPercent: 0}}}`,
		"The DAEMON scheduling strategy is not supported on Fargate."},
	{"daemon with placement strategy", "service", `{spec: {schedulingStrategy: DAEMON, placementStrategy: [{type: random}], deploymentConfiguration: {maximumPercent: 100, minimumHealthyPercent: 0}}}`,
		"Placement strategies are not supported with the DAEMON scheduling strategy."},
	{"service with launch type and strategy", "service", `{spec: {launchType: EC2, capacityProviderStrategy: [{capacityProvider: ec2-default, weight: 1}]}}`,
		"Specifying both a launch type and capacity provider strategy is not supported."},
	{"service name differs from the object name", "service", `{spec: {serviceName: api}}`, "spec.serviceName must equal metadata.name"},
	{"two service registries", "service", `{spec: {serviceRegistries: [{registryArn: a}, {registryArn: b}]}}`, "must have at most 1 item"},

	{"service named with a leading digit", "service", `{metadata: {name: 2048-game}}`, "a service name (metadata.name) must be a DNS-1035 label"},
	{"family longer than 63 characters", "td-fargate", `{metadata: {name: a-family-name-that-is-far-too-long-to-be-a-label-value-on-its-pods}}`,
		"a task definition family (metadata.name) can have at most 63 characters"},
	{"App Runner service name shorter than 4", "apprunner", `{metadata: {name: api}}`, "an App Runner service name (metadata.name) must have 4 to 40"},

	// Clusters and container instances.
	{"default strategy with an unassociated provider", "cluster", `{spec: {defaultCapacityProviderStrategy: [{capacityProvider: other, weight: 1}]}}`,
		"The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster."},
	{"capacity provider that is not defined", "cluster", `{spec: {capacityProviders: [FARGATE, ec2-large]}}`,
		"capacityProviders may name FARGATE, FARGATE_SPOT or a provider defined in ec2CapacityProviders"},
	{"EC2 provider named FARGATE", "cluster", `{spec: {capacityProviders: [FARGATE], ec2CapacityProviders: [{name: FARGATE, nodeSelector: {}}]}}`,
		"an EC2 capacity provider name cannot be FARGATE or FARGATE_SPOT"},
	{"cluster name differs from the object name", "cluster", `{spec: {clusterName: dev}}`, "spec.clusterName must equal metadata.name"},
	{"custom attribute in the ecs namespace", "containerinstance", `{spec: {attributes: [{name: ecs.instance-type, value: big}]}}`,
		"attributes starting with ecs. are built in and cannot be set"},
	{"eleven custom attributes", "containerinstance", `{spec: {attributes: [{name: a1}, {name: a2}, {name: a3}, {name: a4}, {name: a5}, {name: a6}, {name: a7}, {name: a8}, {name: a9}, {name: a10}, {name: a11}]}}`,
		"must have at most 10 items"},
	{"draining status spelled wrong", "containerinstance", `{spec: {status: DRAIN}}`, `Unsupported value: "DRAIN"`},

	// App Runner services.
	{"App Runner cpu and memory that do not pair", "apprunner", `{spec: {instanceConfiguration: {cpu: 1 vCPU, memory: 1 GB}}}`,
		"instance cpu 1 vCPU with memory 1 GB is not a valid App Runner pair"},
	{"App Runner cpu that is no App Runner size", "apprunner", `{spec: {instanceConfiguration: {cpu: 3 vCPU}}}`, "should match"},
	{"App Runner image and code repository", "apprunner", `{spec: {sourceConfiguration: {codeRepository: {repositoryUrl: "https://github.com/a/b", sourceCodeVersion: {type: BRANCH, value: main}}}}}`,
		"sourceConfiguration needs exactly one of imageRepository or codeRepository"},
	{"App Runner minSize above maxSize", "apprunner", `{spec: {autoScalingConfiguration: {minSize: 6, maxSize: 5}}}`,
		"autoScalingConfiguration minSize must be less than or equal to maxSize"},
	{"App Runner maxConcurrency above 200", "apprunner", `{spec: {autoScalingConfiguration: {maxConcurrency: 500}}}`, "should be less than or equal to 200"},
	{"App Runner health check interval above 20s", "apprunner", `{spec: {healthCheckConfiguration: {protocol: HTTP, path: /healthz, interval: 30}}}`,
		"should be less than or equal to 20"},
	{"App Runner health check protocol", "apprunner", `{spec: {healthCheckConfiguration: {protocol: GRPC}}}`, `Unsupported value: "GRPC"`},
}

// manifest returns base with patch applied, as an unstructured object in namespace ns.
func manifest(t *testing.T, base, patch, ns string) *unstructured.Unstructured {
	t.Helper()
	doc, ok := bases[base]
	if !ok {
		t.Fatalf("no base %q", base)
	}
	js, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		t.Fatalf("base %s: %v", base, err)
	}
	if patch != "" {
		p, err := yaml.YAMLToJSON([]byte(patch))
		if err != nil {
			t.Fatalf("patch %s: %v", patch, err)
		}
		if js, err = jsonpatch.MergePatch(js, p); err != nil {
			t.Fatalf("applying patch %s: %v", patch, err)
		}
	}
	u := &unstructured.Unstructured{}
	if err := json.Unmarshal(js, &u.Object); err != nil {
		t.Fatal(err)
	}
	u.SetNamespace(ns)
	return u
}

func TestBasesAccepted(t *testing.T) {
	ns := newNamespace(t)
	for name := range bases {
		t.Run(name, func(t *testing.T) {
			if err := env.Client.Create(context.Background(), manifest(t, name, "", ns)); err != nil {
				t.Fatalf("base %s rejected: %v", name, err)
			}
		})
	}
}

func TestInvalidManifestsRejected(t *testing.T) {
	if len(invalidCases) < 25 {
		t.Fatalf("only %d invalid manifests; keep at least 25", len(invalidCases))
	}
	ns := newNamespace(t)
	for _, tc := range invalidCases {
		t.Run(tc.name, func(t *testing.T) {
			obj := manifest(t, tc.base, tc.patch, ns)
			err := env.Client.Create(context.Background(), obj)
			if err == nil {
				t.Fatalf("accepted; want a rejection containing %q", tc.want)
			}
			if !apierrors.IsInvalid(err) {
				t.Fatalf("error is not Invalid (422): %v", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("message does not contain %q:\n%v", tc.want, err)
			}
		})
	}
}

// TestInvalidUpdatesRejected covers the rules that compare an object with its previous
// version.
func TestInvalidUpdatesRejected(t *testing.T) {
	ns := newNamespace(t)
	tests := []struct {
		name          string
		base, initial string // initial is a merge patch applied before the object is created
		update        string
		want          string
	}{
		{"task switches task definition", "task", "", `{spec: {taskDefinition: web:2}}`,
			"taskDefinition is immutable"},
		{"stopped task restarted", "task", `{spec: {desiredStatus: STOPPED}}`, `{spec: {desiredStatus: RUNNING}}`,
			"a stopped task cannot be started again"},
		{"service changes scheduling strategy", "service", `{spec: {schedulingStrategy: REPLICA}}`,
			`{spec: {schedulingStrategy: DAEMON, desiredCount: null, deploymentConfiguration: {maximumPercent: 100, minimumHealthyPercent: 0}}}`,
			"schedulingStrategy is immutable"},
		{"container instance moves cluster", "containerinstance", "", `{spec: {cluster: dev}}`, "cluster is immutable"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			obj := manifest(t, tc.base, tc.initial, ns)
			obj.SetName(obj.GetName() + "-" + string(rune('a'+i)))
			ctx := context.Background()
			if err := env.Client.Create(ctx, obj); err != nil {
				t.Fatalf("creating: %v", err)
			}
			updated := manifest(t, tc.base, tc.initial, ns)
			js, _ := json.Marshal(updated.Object)
			p, err := yaml.YAMLToJSON([]byte(tc.update))
			if err != nil {
				t.Fatal(err)
			}
			js, err = jsonpatch.MergePatch(js, p)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(js, &updated.Object); err != nil {
				t.Fatal(err)
			}
			updated.SetName(obj.GetName())
			updated.SetResourceVersion(obj.GetResourceVersion())
			err = env.Client.Update(ctx, updated)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("update error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestValidVariationsAccepted guards against rules that reject what ECS accepts.
func TestValidVariationsAccepted(t *testing.T) {
	ns := newNamespace(t)
	tests := []struct{ name, base, patch string }{
		{"Fargate 0.25 vCPU with 0.5 GB", "td-fargate", `{spec: {cpu: "0.25 vCPU", memory: "0.5 GB"}}`},
		{"Fargate 1 vCPU with 2GB", "td-fargate", `{spec: {cpu: "1 vCPU", memory: "2GB"}}`},
		{"Fargate 4 vCPU with 30 GiB", "td-fargate", `{spec: {cpu: "4096", memory: "30720"}}`},
		{"Fargate 16 vCPU with 120 GiB", "td-fargate", `{spec: {cpu: "16384", memory: "122880"}}`},
		{"Fargate and EC2 with scratch host volume", "td-fargate", `{spec: {requiresCompatibilities: [FARGATE, EC2], volumes: [{name: tmp, host: {}}]}}`},
		{"awsvpc hostPort equal to containerPort", "td-fargate", `{spec: {containerDefinitions: [{name: api, image: a, portMappings: [{containerPort: 8080, hostPort: 8080}]}]}}`},
		{"EC2 cpu in vCPU without Fargate table", "td-ec2", `{spec: {cpu: "3 vCPU", memory: "5 GB"}}`},
		{"COMPLETE on a non-essential container", "td-ec2", `{spec: {containerDefinitions: [{name: app, image: a, memory: 64, dependsOn: [{containerName: init, condition: COMPLETE}]}, {name: init, image: b, memory: 64, essential: false}]}}`},
		{"task-level memory instead of container memory", "td-ec2", `{spec: {memory: "512", containerDefinitions: [{name: app, image: a}]}}`},
		{"cluster without a spec", "cluster", `{spec: null}`},
		{"daemon service", "service", `{spec: {schedulingStrategy: DAEMON, desiredCount: null, deploymentConfiguration: {maximumPercent: 100, minimumHealthyPercent: 0}}}`},
		{"task with a capacity provider strategy", "task", `{spec: {launchType: null, capacityProviderStrategy: [{capacityProvider: FARGATE, base: 1, weight: 1}, {capacityProvider: FARGATE_SPOT, weight: 4}]}}`},
		{"App Runner 4 vCPU with 12 GB", "apprunner", `{spec: {instanceConfiguration: {cpu: "4096", memory: "12288"}}}`},
		{"App Runner code repository", "apprunner", `{spec: {sourceConfiguration: {imageRepository: null, codeRepository: {repositoryUrl: "https://github.com/a/b", sourceCodeVersion: {type: BRANCH, value: main}}}}}`},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			obj := manifest(t, tc.base, tc.patch, ns)
			obj.SetName(obj.GetName() + "-" + string(rune('a'+i)))
			if tc.base == "td-ec2" || tc.base == "td-fargate" {
				spec := obj.Object["spec"].(map[string]any)
				delete(spec, "family")
			}
			if err := env.Client.Create(context.Background(), obj); err != nil {
				t.Fatalf("rejected: %v", err)
			}
		})
	}
}
