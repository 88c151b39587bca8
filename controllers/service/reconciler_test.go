//go:build envtest

package service_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/controllers/service"
	"github.com/kube-ecs/kube-ecs/controllers/task"
	"github.com/kube-ecs/kube-ecs/internal/capacity"
	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

const timeout = 20 * time.Second

var (
	ctx            = context.Background()
	deploymentIDRE = regexp.MustCompile(`^ecs-svc/[0-9]{19}$`)
)

func cluster(ns string) *ecsv1alpha1.Cluster {
	return &ecsv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: ns}}
}

// family is an EC2 task definition with one essential container listening on 8080.
func family(ns, name, image string) *ecsv1alpha1.TaskDefinition {
	return &ecsv1alpha1.TaskDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: ecsv1alpha1.TaskDefinitionSpec{
			ContainerDefinitions: []ecsv1alpha1.ContainerDefinition{{
				Name: "app", Image: image, Memory: ptr.To[int32](128),
				PortMappings: []ecsv1alpha1.PortMapping{{ContainerPort: ptr.To[int32](8080)}},
			}},
		},
	}
}

// fargateFamily is a task definition Fargate accepts.
func fargateFamily(ns, name string) *ecsv1alpha1.TaskDefinition {
	td := family(ns, name, "registry.example/app:1")
	td.Spec.NetworkMode = ecsv1alpha1.NetworkModeAwsvpc
	td.Spec.CPU, td.Spec.Memory = "256", "512"
	td.Spec.RequiresCompatibilities = []ecsv1alpha1.Compatibility{ecsv1alpha1.CompatibilityFargate}
	td.Spec.ContainerDefinitions[0].Memory = nil
	return td
}

func newService(ns, name, taskDefinition string, desired int32) *ecsv1alpha1.Service {
	return &ecsv1alpha1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       ecsv1alpha1.ServiceSpec{TaskDefinition: taskDefinition, DesiredCount: ptr.To(desired)},
	}
}

// update changes an object with a fresh read, retrying on conflicts.
func update[T client.Object](t *testing.T, obj T, change func(T)) {
	t.Helper()
	testenv.Eventually(t, timeout, func() error {
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		change(obj)
		return env.Client.Update(ctx, obj)
	})
}

// waitService waits until check accepts the service and returns it.
func waitService(t *testing.T, svc *ecsv1alpha1.Service, check func(*ecsv1alpha1.Service) error) *ecsv1alpha1.Service {
	t.Helper()
	got := &ecsv1alpha1.Service{}
	testenv.Eventually(t, timeout, func() error {
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(svc), got); err != nil {
			return err
		}
		return check(got)
	})
	return got
}

// waitObject waits until the object exists and check accepts it.
func waitObject[T client.Object](t *testing.T, ns, name string, obj T, check func(T) error) T {
	t.Helper()
	return testenv.WaitObject(t, env.Client, timeout, client.ObjectKey{Namespace: ns, Name: name}, obj, check)
}

// primary waits for the service's first deployment and returns it.
func primary(t *testing.T, svc *ecsv1alpha1.Service) ecsv1alpha1.Deployment {
	t.Helper()
	got := waitService(t, svc, func(s *ecsv1alpha1.Service) error {
		if len(s.Status.Deployments) == 0 {
			return errors.New("no deployment yet")
		}
		return nil
	})
	return got.Status.Deployments[0]
}

func digits(id string) string { return strings.TrimPrefix(id, "ecs-svc/") }

// templateOf waits until the workload runs deployment id and returns its pod template.
func templateOf(t *testing.T, ns, name, id string) corev1.PodTemplateSpec {
	t.Helper()
	d := waitObject(t, ns, name, &appsv1.Deployment{}, func(d *appsv1.Deployment) error {
		if got := d.Spec.Template.Labels[ecsv1alpha1.DeploymentIDLabel]; got != digits(id) {
			return fmt.Errorf("Deployment %s runs deployment %s, want %s", name, got, digits(id))
		}
		return nil
	})
	return d.Spec.Template
}

// newPod creates a pod from a workload's template, as its ReplicaSet would.
func newPod(t *testing.T, ns string, tmpl corev1.PodTemplateSpec) *corev1.Pod {
	t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: tmpl.Labels[ecsv1alpha1.WorkloadLabel] + "-",
			Namespace:    ns,
			Labels:       tmpl.Labels,
			Annotations:  tmpl.Annotations,
		},
		Spec: *tmpl.Spec.DeepCopy(),
	}
	env.Create(t, pod)
	return pod
}

