//go:build kwok

package kwok

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/lifecycle"
	"github.com/kube-ecs/kube-ecs/internal/scheme"
)

// spotWarning is the manager's --spot-interruption-warning in this test (ECS: 2 minutes).
const spotWarning = 5 * time.Second

// The Fargate task definition and a cluster that has both Fargate capacity providers.
const (
	fargateTaskDefinitionYAML = `
apiVersion: ecs.kube-ecs.io/v1alpha1
kind: TaskDefinition
metadata:
  name: web
spec:
  networkMode: awsvpc
  requiresCompatibilities: [FARGATE]
  cpu: "256"
  memory: "512"
  containerDefinitions:
  - name: web
    image: public.ecr.aws/docker/library/busybox:1.36
    command: [sleep, infinity]
    stopTimeout: 20
`
	fargateClusterYAML = `
apiVersion: ecs.kube-ecs.io/v1alpha1
kind: Cluster
metadata:
  name: serverless
spec:
  capacityProviders: [FARGATE, FARGATE_SPOT]
`
	// ECS's example: base 1 on FARGATE, then 1:4 with FARGATE_SPOT.
	fargateServiceYAML = `
apiVersion: ecs.kube-ecs.io/v1alpha1
kind: Service
metadata:
  name: web
spec:
  cluster: serverless
  taskDefinition: web
  desiredCount: 5
  capacityProviderStrategy:
  - capacityProvider: FARGATE
    base: 1
    weight: 1
  - capacityProvider: FARGATE_SPOT
    weight: 4
`
	spotTaskYAML = `
apiVersion: ecs.kube-ecs.io/v1alpha1
kind: Task
metadata:
  name: batch
spec:
  cluster: serverless
  taskDefinition: web
  capacityProviderStrategy:
  - capacityProvider: FARGATE_SPOT
    weight: 1
`
)

// fargateNamespace is a namespace with the serverless cluster and the web task definition.
func fargateNamespace(t *testing.T, prefix string) string {
	t.Helper()
	ns := newNamespace(t, prefix)
	create(t, ns, fargateClusterYAML, &ecsv1alpha1.Cluster{})
	create(t, ns, fargateTaskDefinitionYAML, &ecsv1alpha1.TaskDefinition{})
	eventually(t, time.Minute, "task definition web revision 1", func() (bool, string, error) {
		td := &ecsv1alpha1.TaskDefinition{}
		err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "web"}, td)
		return err == nil && td.Status.LatestActiveRevision >= 1, "no ACTIVE revision yet", err
	})
	return ns
}

// spread counts the service's running pods by capacity provider, and checks that each runs in
// its provider's pool.
func spread(t *testing.T, ns string) (map[string]int, []corev1.Pod) {
	t.Helper()
	count := map[string]int{}
	var running []corev1.Pod
	for _, p := range listPods(t, ns, ecsv1alpha1.ServiceLabel) {
		if !podRunning(&p) {
			continue
		}
		provider := p.Labels[ecsv1alpha1.CapacityProviderLabel]
		node, _ := fargateNodeByName(p.Spec.NodeName)
		if node.pool != poolOf(provider) {
			t.Errorf("pod %s of %s runs on %s (pool %q)", p.Name, provider, p.Spec.NodeName, node.pool)
		}
		count[provider]++
		running = append(running, p)
	}
	return count, running
}

func poolOf(provider string) string {
	switch provider {
	case ecsv1alpha1.CapacityProviderFargate:
		return "fargate"
	case ecsv1alpha1.CapacityProviderFargateSpot:
		return "fargate-spot"
	}
	return ""
}

