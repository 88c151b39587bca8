package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kube-ecs/kube-ecs/controllers/taskdefinition"
	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

const notFargate = "Task definition does not support launch_type FARGATE. "

// Task definitions that declare no FARGATE compatibility, so that the API server registers
// them, and a Fargate one.
var fargateTaskDefinitions = map[string]string{
	"bridge-app": `
  networkMode: bridge
  containerDefinitions: [{name: app, image: busybox, memory: 64}]`,
	"slow-stop": `
  networkMode: awsvpc
  cpu: "256"
  memory: "512"
  containerDefinitions: [{name: app, image: busybox, stopTimeout: 300}]`,
	"privileged": `
  networkMode: awsvpc
  cpu: "256"
  memory: "512"
  containerDefinitions: [{name: app, image: busybox, privileged: true}]`,
	"fargate-app": `
  networkMode: awsvpc
  requiresCompatibilities: [FARGATE]
  cpu: "256"
  memory: "512"
  containerDefinitions: [{name: app, image: busybox, portMappings: [{containerPort: 8080, hostPort: 8080}]}]`,
}

// registerTaskDefinitions applies the task definitions and waits until the TaskDefinition
// controller has registered their first revision.
func registerTaskDefinitions(t *testing.T, ns string, names ...string) {
	t.Helper()
	for _, name := range names {
		apply(t, ns, fmt.Sprintf("apiVersion: ecs.kube-ecs.io/v1alpha1\nkind: TaskDefinition\nmetadata: {name: %s}\nspec:%s\n", name, fargateTaskDefinitions[name]))
		testenv.Eventually(t, 30*time.Second, func() error {
			_, err := taskdefinition.Resolve(context.Background(), env.Client, ns, name)
			return err
		})
	}
}

func apply(t *testing.T, ns, manifest string) {
	t.Helper()
	if out, err := kubectl(t, []byte(manifest), "apply", "-n", ns, "-f", "-"); err != nil {
		t.Fatalf("kubectl apply refused:\n%s\n%s", manifest, out)
	}
}

// denied applies manifest and wants the webhook to refuse it with want.
func denied(t *testing.T, ns, manifest, want string) {
	t.Helper()
	out, err := kubectl(t, []byte(manifest), "apply", "-n", ns, "-f", "-")
	if err == nil {
		t.Fatalf("kubectl apply accepted:\n%s\n%s", manifest, out)
	}
	if !strings.Contains(out, `admission webhook "placement.ecs.kube-ecs.io" denied the request: `+want) {
		t.Fatalf("kubectl apply refused, but not with %q:\n%s", want, out)
	}
}

func taskManifest(name, spec string) string {
	return fmt.Sprintf("apiVersion: ecs.kube-ecs.io/v1alpha1\nkind: Task\nmetadata: {name: %s}\nspec: %s\n", name, spec)
}

func serviceManifest(name, spec string) string {
	return fmt.Sprintf("apiVersion: ecs.kube-ecs.io/v1alpha1\nkind: Service\nmetadata: {name: %s}\nspec: %s\n", name, spec)
}

// TestFargateTaskDefinitionAtAdmission: a Task or Service that runs on Fargate is refused
// when its task definition's revision breaks Fargate's rules, with RunTask's message, as
// ECS refuses RunTask and CreateService; whatever the order things are applied in.
func TestFargateTaskDefinitionAtAdmission(t *testing.T) {
	ns := newNamespace(t)
	registerTaskDefinitions(t, ns, "bridge-app", "slow-stop", "privileged", "fargate-app")

	refused := []struct {
		name, manifest, want string
	}{
		{"a FARGATE task of a bridge task definition",
			taskManifest("bridge", `{taskDefinition: bridge-app, launchType: FARGATE}`),
			`spec.taskDefinition: Invalid value: "bridge-app": ` + notFargate + "Fargate only supports network mode 'awsvpc'."},
		{"a FARGATE_SPOT service of a bridge task definition",
			serviceManifest("bridge", `{taskDefinition: "bridge-app:1", desiredCount: 1, capacityProviderStrategy: [{capacityProvider: FARGATE_SPOT, weight: 1}]}`),
			`spec.taskDefinition: Invalid value: "bridge-app:1": ` + notFargate + "Fargate only supports network mode 'awsvpc'."},
		{"a FARGATE service of a task definition with a stopTimeout of 300 seconds",
			serviceManifest("slow", `{taskDefinition: slow-stop, launchType: FARGATE}`),
			`spec.taskDefinition: Invalid value: "slow-stop": ` + notFargate + "Fargate allows a stopTimeout of at most 120 seconds"},
		{"a FARGATE task of a privileged task definition, named by ARN",
			taskManifest("privileged", `{taskDefinition: "arn:aws:ecs:us-east-1:000000000000:task-definition/privileged:1", capacityProviderStrategy: [{capacityProvider: FARGATE, weight: 1}]}`),
			`spec.taskDefinition: Invalid value: "arn:aws:ecs:us-east-1:000000000000:task-definition/privileged:1": ` + notFargate +
				"Fargate does not support privileged containers: remove privileged: true"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) { denied(t, ns, tt.manifest, tt.want) })
	}

	t.Run("the same task definitions on EC2", func(t *testing.T) {
		apply(t, ns, taskManifest("bridge-ec2", `{taskDefinition: bridge-app, launchType: EC2}`))
		apply(t, ns, serviceManifest("slow-ec2", `{taskDefinition: slow-stop, desiredCount: 0}`))
	})
	t.Run("a Fargate task definition", func(t *testing.T) {
		apply(t, ns, taskManifest("fargate", `{taskDefinition: fargate-app, launchType: FARGATE}`))
		apply(t, ns, serviceManifest("fargate", `{taskDefinition: fargate-app, desiredCount: 0, capacityProviderStrategy: [{capacityProvider: FARGATE_SPOT, weight: 1}]}`))
	})
	t.Run("a task definition that is not registered yet", func(t *testing.T) {
		apply(t, ns, taskManifest("early", `{taskDefinition: later, launchType: FARGATE}`))
		apply(t, ns, taskManifest("early-revision", `{taskDefinition: "bridge-app:7", launchType: FARGATE}`))
	})
	t.Run("an update to a task definition Fargate cannot run", func(t *testing.T) {
		denied(t, ns, serviceManifest("fargate", `{taskDefinition: bridge-app, desiredCount: 0, capacityProviderStrategy: [{capacityProvider: FARGATE_SPOT, weight: 1}]}`),
			`spec.taskDefinition: Invalid value: "bridge-app": `+notFargate)
	})
}