// kubelet sets the pod's status as a kubelet would.
func kubelet(t *testing.T, pod *corev1.Pod, ready bool, containers func(name string) corev1.ContainerStatus) {
	t.Helper()
	testenv.Eventually(t, timeout, func() error {
		cur := &corev1.Pod{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(pod), cur); err != nil {
			return err
		}
		// Ready a minute ago: past ECS's 40-second rule (minReadySeconds).
		since := metav1.NewTime(time.Now().Add(-time.Minute).Truncate(time.Second))
		readiness := corev1.ConditionFalse
		if ready {
			readiness = corev1.ConditionTrue
		}
		cur.Status.Phase = corev1.PodRunning
		cur.Status.PodIP, cur.Status.PodIPs = "10.0.0.7", []corev1.PodIP{{IP: "10.0.0.7"}}
		cur.Status.HostIP = "192.168.0.2"
		cur.Status.StartTime = &since
		cur.Status.Conditions = []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: since},
			{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: since},
			{Type: corev1.ContainersReady, Status: readiness, LastTransitionTime: since},
			{Type: corev1.PodReady, Status: readiness, LastTransitionTime: since},
		}
		cur.Status.ContainerStatuses = nil
		for _, c := range cur.Spec.Containers {
			cur.Status.ContainerStatuses = append(cur.Status.ContainerStatuses, containers(c.Name))
		}
		return env.Client.Status().Update(ctx, cur)
	})
}

// rolledOut sets a Deployment's status as the Deployment controller does once every pod is
// updated and available.
func rolledOut(t *testing.T, ns, name string) {
	t.Helper()
	testenv.Eventually(t, timeout, func() error {
		d := &appsv1.Deployment{}
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, d); err != nil {
			return err
		}
		n := *d.Spec.Replicas
		d.Status = appsv1.DeploymentStatus{
			ObservedGeneration: d.Generation, Replicas: n, UpdatedReplicas: n, ReadyReplicas: n, AvailableReplicas: n,
		}
		return env.Client.Status().Update(ctx, d)
	})
}

func running(name string) corev1.ContainerStatus {
	started := metav1.NewTime(time.Now().Add(-time.Minute))
	return corev1.ContainerStatus{
		Name: name, Image: "img", ImageID: "img@sha256:0123", ContainerID: "containerd://" + name, Ready: true, Started: ptr.To(true),
		State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: started}},
	}
}

// crashed is a container that exited with 1 and that the kubelet restarted in place.
func crashed(name string) corev1.ContainerStatus {
	started := metav1.NewTime(time.Now().Add(-10 * time.Second))
	return corev1.ContainerStatus{
		Name: name, Image: "img", ImageID: "img@sha256:0123", ContainerID: "containerd://" + name, RestartCount: 1, Started: ptr.To(false),
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: 1, Reason: "Error", StartedAt: started, FinishedAt: metav1.NewTime(started.Add(time.Second)),
		}},
	}
}