// TestFargateSpotInterruption: a service of 5 tasks with FARGATE base 1 + 1:4 FARGATE_SPOT
// runs 2 tasks on the Fargate pool and 3 on the Spot pool, as ECS splits it; interrupting the
// Spot capacity stops the Spot tasks with SpotInterruption (a standalone task's status, the
// service's events) and the service replaces them on Spot capacity once it is back.
func TestFargateSpotInterruption(t *testing.T) {
	ctx := context.Background()
	ns := fargateNamespace(t, "spot")
	create(t, ns, fargateServiceYAML, &ecsv1alpha1.Service{})
	create(t, ns, spotTaskYAML, &ecsv1alpha1.Task{})

	var before []corev1.Pod
	eventually(t, 2*time.Minute, "5 service tasks split 2 FARGATE / 3 FARGATE_SPOT", func() (bool, string, error) {
		count, running := spread(t, ns)
		before = running
		want := map[string]int{ecsv1alpha1.CapacityProviderFargate: 2, ecsv1alpha1.CapacityProviderFargateSpot: 3}
		return fmt.Sprint(count) == fmt.Sprint(want), fmt.Sprintf("running by provider: %v", count), nil
	})
	waitTasksRunning(t, ns, []string{"batch"}, time.Now(), 2*time.Minute)
	task := getTask(t, ns, "batch")
	if task.Status.CapacityProviderName != ecsv1alpha1.CapacityProviderFargateSpot || task.Status.LaunchType != ecsv1alpha1.LaunchTypeFargate {
		t.Fatalf("task batch: capacityProviderName %q launchType %q, want FARGATE_SPOT / FARGATE", task.Status.CapacityProviderName, task.Status.LaunchType)
	}
	pod := getPod(t, ns, task.Status.PodName)
	for _, p := range before {
		if p.Annotations[ecsv1alpha1.CapacityProvisionedAnnotation] != "0.25vCPU 0.5GB" {
			t.Errorf("pod %s: %s=%q, want \"0.25vCPU 0.5GB\"", p.Name, ecsv1alpha1.CapacityProvisionedAnnotation, p.Annotations[ecsv1alpha1.CapacityProvisionedAnnotation])
		}
		if p.Status.QOSClass != corev1.PodQOSGuaranteed {
			t.Errorf("pod %s: QoS %s, want Guaranteed", p.Name, p.Status.QOSClass)
		}
	}

	// Interrupt the whole Spot pool: with a Spot node left, ECS relaunches there at once.
	spotNodes := map[string]bool{}
	for _, n := range fargateFleet {
		if n.pool == poolOf(ecsv1alpha1.CapacityProviderFargateSpot) {
			spotNodes[n.name] = true
		}
	}
	interrupted := map[string]bool{pod.Name: true}
	for _, p := range before {
		if p.Labels[ecsv1alpha1.CapacityProviderLabel] == ecsv1alpha1.CapacityProviderFargateSpot {
			interrupted[p.Name] = true
		}
	}
	start := time.Now()
	for n := range spotNodes {
		if _, err := kubectl("annotate", "node", n, ecsv1alpha1.SpotInterruptionAnnotation+"=now"); err != nil {
			t.Fatal(err)
		}
	}

	eventually(t, time.Minute, "the standalone Spot task STOPPED with SpotInterruption", func() (bool, string, error) {
		task := getTask(t, ns, "batch")
		st := task.Status
		return st.LastStatus == ecsv1alpha1.TaskStopped && st.StopCode == ecsv1alpha1.StopCodeSpotInterruption && st.StoppedReason == lifecycle.ReasonSpotInterruption,
			fmt.Sprintf("lastStatus %s stopCode %q stoppedReason %q", st.LastStatus, st.StopCode, st.StoppedReason), nil
	})
	eventually(t, time.Minute, "the service's Spot tasks stopped with SpotInterruption and replaced", func() (bool, string, error) {
		count, running := spread(t, ns)
		left := 0
		for _, p := range running {
			if interrupted[p.Name] {
				left++
			}
		}
		want := map[string]int{ecsv1alpha1.CapacityProviderFargate: 2, ecsv1alpha1.CapacityProviderFargateSpot: 3}
		return left == 0 && fmt.Sprint(count) == fmt.Sprint(want), fmt.Sprintf("%d interrupted tasks still run; running by provider %v", left, count), nil
	})
	t.Logf("Spot tasks replaced %s after the interruption (warning %s)", since(start), spotWarning)
	if d := time.Since(start); d < spotWarning {
		t.Errorf("the replacements ran %s after the interruption, before the capacity came back (warning %s)", d, spotWarning)
	}
	// The FARGATE tasks were not touched.
	for _, p := range before {
		if p.Labels[ecsv1alpha1.CapacityProviderLabel] == ecsv1alpha1.CapacityProviderFargate {
			if q := getPod(t, ns, p.Name); q == nil || !podRunning(q) {
				t.Errorf("FARGATE task %s was stopped by the Spot interruption", p.Name)
			}
		}
	}
	// The service's events name the stop code of each interrupted task.
	eventually(t, 30*time.Second, "the service's SpotInterruption events", func() (bool, string, error) {
		evs := &corev1.EventList{}
		if err := k8s.List(ctx, evs, client.InNamespace(ns)); err != nil {
			return false, "", err
		}
		n := 0
		for _, e := range evs.Items {
			if e.InvolvedObject.Kind == "Service" && e.Reason == string(ecsv1alpha1.StopCodeSpotInterruption) &&
				strings.Contains(e.Message, "SpotInterruption: "+lifecycle.ReasonSpotInterruption) {
				n++
			}
		}
		return n >= 3, fmt.Sprintf("%d of 3 events", n), nil
	})
	// The Spot nodes take tasks again once their warning is over: no interruption taint or
	// annotation is left (each node's warning started when it was annotated).
	for n := range spotNodes {
		eventually(t, 30*time.Second, "node "+n+" open again", func() (bool, string, error) {
			node := &corev1.Node{}
			if err := k8s.Get(ctx, client.ObjectKey{Name: n}, node); err != nil {
				return false, "", err
			}
			for _, tt := range node.Spec.Taints {
				if tt.Key == ecsv1alpha1.SpotInterruptionTaint {
					return false, "it keeps the interruption taint", nil
				}
			}
			if _, ok := node.Annotations[ecsv1alpha1.SpotInterruptionAnnotation]; ok {
				return false, "it keeps the interruption annotation", nil
			}
			return true, "", nil
		})
	}
}

