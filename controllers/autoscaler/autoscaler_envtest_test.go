//go:build envtest

package autoscaler_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
	"github.com/kube-ecs/kube-ecs/controllers/autoscaler"
	"github.com/kube-ecs/kube-ecs/internal/apprunner"
	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

// newService creates an AppRunnerService with asc in namespace ns.
func newService(t *testing.T, ns, name string, asc *apprunnerv1alpha1.AutoScalingConfiguration, paused bool) *apprunnerv1alpha1.AppRunnerService {
	t.Helper()
	svc := &apprunnerv1alpha1.AppRunnerService{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: apprunnerv1alpha1.AppRunnerServiceSpec{
			SourceConfiguration: apprunnerv1alpha1.SourceConfiguration{ImageRepository: &apprunnerv1alpha1.ImageRepository{
				ImageIdentifier: "public.ecr.aws/nginx/nginx:latest", ImageRepositoryType: "ECR_PUBLIC",
			}},
			AutoScalingConfiguration: asc,
			Paused:                   paused,
		},
	}
	env.Create(t, svc)
	return svc
}

// newDeployment creates the Deployment <name> of svc, as the controller does, with replicas.
func newDeployment(t *testing.T, svc *apprunnerv1alpha1.AppRunnerService, replicas int32) *appsv1.Deployment {
	t.Helper()
	labels := map[string]string{apprunner.ServiceLabel: svc.Name}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: svc.Namespace, Name: svc.Name, Labels: labels,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(svc, apprunnerv1alpha1.GroupVersion.WithKind("AppRunnerService"))},
		},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "public.ecr.aws/nginx/nginx:latest"}}},
			},
		},
	}
	env.Create(t, d)
	return d
}

func asc(minSize, maxSize, maxConcurrency int32) *apprunnerv1alpha1.AutoScalingConfiguration {
	return &apprunnerv1alpha1.AutoScalingConfiguration{MinSize: ptr.To(minSize), MaxSize: ptr.To(maxSize), MaxConcurrency: ptr.To(maxConcurrency)}
}

func replicas(d *appsv1.Deployment) (int32, error) {
	got := &appsv1.Deployment{}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(d), got); err != nil {
		return 0, err
	}
	return ptr.Deref(got.Spec.Replicas, 1), nil
}

// waitReplicas waits until d has want replicas.
func waitReplicas(t *testing.T, d *appsv1.Deployment, want int32) {
	t.Helper()
	testenv.Eventually(t, timeout, func() error {
		got, err := replicas(d)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("deployment %s has %d replicas, want %d", d.Name, got, want)
		}
		return nil
	})
}

func TestScalesUpOnLoad(t *testing.T) {
	ns := env.NewNamespace(t, "autoscale-up")
	svc := newService(t, ns, "web-up", asc(1, 25, 10), false)
	d := newDeployment(t, svc, 1)
	stats.set(ns, svc.Name, 35)
	t.Cleanup(func() { stats.set(ns, svc.Name, 0) })

	waitReplicas(t, d, 4)
	testenv.Eventually(t, timeout, func() error {
		notes := recorded.Of(svc, autoscaler.ReasonScaled)
		if !slices.ContainsFunc(notes, func(n string) bool { return strings.HasPrefix(n, "scaled from 1 to 4 instances (concurrency ") }) {
			return fmt.Errorf("no event scaled from 1 to 4 among %q", notes)
		}
		return nil
	})
	got := &appsv1.Deployment{}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(d), got); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(got.ManagedFields, func(f metav1.ManagedFieldsEntry) bool {
		return f.Manager == apprunner.AutoscalerFieldManager && f.Subresource == "scale"
	}) {
		t.Errorf("replicas not written by %s through the scale subresource: %+v", apprunner.AutoscalerFieldManager, got.ManagedFields)
	}

	// A steady load keeps the instances: no more events after the windows settle.
	time.Sleep(2 * config.StableWindow)
	before := len(recorded.Of(svc, autoscaler.ReasonScaled))
	time.Sleep(config.StableWindow)
	if n, _ := replicas(d); n != 4 {
		t.Errorf("replicas under a steady load = %d, want 4", n)
	}
	if after := len(recorded.Of(svc, autoscaler.ReasonScaled)); after != before {
		t.Errorf("%d Scaled events under a steady load: %q", after-before, recorded.Of(svc, autoscaler.ReasonScaled))
	}
}

func TestScalesToZero(t *testing.T) {
	ns := env.NewNamespace(t, "autoscale-zero")
	svc := newService(t, ns, "web-zero", asc(0, 25, 10), false)
	d := newDeployment(t, svc, 2)
	start := time.Now()
	waitReplicas(t, d, 0)
	// The stable window and the grace pass without a request first.
	if elapsed := time.Since(start); elapsed < config.StableWindow+config.ScaleToZeroGrace {
		t.Errorf("scaled to zero after %s, before the stable window and the grace (%s)", elapsed, config.StableWindow+config.ScaleToZeroGrace)
	}

	// A request at zero brings an instance back at once.
	stats.set(ns, svc.Name, 1)
	t.Cleanup(func() { stats.set(ns, svc.Name, 0) })
	waitReplicas(t, d, 1)
}

func TestPausedScalesToZero(t *testing.T) {
	ns := env.NewNamespace(t, "autoscale-paused")
	svc := newService(t, ns, "web-paused", asc(2, 25, 10), true)
	d := newDeployment(t, svc, 2)
	stats.set(ns, svc.Name, 100)
	t.Cleanup(func() { stats.set(ns, svc.Name, 0) })
	waitReplicas(t, d, 0)

	// Resuming scales to the load.
	patch := client.MergeFrom(svc.DeepCopy())
	svc.Spec.Paused = false
	if err := env.Client.Patch(ctx, svc, patch); err != nil {
		t.Fatal(err)
	}
	waitReplicas(t, d, 10)
}

func TestMaxSizeClamp(t *testing.T) {
	ns := env.NewNamespace(t, "autoscale-max")
	svc := newService(t, ns, "web-max", asc(1, 3, 10), false)
	d := newDeployment(t, svc, 1)
	stats.set(ns, svc.Name, 100)
	t.Cleanup(func() { stats.set(ns, svc.Name, 0) })
	waitReplicas(t, d, 3)
	time.Sleep(config.StableWindow)
	if n, _ := replicas(d); n != 3 {
		t.Errorf("replicas = %d, want maxSize 3", n)
	}
}

func TestMissingDeploymentIsSkipped(t *testing.T) {
	ns := env.NewNamespace(t, "autoscale-missing")
	missing := newService(t, ns, "web-missing", asc(1, 25, 10), false)
	other := newService(t, ns, "web-other", asc(1, 25, 10), false)
	d := newDeployment(t, other, 1)
	stats.set(ns, missing.Name, 50)
	stats.set(ns, other.Name, 20)
	t.Cleanup(func() { stats.set(ns, missing.Name, 0); stats.set(ns, other.Name, 0) })

	// The service next to it scales: the missing Deployment does not stop the loop.
	waitReplicas(t, d, 2)
	if notes := recorded.Of(missing, autoscaler.ReasonScaled); len(notes) != 0 {
		t.Errorf("events for a service without a deployment: %q", notes)
	}
	// Once the Deployment exists it scales.
	waitReplicas(t, newDeployment(t, missing, 1), 5)
}