func eventsOf(t *testing.T, ns, object string) []eventsv1.Event {
	t.Helper()
	list := &eventsv1.EventList{}
	if err := env.Client.List(ctx, list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var out []eventsv1.Event
	for _, e := range list.Items {
		if e.Regarding.Name == object {
			out = append(out, e)
		}
	}
	return out
}

// hasEvent checks that the service's status lists message and that a Kubernetes Event says
// it too.
func hasEvent(ns string, svc *ecsv1alpha1.Service, message string) error {
	if !slices.ContainsFunc(svc.Status.Events, func(e ecsv1alpha1.ServiceEvent) bool { return e.Message == message }) {
		return fmt.Errorf("status.events lack %q", message)
	}
	list := &eventsv1.EventList{}
	if err := env.Client.List(ctx, list, client.InNamespace(ns)); err != nil {
		return err
	}
	if !slices.ContainsFunc(list.Items, func(e eventsv1.Event) bool { return e.Regarding.Name == svc.Name && e.Note == message }) {
		return fmt.Errorf("no Kubernetes Event says %q", message)
	}
	return nil
}

// TestDeploysRevisionsAndScales: a service runs as one Deployment; a new revision of its
// family starts a new deployment, a pinned revision does not move, and desiredCount scales
// without a new deployment.
func TestDeploysRevisionsAndScales(t *testing.T) {
	ns := env.NewNamespace(t, "svc")
	td := family(ns, "web", "registry.example/web:1")
	env.Create(t, cluster(ns), td)
	svc, pinned := newService(ns, "web", "web", 3), newService(ns, "pinned", "web:1", 1)
	env.Create(t, svc, pinned)

	first := primary(t, svc)
	if !deploymentIDRE.MatchString(first.ID) || first.Status != ecsv1alpha1.DeploymentPrimary || first.RolloutState != ecsv1alpha1.RolloutInProgress {
		t.Errorf("first deployment %s %s %s, want ecs-svc/<19 digits> PRIMARY IN_PROGRESS", first.ID, first.Status, first.RolloutState)
	}
	if !strings.HasSuffix(first.TaskDefinition, ":task-definition/web:1") || !strings.HasPrefix(first.TaskDefinition, "arn:aws:ecs:") {
		t.Errorf("first deployment's taskDefinition %q, want the ARN of web:1", first.TaskDefinition)
	}
	dep := waitObject(t, ns, "web", &appsv1.Deployment{}, nil)
	if !metav1.IsControlledBy(dep, waitService(t, svc, func(*ecsv1alpha1.Service) error { return nil })) {
		t.Errorf("Deployment owners %v, want the service as controller", dep.OwnerReferences)
	}
	if *dep.Spec.Replicas != 3 || dep.Spec.Strategy.RollingUpdate.MaxSurge.IntValue() != 3 || dep.Spec.Strategy.RollingUpdate.MaxUnavailable.IntValue() != 0 {
		t.Errorf("replicas %d maxSurge %s maxUnavailable %s, want 3, 3, 0 (maximumPercent 200, minimumHealthyPercent 100)",
			*dep.Spec.Replicas, dep.Spec.Strategy.RollingUpdate.MaxSurge, dep.Spec.Strategy.RollingUpdate.MaxUnavailable)
	}
	for k, want := range map[string]string{
		ecsv1alpha1.ServiceLabel: "web", ecsv1alpha1.WorkloadLabel: "web", ecsv1alpha1.ClusterLabel: "default",
		ecsv1alpha1.FamilyLabel: "web", ecsv1alpha1.RevisionLabel: "1", ecsv1alpha1.DeploymentIDLabel: digits(first.ID),
		ecsv1alpha1.LaunchTypeLabel: "EC2",
	} {
		if got := dep.Spec.Template.Labels[k]; got != want {
			t.Errorf("template label %s = %q, want %q", k, got, want)
		}
	}
	if dep.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyAlways || dep.Spec.MinReadySeconds != 40 {
		t.Errorf("restartPolicy %s minReadySeconds %d, want Always and 40", dep.Spec.Template.Spec.RestartPolicy, dep.Spec.MinReadySeconds)
	}
	pinnedFirst := primary(t, pinned)

	// A task of the first deployment: the deployment stays ACTIVE while it has one.
	newPod(t, ns, dep.Spec.Template)

	update(t, td, func(td *ecsv1alpha1.TaskDefinition) { td.Spec.ContainerDefinitions[0].Image = "registry.example/web:2" })
	got := waitService(t, svc, func(s *ecsv1alpha1.Service) error {
		if len(s.Status.Deployments) != 2 || s.Status.Deployments[0].ID == first.ID {
			return fmt.Errorf("deployments %+v, want a new PRIMARY and the first ACTIVE", s.Status.Deployments)
		}
		return nil
	})
	second, old := got.Status.Deployments[0], got.Status.Deployments[1]
	if !deploymentIDRE.MatchString(second.ID) || second.Status != ecsv1alpha1.DeploymentPrimary || second.RolloutState != ecsv1alpha1.RolloutInProgress ||
		!strings.HasSuffix(second.TaskDefinition, ":task-definition/web:2") {
		t.Errorf("second deployment %+v, want PRIMARY IN_PROGRESS of web:2", second)
	}
	if old.ID != first.ID || old.Status != ecsv1alpha1.DeploymentActive || old.TaskDefinition != first.TaskDefinition || old.PendingCount != 1 {
		t.Errorf("first deployment now %+v, want ACTIVE with its pending task", old)
	}
	if !strings.HasSuffix(got.Status.TaskDefinition, ":task-definition/web:2") {
		t.Errorf("status.taskDefinition %q, want web:2", got.Status.TaskDefinition)
	}
	tmpl := templateOf(t, ns, "web", second.ID)
	if tmpl.Labels[ecsv1alpha1.RevisionLabel] != "2" || tmpl.Spec.Containers[0].Image != "registry.example/web:2" {
		t.Errorf("template of the second deployment: revision %s image %s", tmpl.Labels[ecsv1alpha1.RevisionLabel], tmpl.Spec.Containers[0].Image)
	}

	// The pinned service saw the new revision (its family changed) and stays on web:1.
	pinnedNow := waitService(t, pinned, func(s *ecsv1alpha1.Service) error {
		if s.Status.ObservedGeneration != s.Generation || len(s.Status.Deployments) == 0 {
			return errors.New("not reconciled")
		}
		return nil
	})
	if len(pinnedNow.Status.Deployments) != 1 || pinnedNow.Status.Deployments[0].ID != pinnedFirst.ID ||
		!strings.HasSuffix(pinnedNow.Status.Deployments[0].TaskDefinition, ":task-definition/web:1") {
		t.Errorf("pinned service's deployments %+v, want only %s on web:1", pinnedNow.Status.Deployments, pinnedFirst.ID)
	}
	if d := waitObject(t, ns, "pinned", &appsv1.Deployment{}, nil); d.Spec.Template.Labels[ecsv1alpha1.RevisionLabel] != "1" {
		t.Errorf("pinned Deployment runs revision %s, want 1", d.Spec.Template.Labels[ecsv1alpha1.RevisionLabel])
	}

	// Scaling is no deployment.
	update(t, svc, func(s *ecsv1alpha1.Service) { s.Spec.DesiredCount = ptr.To[int32](5) })
	waitObject(t, ns, "web", &appsv1.Deployment{}, func(d *appsv1.Deployment) error {
		if *d.Spec.Replicas != 5 || d.Spec.Strategy.RollingUpdate.MaxSurge.IntValue() != 5 {
			return fmt.Errorf("replicas %d maxSurge %s, want 5 and 5", *d.Spec.Replicas, d.Spec.Strategy.RollingUpdate.MaxSurge)
		}
		return nil
	})
	got = waitService(t, svc, func(s *ecsv1alpha1.Service) error {
		if s.Status.ObservedGeneration != s.Generation || s.Status.DesiredCount != 5 {
			return fmt.Errorf("observedGeneration %d of %d, desiredCount %d", s.Status.ObservedGeneration, s.Generation, s.Status.DesiredCount)
		}
		return nil
	})
	if got.Status.Deployments[0].ID != second.ID || got.Status.Deployments[0].DesiredCount != 5 || len(got.Status.Deployments) != 2 {
		t.Errorf("deployments after scaling %+v, want %s PRIMARY with desiredCount 5 and no new one", got.Status.Deployments, second.ID)
	}
}

// TestCapacityProviderStrategy: one Deployment per capacity provider, with its share of
// desiredCount and its Fargate pool.
func TestCapacityProviderStrategy(t *testing.T) {
	ns := env.NewNamespace(t, "svc")
	svc := newService(ns, "api", "api", 5)
	svc.Spec.CapacityProviderStrategy = []ecsv1alpha1.CapacityProviderStrategyItem{
		{CapacityProvider: ecsv1alpha1.CapacityProviderFargate, Base: ptr.To[int32](1), Weight: ptr.To[int32](1)},
		{CapacityProvider: ecsv1alpha1.CapacityProviderFargateSpot, Weight: ptr.To[int32](4)},
	}
	env.Create(t, cluster(ns), fargateFamily(ns, "api"), svc)

	id := primary(t, svc).ID
	pools := capacity.DefaultPools()
	for _, tc := range []struct {
		name     string
		replicas int32
		provider string
		pool     capacity.Pool
	}{
		{"api-fargate", 2, ecsv1alpha1.CapacityProviderFargate, pools.Fargate},
		{"api-fargate-spot", 3, ecsv1alpha1.CapacityProviderFargateSpot, pools.FargateSpot},
	} {
		d := waitObject(t, ns, tc.name, &appsv1.Deployment{}, nil)
		spec := d.Spec.Template.Spec
		if *d.Spec.Replicas != tc.replicas {
			t.Errorf("%s: replicas %d, want %d", tc.name, *d.Spec.Replicas, tc.replicas)
		}
		for k, v := range tc.pool.NodeSelector {
			if spec.NodeSelector[k] != v {
				t.Errorf("%s: nodeSelector %v lacks %s=%s", tc.name, spec.NodeSelector, k, v)
			}
		}
		for _, tol := range tc.pool.Tolerations {
			if !slices.Contains(spec.Tolerations, tol) {
				t.Errorf("%s: tolerations %v lack %v", tc.name, spec.Tolerations, tol)
			}
		}
		l := d.Spec.Template.Labels
		if l[ecsv1alpha1.WorkloadLabel] != tc.name || l[ecsv1alpha1.CapacityProviderLabel] != tc.provider ||
			l[ecsv1alpha1.LaunchTypeLabel] != "FARGATE" || l[ecsv1alpha1.DeploymentIDLabel] != digits(id) {
			t.Errorf("%s: template labels %v", tc.name, l)
		}
	}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "api"}, &appsv1.Deployment{}); !apierrors.IsNotFound(err) {
		t.Errorf("a Deployment named after the service exists beside the providers' (err %v)", err)
	}
	got := waitService(t, svc, func(s *ecsv1alpha1.Service) error { return nil })
	if d := got.Status.Deployments[0]; len(d.CapacityProviderStrategy) != 2 || d.LaunchType != "" {
		t.Errorf("deployment's launchType %q strategy %+v, want the service's strategy", d.LaunchType, d.CapacityProviderStrategy)
	}
}