// TestTenantRunsFargateTasks: a tenant bound to the chart's kube-ecs-tenant role in one
// namespace (impersonated, as kubectl --as does) runs Fargate tasks there, and can see neither
// nodes nor where its tasks run.
func TestTenantRunsFargateTasks(t *testing.T) {
	ctx := context.Background()
	ns := fargateNamespace(t, "tenant")
	role := tenantRole(t)
	if _, err := kubectl("-n", ns, "create", "rolebinding", "team", "--clusterrole="+role, "--user=alice"); err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", env.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "alice"}
	alice, err := client.New(cfg, client.Options{Scheme: scheme.New()})
	if err != nil {
		t.Fatal(err)
	}

	alicesTask := &ecsv1alpha1.Task{}
	if err := yaml.UnmarshalStrict([]byte(strings.Replace(spotTaskYAML, "FARGATE_SPOT", "FARGATE", 1)), alicesTask); err != nil {
		t.Fatal(err)
	}
	alicesTask.Name, alicesTask.Namespace = "alices-batch", ns
	eventually(t, time.Minute, "alice's RoleBinding to take effect", func() (bool, string, error) {
		err := alice.Create(ctx, alicesTask.DeepCopy())
		return err == nil || apierrors.IsAlreadyExists(err), fmt.Sprint(err), nil
	})
	eventually(t, 2*time.Minute, "alice's task RUNNING", func() (bool, string, error) {
		got := &ecsv1alpha1.Task{}
		if err := alice.Get(ctx, client.ObjectKeyFromObject(alicesTask), got); err != nil {
			return false, "", err
		}
		return got.Status.LastStatus == ecsv1alpha1.TaskRunning, "lastStatus " + string(got.Status.LastStatus), nil
	})
	got := &ecsv1alpha1.Task{}
	if err := alice.Get(ctx, client.ObjectKeyFromObject(alicesTask), got); err != nil {
		t.Fatal(err)
	}
	// Her task's status says nothing of nodes: no container instance, no node name.
	status, _ := json.Marshal(got.Status)
	pod := &corev1.Pod{}
	if err := alice.Get(ctx, client.ObjectKey{Namespace: ns, Name: got.Status.PodName}, pod); err != nil {
		t.Fatalf("alice cannot read her task's pod: %v", err)
	}
	if got.Status.ContainerInstanceArn != "" || strings.Contains(string(status), pod.Spec.NodeName) {
		t.Errorf("alice's Fargate task status shows its node %s: %s", pod.Spec.NodeName, status)
	}
	// Nodes are not hers to see, list or change; other namespaces neither.
	for what, err := range map[string]error{
		"list nodes":           alice.List(ctx, &corev1.NodeList{}),
		"get her task's node":  alice.Get(ctx, client.ObjectKey{Name: pod.Spec.NodeName}, &corev1.Node{}),
		"list tasks elsewhere": alice.List(ctx, &ecsv1alpha1.TaskList{}, client.InNamespace("default")),
	} {
		if !apierrors.IsForbidden(err) {
			t.Errorf("alice can %s: err %v, want Forbidden", what, err)
		}
	}
	// She stops her task (StopTask) and it stops.
	patch := []byte(`{"spec":{"desiredStatus":"STOPPED","stoppedReason":"done"}}`)
	if err := alice.Patch(ctx, got, client.RawPatch("application/merge-patch+json", patch)); err != nil {
		t.Fatalf("alice cannot stop her task: %v", err)
	}
	eventually(t, time.Minute, "alice's task STOPPED", func() (bool, string, error) {
		got := &ecsv1alpha1.Task{}
		if err := alice.Get(ctx, client.ObjectKeyFromObject(alicesTask), got); err != nil {
			return false, "", err
		}
		return got.Status.LastStatus == ecsv1alpha1.TaskStopped && got.Status.StopCode == ecsv1alpha1.StopCodeUserInitiated,
			fmt.Sprintf("lastStatus %s stopCode %s", got.Status.LastStatus, got.Status.StopCode), nil
	})
}

// tenantRole installs the chart's tenant ClusterRole (helm template, as the chart renders it
// for release kube-ecs) and returns its name.
func tenantRole(t *testing.T) string {
	t.Helper()
	out, err := exec.Command(filepath.Join(env.Bin, "helm"), "template", "kube-ecs", filepath.Join(root, "charts", "kube-ecs"),
		"--show-only", "templates/tenant-role.yaml").Output()
	if err != nil {
		t.Fatalf("helm template: %v", err)
	}
	f := filepath.Join(t.TempDir(), "tenant-role.yaml")
	if err := os.WriteFile(f, out, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := kubectl("apply", "--server-side", "--field-manager=kube-ecs-kwok-test", "-f", f); err != nil {
		t.Fatal(err)
	}
	return "kube-ecs-tenant"
}