// TestFargateUpdatesOfAdmittedObjects: a task admitted before its task definition was
// registered can still be stopped, and a service still scaled and deleted: an update is
// checked only for the fields it changes.
func TestFargateUpdatesOfAdmittedObjects(t *testing.T) {
	ns := newNamespace(t)
	apply(t, ns, taskManifest("early", `{taskDefinition: bridge-app, launchType: FARGATE}`))
	apply(t, ns, serviceManifest("early", `{taskDefinition: bridge-app, launchType: FARGATE, desiredCount: 0}`))
	registerTaskDefinitions(t, ns, "bridge-app")

	for _, args := range [][]string{
		{"patch", "tasks.ecs.kube-ecs.io", "early", "--type=merge", "-p", `{"spec":{"desiredStatus":"STOPPED"}}`},
		{"annotate", "tasks.ecs.kube-ecs.io", "early", "example.com/note=stopped"},
		{"patch", "services.ecs.kube-ecs.io", "early", "--type=merge", "-p", `{"spec":{"desiredCount":0,"propagateTags":"SERVICE"}}`},
		{"delete", "services.ecs.kube-ecs.io", "early"},
	} {
		if out, err := kubectl(t, nil, append([]string{"-n", ns}, args...)...); err != nil {
			t.Errorf("kubectl %s refused: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestFargateClusterDefaultAtAdmission: a Task or Service that names neither a launch type
// nor a capacity provider strategy runs on its cluster's default strategy, which the API
// server's rules cannot see; the webhook applies Fargate's rules to it.
func TestFargateClusterDefaultAtAdmission(t *testing.T) {
	ns := newNamespace(t)
	apply(t, ns, `apiVersion: ecs.kube-ecs.io/v1alpha1
kind: Cluster
metadata: {name: default}
spec:
  capacityProviders: [FARGATE, FARGATE_SPOT]
  defaultCapacityProviderStrategy: [{capacityProvider: FARGATE, base: 1, weight: 1}, {capacityProvider: FARGATE_SPOT, weight: 3}]
`)
	registerTaskDefinitions(t, ns, "bridge-app", "fargate-app")
	const why = ` (with no launchType or capacityProviderStrategy, the %s uses the defaultCapacityProviderStrategy of cluster "default", which names FARGATE; set launchType EC2 to run it on EC2)`

	refused := []struct {
		name, manifest, want string
	}{
		{"placement constraints on a task",
			taskManifest("constrained", `{taskDefinition: fargate-app, placementConstraints: [{type: distinctInstance}]}`),
			"spec.placementConstraints: Forbidden: Fargate does not support placement constraints" + fmt.Sprintf(why, "task")},
		{"placement constraints on a service of a task definition not registered yet",
			serviceManifest("constrained", `{taskDefinition: later, desiredCount: 1, placementConstraints: [{type: memberOf, expression: "attribute:ecs.instance-type =~ t3.*"}]}`),
			"spec.placementConstraints: Forbidden: Fargate does not support placement constraints" + fmt.Sprintf(why, "service")},
		{"a DAEMON service",
			serviceManifest("agent", `{taskDefinition: fargate-app, schedulingStrategy: DAEMON}`),
			`spec.schedulingStrategy: Invalid value: "DAEMON": The DAEMON scheduling strategy is not supported on Fargate.` + fmt.Sprintf(why, "service")},
		{"a task of a bridge task definition",
			taskManifest("bridge", `{taskDefinition: bridge-app}`),
			`spec.taskDefinition: Invalid value: "bridge-app": ` + notFargate + "Fargate only supports network mode 'awsvpc'." + fmt.Sprintf(why, "task")},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) { denied(t, ns, tt.manifest, tt.want) })
	}

	t.Run("the same on EC2", func(t *testing.T) {
		apply(t, ns, taskManifest("constrained", `{taskDefinition: bridge-app, launchType: EC2, placementConstraints: [{type: distinctInstance}]}`))
		apply(t, ns, serviceManifest("agent", `{taskDefinition: bridge-app, launchType: EC2, schedulingStrategy: DAEMON}`))
	})
	t.Run("a Fargate task definition without constraints", func(t *testing.T) {
		apply(t, ns, taskManifest("fargate", `{taskDefinition: fargate-app}`))
		apply(t, ns, serviceManifest("fargate", `{taskDefinition: fargate-app, desiredCount: 0}`))
	})
	t.Run("another cluster without a default strategy", func(t *testing.T) {
		apply(t, ns, taskManifest("elsewhere", `{cluster: other, taskDefinition: bridge-app, placementConstraints: [{type: distinctInstance}]}`))
	})
}