// TestDaemonService runs as a DaemonSet.
func TestDaemonService(t *testing.T) {
	ns := env.NewNamespace(t, "svc")
	svc := newService(ns, "agent", "agent", 0)
	svc.Spec.DesiredCount = nil
	svc.Spec.SchedulingStrategy = ecsv1alpha1.SchedulingStrategyDaemon
	env.Create(t, cluster(ns), family(ns, "agent", "registry.example/agent:1"), svc)

	id := primary(t, svc).ID
	ds := waitObject(t, ns, "agent", &appsv1.DaemonSet{}, nil)
	if ds.Spec.Template.Labels[ecsv1alpha1.DeploymentIDLabel] != digits(id) || ds.Spec.UpdateStrategy.RollingUpdate.MaxSurge.IntValue() != 0 {
		t.Errorf("DaemonSet template labels %v, update strategy %+v", ds.Spec.Template.Labels, ds.Spec.UpdateStrategy.RollingUpdate)
	}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(ds), &appsv1.Deployment{}); !apierrors.IsNotFound(err) {
		t.Errorf("a DAEMON service has a Deployment too (err %v)", err)
	}
}

// TestLoadBalancersAndRegistry: a load balancer becomes a Kubernetes Service and an
// Ingress, a service registry a headless Service; they go when the spec drops them.
func TestLoadBalancersAndRegistry(t *testing.T) {
	ns := env.NewNamespace(t, "svc")
	svc := newService(ns, "shop", "shop", 2)
	svc.Spec.LoadBalancers = []ecsv1alpha1.LoadBalancer{{
		TargetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/shop/0123456789abcdef",
		ContainerName:  "app", ContainerPort: ptr.To[int32](8080),
		Ingress: &ecsv1alpha1.LoadBalancerIngress{Host: "web.example.com"},
	}}
	svc.Spec.ServiceRegistries = []ecsv1alpha1.ServiceRegistry{{ContainerName: "app", ContainerPort: ptr.To[int32](8080)}}
	env.Create(t, cluster(ns), family(ns, "shop", "registry.example/shop:1"), svc)

	lb := waitObject(t, ns, "shop", &corev1.Service{}, nil)
	if !maps.Equal(lb.Spec.Selector, map[string]string{ecsv1alpha1.ServiceLabel: "shop"}) {
		t.Errorf("load balancer Service selector %v, want %s=shop", lb.Spec.Selector, ecsv1alpha1.ServiceLabel)
	}
	if len(lb.Spec.Ports) != 1 || lb.Spec.Ports[0].Port != 8080 || lb.Spec.Ports[0].TargetPort.IntValue() != 8080 || lb.Spec.ClusterIP == corev1.ClusterIPNone {
		t.Errorf("load balancer Service %+v, want a ClusterIP Service on 8080", lb.Spec)
	}
	ing := waitObject(t, ns, "shop", &networkingv1.Ingress{}, nil)
	if len(ing.Spec.Rules) != 1 || ing.Spec.Rules[0].Host != "web.example.com" ||
		ing.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Name != "shop" || ing.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Port.Number != 8080 {
		t.Errorf("Ingress rules %+v, want web.example.com to shop:8080", ing.Spec.Rules)
	}
	disc := waitObject(t, ns, "shop-discovery", &corev1.Service{}, nil)
	if disc.Spec.ClusterIP != corev1.ClusterIPNone || disc.Spec.Selector[ecsv1alpha1.ServiceLabel] != "shop" {
		t.Errorf("discovery Service %+v, want headless selecting the service's tasks", disc.Spec)
	}
	for _, o := range []client.Object{lb, ing, disc} {
		if owner := metav1.GetControllerOf(o); owner == nil || owner.Name != "shop" || owner.Kind != "Service" {
			t.Errorf("%T %s controller %v, want the ECS service", o, o.GetName(), owner)
		}
	}
	// The target container joins the load balancer once it accepts connections; a load
	// balancer's health check replaces the 40-second rule.
	d := waitObject(t, ns, "shop", &appsv1.Deployment{}, nil)
	if p := d.Spec.Template.Spec.Containers[0].ReadinessProbe; p == nil || p.TCPSocket == nil || p.TCPSocket.Port.IntValue() != 8080 {
		t.Errorf("target container's readiness probe %+v, want TCP 8080", p)
	}
	if d.Spec.MinReadySeconds != 0 {
		t.Errorf("minReadySeconds %d with a load balancer, want 0", d.Spec.MinReadySeconds)
	}

	update(t, svc, func(s *ecsv1alpha1.Service) { s.Spec.LoadBalancers = nil })
	env.WaitGone(t, timeout, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "shop"}})
	env.WaitGone(t, timeout, &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "shop"}})
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(disc), &corev1.Service{}); err != nil {
		t.Errorf("the discovery Service went with the load balancer: %v", err)
	}

	update(t, svc, func(s *ecsv1alpha1.Service) { s.Spec.ServiceRegistries = nil })
	env.WaitGone(t, timeout, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "shop-discovery"}})
}

// TestStopsTaskWhoseEssentialContainerExited: the pod restarts the container in place; ECS
// stops the task instead and counts it as failed.
func TestStopsTaskWhoseEssentialContainerExited(t *testing.T) {
	ns := env.NewNamespace(t, "svc")
	svc := newService(ns, "worker", "worker", 1)
	env.Create(t, cluster(ns), family(ns, "worker", "registry.example/worker:1"), svc)

	id := primary(t, svc).ID
	pod := newPod(t, ns, templateOf(t, ns, "worker", id))
	kubelet(t, pod, false, crashed)
	env.WaitGone(t, timeout, pod)
	got := waitService(t, svc, func(s *ecsv1alpha1.Service) error {
		if n := s.Status.Deployments[0].FailedTasks; n != 1 {
			return fmt.Errorf("failedTasks %d, want 1", n)
		}
		return nil
	})
	if got.Status.Deployments[0].ID != id {
		t.Errorf("deployments %+v, want %s only", got.Status.Deployments, id)
	}
	testenv.Eventually(t, timeout, func() error {
		for _, e := range eventsOf(t, ns, "worker") {
			if e.Type == corev1.EventTypeWarning && e.Reason == string(ecsv1alpha1.StopCodeEssentialContainerExited) &&
				e.Related != nil && e.Related.Name == pod.Name && strings.Contains(e.Note, "Essential container in task exited") {
				return nil
			}
		}
		return fmt.Errorf("no %s event for pod %s", ecsv1alpha1.StopCodeEssentialContainerExited, pod.Name)
	})
}

// TestCircuitBreakerRollsBack: the circuit breaker fails a deployment whose tasks keep
// failing and rolls back to the last COMPLETED one.
func TestCircuitBreakerRollsBack(t *testing.T) {
	ns := env.NewNamespace(t, "svc")
	td := family(ns, "cart", "registry.example/cart:1")
	svc := newService(ns, "cart", "cart", 1)
	svc.Spec.DeploymentConfiguration = &ecsv1alpha1.DeploymentConfiguration{
		DeploymentCircuitBreaker: &ecsv1alpha1.DeploymentCircuitBreaker{Enable: true, Rollback: true},
	}
	env.Create(t, cluster(ns), td, svc)

	// Deployment 1 completes with its one healthy task.
	first := primary(t, svc)
	tmpl1 := templateOf(t, ns, "cart", first.ID)
	kubelet(t, newPod(t, ns, tmpl1), true, running)
	rolledOut(t, ns, "cart")
	waitService(t, svc, func(s *ecsv1alpha1.Service) error {
		d := s.Status.Deployments[0]
		if d.ID != first.ID || d.RolloutState != ecsv1alpha1.RolloutCompleted || d.RunningCount != 1 {
			return fmt.Errorf("deployment %+v, want %s COMPLETED with 1 running", d, first.ID)
		}
		if cb := s.Status.DeploymentCircuitBreaker; cb == nil || cb.Status != ecsv1alpha1.CircuitBreakerMonitoringComplete || cb.Threshold != 3 {
			return fmt.Errorf("circuit breaker %+v, want MONITORING_COMPLETE, threshold 3", cb)
		}
		return nil
	})
	// The ReplicaSet the Deployment controller would have made: it gives the deployment its
	// desired count once it is ACTIVE.
	env.Create(t, &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "cart-1", Namespace: ns, Labels: tmpl1.Labels},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{ecsv1alpha1.ServiceLabel: "cart", ecsv1alpha1.DeploymentIDLabel: digits(first.ID)}},
			Template: tmpl1,
		},
	})

	update(t, td, func(td *ecsv1alpha1.TaskDefinition) {
		td.Spec.ContainerDefinitions[0].Image = "registry.example/cart:2"
	})
	got := waitService(t, svc, func(s *ecsv1alpha1.Service) error {
		if len(s.Status.Deployments) != 2 || s.Status.Deployments[0].ID == first.ID || s.Status.Deployments[1].DesiredCount != 1 {
			return fmt.Errorf("deployments %+v, want a new PRIMARY and %s ACTIVE with desiredCount 1", s.Status.Deployments, first.ID)
		}
		return nil
	})
	second := got.Status.Deployments[0]
	if !strings.HasSuffix(second.TaskDefinition, ":task-definition/cart:2") {
		t.Errorf("second deployment runs %s, want cart:2", second.TaskDefinition)
	}
	tmpl2 := templateOf(t, ns, "cart", second.ID)

	// Its tasks fail one after another (a ReplicaSet would replace each).
	for i := int32(1); i <= 3; i++ {
		pod := newPod(t, ns, tmpl2)
		kubelet(t, pod, false, crashed)
		env.WaitGone(t, timeout, pod)
		if i == 3 {
			break
		}
		waitService(t, svc, func(s *ecsv1alpha1.Service) error {
			if d := s.Status.Deployments[0]; d.ID != second.ID || d.FailedTasks != i {
				return fmt.Errorf("deployment %s failedTasks %d, want %s with %d", d.ID, d.FailedTasks, second.ID, i)
			}
			return nil
		})
	}

	got = waitService(t, svc, func(s *ecsv1alpha1.Service) error {
		d := s.Status.Deployments[0]
		if d.ID != first.ID || d.Status != ecsv1alpha1.DeploymentPrimary {
			return fmt.Errorf("PRIMARY deployment %s %s, want %s again", d.ID, d.Status, first.ID)
		}
		return nil
	})
	back := got.Status.Deployments[0]
	if back.TaskDefinition != first.TaskDefinition || back.CreatedAt == nil || !back.CreatedAt.Equal(first.CreatedAt) {
		t.Errorf("rolled back deployment %+v, want deployment %+v", back, first)
	}
	if back.RolloutState != ecsv1alpha1.RolloutInProgress && back.RolloutState != ecsv1alpha1.RolloutCompleted {
		t.Errorf("rolled back deployment's rolloutState %s", back.RolloutState)
	}
	// The FAILED deployment stays listed while it has tasks, then the service remembers it.
	got = waitService(t, svc, func(s *ecsv1alpha1.Service) error {
		for _, d := range append(s.Status.Deployments, ptr.Deref(s.Status.LastFailedDeployment, ecsv1alpha1.Deployment{})) {
			if d.ID == second.ID {
				if d.RolloutState != ecsv1alpha1.RolloutFailed || d.RolloutStateReason != "ECS deployment circuit breaker: tasks failed to start." || d.FailedTasks != 3 {
					return fmt.Errorf("failed deployment %+v", d)
				}
				return nil
			}
		}
		return fmt.Errorf("deployment %s is gone: %+v, last failed %+v", second.ID, s.Status.Deployments, s.Status.LastFailedDeployment)
	})
	if !strings.HasSuffix(got.Status.TaskDefinition, ":task-definition/cart:1") {
		t.Errorf("status.taskDefinition %s, want cart:1", got.Status.TaskDefinition)
	}
	if cb := got.Status.DeploymentCircuitBreaker; cb == nil || cb.Status != ecsv1alpha1.CircuitBreakerTriggered || cb.FailureCount != 3 || cb.Threshold != 3 {
		t.Errorf("circuit breaker %+v, want TRIGGERED with 3 of 3 failures", cb)
	}
	// The workload runs deployment 1 again.
	tmpl := templateOf(t, ns, "cart", first.ID)
	if tmpl.Labels[ecsv1alpha1.RevisionLabel] != "1" || tmpl.Spec.Containers[0].Image != "registry.example/cart:1" {
		t.Errorf("rolled back template: revision %s image %s", tmpl.Labels[ecsv1alpha1.RevisionLabel], tmpl.Spec.Containers[0].Image)
	}
	if d := waitObject(t, ns, "cart", &appsv1.Deployment{}, nil); d.Spec.Paused {
		t.Error("the rolled back Deployment is paused")
	}
	waitService(t, svc, func(s *ecsv1alpha1.Service) error {
		for _, msg := range []string{
			fmt.Sprintf("(service cart) (deployment %s) deployment failed: tasks failed to start.", second.ID),
			fmt.Sprintf("(service cart) rolling back to (deployment %s).", first.ID),
		} {
			if err := hasEvent(ns, s, msg); err != nil {
				return err
			}
		}
		return nil
	})

	// The rollback completes once the workload rolled back; the revision that failed is not
	// deployed again while the spec asks for it, and the breaker stays TRIGGERED meanwhile.
	rolledOut(t, ns, "cart")
	got = waitService(t, svc, func(s *ecsv1alpha1.Service) error {
		if len(s.Status.Deployments) != 1 || s.Status.Deployments[0].ID != first.ID || s.Status.Deployments[0].RolloutState != ecsv1alpha1.RolloutCompleted {
			return fmt.Errorf("deployments %+v, want %s COMPLETED only", s.Status.Deployments, first.ID)
		}
		return nil
	})
	if lf := got.Status.LastFailedDeployment; lf == nil || lf.ID != second.ID || lf.Status != ecsv1alpha1.DeploymentInactive {
		t.Errorf("lastFailedDeployment %+v, want %s INACTIVE", lf, second.ID)
	}
	if cb := got.Status.DeploymentCircuitBreaker; cb == nil || cb.Status != ecsv1alpha1.CircuitBreakerTriggered || cb.FailureCount != 3 {
		t.Errorf("circuit breaker after the rollback %+v, want TRIGGERED with 3 failures until a new deployment", cb)
	}
	if tmpl := templateOf(t, ns, "cart", first.ID); tmpl.Labels[ecsv1alpha1.RevisionLabel] != "1" {
		t.Errorf("the workload moved to revision %s", tmpl.Labels[ecsv1alpha1.RevisionLabel])
	}
}

// TestDeleteDrains: a deleted service is DRAINING until its tasks are gone.
func TestDeleteDrains(t *testing.T) {
	ns := env.NewNamespace(t, "svc")
	svc := newService(ns, "batch", "batch", 1)
	env.Create(t, cluster(ns), family(ns, "batch", "registry.example/batch:1"), svc)
	id := primary(t, svc).ID
	pod := newPod(t, ns, templateOf(t, ns, "batch", id))
	kubelet(t, pod, true, running)

	// ECS refuses to delete a service scaled above 0 (the admission policy): scale it to 0.
	update(t, svc, func(s *ecsv1alpha1.Service) { s.Spec.DesiredCount = ptr.To[int32](0) })
	waitObject(t, ns, "batch", &appsv1.Deployment{}, func(d *appsv1.Deployment) error {
		if *d.Spec.Replicas != 0 {
			return fmt.Errorf("replicas %d, want 0", *d.Spec.Replicas)
		}
		return nil
	})
	if err := env.Client.Delete(ctx, svc); err != nil {
		t.Fatalf("deleting a service scaled to 0: %v", err)
	}
	got := waitService(t, svc, func(s *ecsv1alpha1.Service) error {
		if s.Status.Status != ecsv1alpha1.ServiceDraining {
			return fmt.Errorf("status %s, want DRAINING", s.Status.Status)
		}
		return nil
	})
	if got.DeletionTimestamp == nil || got.Status.DesiredCount != 0 {
		t.Errorf("draining service: deletionTimestamp %v desiredCount %d", got.DeletionTimestamp, got.Status.DesiredCount)
	}
	// The controller deletes its workload itself (no garbage collector in envtest).
	env.WaitGone(t, timeout, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "batch"}})
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(svc), &ecsv1alpha1.Service{}); err != nil {
		t.Fatalf("the service went before its task: %v", err)
	}

	if err := env.Client.Delete(ctx, pod); err != nil {
		t.Fatal(err)
	}
	env.WaitGone(t, timeout, &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "batch"}})
}

// staleService is a client whose cache has not seen the service's last status write yet.
type staleService struct {
	client.Client
	svc *ecsv1alpha1.Service
}

func (c staleService) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if s, ok := obj.(*ecsv1alpha1.Service); ok && key == client.ObjectKeyFromObject(c.svc) {
		c.svc.DeepCopyInto(s)
		return nil
	}
	return c.Client.Get(ctx, key, obj, opts...)
}

// TestStaleCacheRunsNoUnrecordedDeployment: a pass that reads the service before its
// first deployment was written (the informer lags behind the status write, and the
// finalizer patch or a child's event triggers that pass) must not run a deployment its
// status write then fails to record.
func TestStaleCacheRunsNoUnrecordedDeployment(t *testing.T) {
	ns := env.NewNamespace(t, "svc")
	svc := newService(ns, "lag", "lag", 2)
	env.Create(t, cluster(ns), family(ns, "lag", "registry.example/lag:1"))
	env.Create(t, svc)
	stale := svc.DeepCopy() // as created: no status, an old resourceVersion

	id := primary(t, svc).ID
	dep := waitObject(t, ns, "lag", &appsv1.Deployment{}, func(d *appsv1.Deployment) error {
		if d.Spec.Template.Labels[ecsv1alpha1.DeploymentIDLabel] != digits(id) {
			return fmt.Errorf("Deployment runs %s, want %s", d.Spec.Template.Labels[ecsv1alpha1.DeploymentIDLabel], id)
		}
		return nil
	})
	live := waitService(t, svc, func(s *ecsv1alpha1.Service) error {
		if s.Status.ObservedGeneration != s.Generation {
			return errors.New("not reconciled")
		}
		return nil
	})
	stale.Finalizers = live.Finalizers

	rec := events.NewFakeRecorder(100)
	r := &service.Reconciler{
		Client: staleService{Client: env.Client, svc: stale}, Scope: scope, Clock: clock.RealClock{}, Recorder: rec, Pools: task.DefaultPools(),
	}
	res, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(svc)})
	if err == nil && res.IsZero() {
		t.Errorf("a pass on a stale service returned %+v, want a retry after its status write conflicted", res)
	}
	got := &appsv1.Deployment{}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(dep), got); err != nil {
		t.Fatal(err)
	}
	if got.Generation != dep.Generation {
		t.Errorf("the stale pass changed the Deployment's spec (generation %d -> %d, template of deployment %s)",
			dep.Generation, got.Generation, got.Spec.Template.Labels[ecsv1alpha1.DeploymentIDLabel])
	}
	close(rec.Events)
	for e := range rec.Events {
		if strings.Contains(e, "deployment started") {
			t.Errorf("the stale pass announced a deployment it did not record: %s", e)
		}
	}
	if now := waitService(t, svc, func(*ecsv1alpha1.Service) error { return nil }); len(now.Status.Deployments) != 1 || now.Status.Deployments[0].ID != id {
		t.Errorf("deployments %+v, want %s only", now.Status.Deployments, id)
	}
}
