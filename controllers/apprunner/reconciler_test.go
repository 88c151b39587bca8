//go:build envtest

package apprunner_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
	apprunnerctrl "github.com/kube-ecs/kube-ecs/controllers/apprunner"
	"github.com/kube-ecs/kube-ecs/internal/apprunner"
	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

const timeout = 20 * time.Second

var ctx = context.Background()

func newService(ns, name string) *apprunnerv1alpha1.AppRunnerService {
	return &apprunnerv1alpha1.AppRunnerService{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: apprunnerv1alpha1.AppRunnerServiceSpec{SourceConfiguration: apprunnerv1alpha1.SourceConfiguration{
			ImageRepository: &apprunnerv1alpha1.ImageRepository{
				ImageIdentifier: "registry.example/workload:1", ImageRepositoryType: "ECR",
				ImageConfiguration: &apprunnerv1alpha1.ImageConfiguration{StartCommand: "/workload serve --listen :8080"},
			},
		}},
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

// waitObject waits until the object exists and check (if any) accepts it.
func waitObject[T client.Object](t *testing.T, ns, name string, obj T, check func(T) error) T {
	t.Helper()
	return testenv.WaitObject(t, env.Client, timeout, client.ObjectKey{Namespace: ns, Name: name}, obj, check)
}

// waitStatus waits until the service has status and its current operation is typ with
// opStatus.
func waitStatus(t *testing.T, svc *apprunnerv1alpha1.AppRunnerService, status apprunnerv1alpha1.ServiceStatusValue,
	typ apprunnerv1alpha1.OperationType, opStatus apprunnerv1alpha1.OperationStatus) *apprunnerv1alpha1.AppRunnerService {
	t.Helper()
	return waitObject(t, svc.Namespace, svc.Name, &apprunnerv1alpha1.AppRunnerService{}, func(s *apprunnerv1alpha1.AppRunnerService) error {
		op := s.Status.CurrentOperation
		if s.Status.Status != status || op == nil || op.Type != typ || op.Status != opStatus {
			return fmt.Errorf("status %s, operation %+v; want %s, %s %s", s.Status.Status, op, status, typ, opStatus)
		}
		return nil
	})
}

// rolledOut sets the Deployment's status as the Deployment controller would once its pods
// of the current template are all ready.
func rolledOut(t *testing.T, ns, name string) {
	t.Helper()
	testenv.Eventually(t, timeout, func() error {
		d := &appsv1.Deployment{}
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, d); err != nil {
			return err
		}
		n := ptr.Deref(d.Spec.Replicas, 1)
		d.Status = appsv1.DeploymentStatus{
			ObservedGeneration: d.Generation, Replicas: n, UpdatedReplicas: n, ReadyReplicas: n, AvailableReplicas: n,
		}
		return env.Client.Status().Update(ctx, d)
	})
}

// scale sets replicas through the scale subresource, as the autoscaler does.
func scale(t *testing.T, ns, name string, replicas int32) {
	t.Helper()
	testenv.Eventually(t, timeout, func() error {
		d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		s := &autoscalingv1.Scale{}
		if err := env.Client.SubResource("scale").Get(ctx, d, s); err != nil {
			return err
		}
		s.Spec.Replicas = replicas
		return env.Client.SubResource("scale").Update(ctx, d, client.WithSubResourceBody(s), client.FieldOwner(apprunner.AutoscalerFieldManager))
	})
}

func hasEvent(ns, name, reason, action string) error {
	list := &eventsv1.EventList{}
	if err := env.Client.List(ctx, list, client.InNamespace(ns)); err != nil {
		return err
	}
	if !slices.ContainsFunc(list.Items, func(e eventsv1.Event) bool {
		return e.Regarding.Name == name && e.Reason == reason && e.Action == action
	}) {
		return fmt.Errorf("no %s event of %s for %s", reason, action, name)
	}
	return nil
}

// TestCreateService: a service becomes a Deployment, a Service, an Ingress and a
// ServiceAccount, and is RUNNING once its instances are ready.
func TestCreateService(t *testing.T) {
	ns := env.NewNamespace(t, "ar-create")
	svc := newService(ns, "web-app")
	svc.Spec.HealthCheckConfiguration = &apprunnerv1alpha1.HealthCheckConfiguration{Protocol: "HTTP", Path: "/healthz"}
	svc.Spec.InstanceConfiguration = &apprunnerv1alpha1.InstanceConfiguration{CPU: "0.5 vCPU", Memory: "1 GB", InstanceRoleArn: "arn:aws:iam::000000000000:role/web"}
	svc.Spec.SourceConfiguration.ImageRepository.ImageConfiguration.RuntimeEnvironmentVariables = map[string]string{"MODE": "prod"}
	env.Create(t, svc)

	d := waitObject(t, ns, "web-app", &appsv1.Deployment{}, nil)
	if ptr.Deref(d.Spec.Replicas, -1) != 1 {
		t.Errorf("replicas %v, want 1 (minSize)", d.Spec.Replicas)
	}
	c := d.Spec.Template.Spec.Containers[0]
	if c.Image != "registry.example/workload:1" || strings.Join(c.Command, " ") != "/workload serve --listen :8080" ||
		c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("container: image %s, command %q, probe %+v", c.Image, c.Command, c.ReadinessProbe)
	}
	if c.Resources.Limits.Cpu().String() != "500m" || c.Resources.Limits.Memory().String() != "1Gi" {
		t.Errorf("limits %v", c.Resources.Limits)
	}
	if d.Spec.Template.Spec.ServiceAccountName != "web-app" || d.Spec.Template.Spec.NodeSelector["ecs.kube-ecs.io/capacity-pool"] != "fargate" {
		t.Errorf("pod spec: service account %q, node selector %v", d.Spec.Template.Spec.ServiceAccountName, d.Spec.Template.Spec.NodeSelector)
	}
	if !metav1.IsControlledBy(d, waitObject(t, ns, "web-app", &apprunnerv1alpha1.AppRunnerService{}, nil)) {
		t.Error("the Deployment is not controlled by the service")
	}
	sa := waitObject(t, ns, "web-app", &corev1.ServiceAccount{}, nil)
	if sa.Annotations[apprunner.RoleArnAnnotation] != "arn:aws:iam::000000000000:role/web" {
		t.Errorf("service account annotations %v", sa.Annotations)
	}
	ks := waitObject(t, ns, "web-app", &corev1.Service{}, nil)
	if len(ks.Spec.Ports) != 1 || ks.Spec.Ports[0].Port != 80 || ks.Spec.Ports[0].TargetPort.StrVal != "http" {
		t.Errorf("service ports %+v", ks.Spec.Ports)
	}
	ing := waitObject(t, ns, "web-app", &networkingv1.Ingress{}, nil)
	if h := ing.Spec.Rules[0].Host; h != "web-app."+ns+"."+domain {
		t.Errorf("ingress host %q", h)
	}

	got := waitStatus(t, svc, apprunnerv1alpha1.StatusOperationInProgress, apprunnerv1alpha1.OperationCreateService, apprunnerv1alpha1.OperationInProgress)
	id := strings.ReplaceAll(string(got.UID), "-", "")
	if got.Status.ServiceID != id || got.Status.ServiceArn != scope.AppRunnerService("web-app", id) ||
		got.Status.ServiceURL != "https://web-app."+ns+"."+domain {
		t.Errorf("identity: %s %s %s", got.Status.ServiceID, got.Status.ServiceArn, got.Status.ServiceURL)
	}

	rolledOut(t, ns, "web-app")
	got = waitStatus(t, svc, apprunnerv1alpha1.StatusRunning, apprunnerv1alpha1.OperationCreateService, apprunnerv1alpha1.OperationSucceeded)
	if got.Status.ActiveInstances != 1 || got.Status.ProvisionedInstances != 1 || !meta.IsStatusConditionTrue(got.Status.Conditions, apprunnerv1alpha1.ReadyCondition) ||
		!meta.IsStatusConditionTrue(got.Status.Conditions, apprunnerv1alpha1.EndpointReadyCondition) || got.Status.ObservedGeneration != got.Generation {
		t.Errorf("status %+v", got.Status)
	}
	testenv.Eventually(t, timeout, func() error {
		return errors.Join(
			hasEvent(ns, "web-app", apprunnerctrl.OperationStartedReason, "CREATE_SERVICE"),
			hasEvent(ns, "web-app", apprunnerctrl.OperationSucceededReason, "CREATE_SERVICE"))
	})

	// The instance role removed: no ServiceAccount, no token.
	update(t, svc, func(s *apprunnerv1alpha1.AppRunnerService) { s.Spec.InstanceConfiguration.InstanceRoleArn = "" })
	waitObject(t, ns, "web-app", &appsv1.Deployment{}, func(d *appsv1.Deployment) error {
		if d.Spec.Template.Spec.ServiceAccountName != "default" || ptr.Deref(d.Spec.Template.Spec.AutomountServiceAccountToken, true) {
			return fmt.Errorf("service account %q, automount %v", d.Spec.Template.Spec.ServiceAccountName, ptr.Deref(d.Spec.Template.Spec.AutomountServiceAccountToken, true))
		}
		return nil
	})
	testenv.Eventually(t, timeout, func() error {
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(sa), &corev1.ServiceAccount{}); !apierrors.IsNotFound(err) {
			return fmt.Errorf("the ServiceAccount is still there (%v)", err)
		}
		return nil
	})
}

// TestReplicasBelongToTheAutoscaler: after creating the Deployment the controller never
// writes replicas again; an update rolls the new template at the autoscaler's scale.
func TestReplicasBelongToTheAutoscaler(t *testing.T) {
	ns := env.NewNamespace(t, "ar-scale")
	svc := newService(ns, "api-svc")
	svc.Spec.AutoScalingConfiguration = &apprunnerv1alpha1.AutoScalingConfiguration{MinSize: ptr.To[int32](2)}
	env.Create(t, svc)
	waitObject(t, ns, "api-svc", &appsv1.Deployment{}, func(d *appsv1.Deployment) error {
		if ptr.Deref(d.Spec.Replicas, -1) != 2 {
			return fmt.Errorf("replicas %v, want 2 (minSize)", d.Spec.Replicas)
		}
		return nil
	})
	rolledOut(t, ns, "api-svc")
	waitStatus(t, svc, apprunnerv1alpha1.StatusRunning, apprunnerv1alpha1.OperationCreateService, apprunnerv1alpha1.OperationSucceeded)

	scale(t, ns, "api-svc", 5)
	update(t, svc, func(s *apprunnerv1alpha1.AppRunnerService) {
		s.Spec.SourceConfiguration.ImageRepository.ImageIdentifier = "registry.example/workload:2"
	})
	waitObject(t, ns, "api-svc", &appsv1.Deployment{}, func(d *appsv1.Deployment) error {
		if img := d.Spec.Template.Spec.Containers[0].Image; img != "registry.example/workload:2" {
			return fmt.Errorf("image %s", img)
		}
		return nil
	})
	waitStatus(t, svc, apprunnerv1alpha1.StatusOperationInProgress, apprunnerv1alpha1.OperationUpdateService, apprunnerv1alpha1.OperationInProgress)
	// More reconciles (a label change) leave the autoscaler's replicas alone.
	update(t, svc, func(s *apprunnerv1alpha1.AppRunnerService) { s.Labels = map[string]string{"team": "a"} })
	rolledOut(t, ns, "api-svc")
	waitStatus(t, svc, apprunnerv1alpha1.StatusRunning, apprunnerv1alpha1.OperationUpdateService, apprunnerv1alpha1.OperationSucceeded)
	d := waitObject(t, ns, "api-svc", &appsv1.Deployment{}, nil)
	if ptr.Deref(d.Spec.Replicas, -1) != 5 {
		t.Errorf("replicas %v, want the autoscaler's 5", d.Spec.Replicas)
	}
}

// TestPauseAndResume: paused takes the service to PAUSED once the autoscaler scaled it to
// zero; resuming runs it again.
func TestPauseAndResume(t *testing.T) {
	ns := env.NewNamespace(t, "ar-pause")
	svc := newService(ns, "worker")
	env.Create(t, svc)
	waitObject(t, ns, "worker", &appsv1.Deployment{}, nil)
	rolledOut(t, ns, "worker")
	waitStatus(t, svc, apprunnerv1alpha1.StatusRunning, apprunnerv1alpha1.OperationCreateService, apprunnerv1alpha1.OperationSucceeded)

	update(t, svc, func(s *apprunnerv1alpha1.AppRunnerService) { s.Spec.Paused = true })
	waitStatus(t, svc, apprunnerv1alpha1.StatusOperationInProgress, apprunnerv1alpha1.OperationPauseService, apprunnerv1alpha1.OperationInProgress)
	scale(t, ns, "worker", 0)
	rolledOut(t, ns, "worker")
	got := waitStatus(t, svc, apprunnerv1alpha1.StatusPaused, apprunnerv1alpha1.OperationPauseService, apprunnerv1alpha1.OperationSucceeded)
	if c := meta.FindStatusCondition(got.Status.Conditions, apprunnerv1alpha1.DeploymentAvailableCondition); c == nil || c.Reason != apprunnerv1alpha1.PausedReason {
		t.Errorf("DeploymentAvailable %+v", c)
	}

	update(t, svc, func(s *apprunnerv1alpha1.AppRunnerService) { s.Spec.Paused = false })
	waitStatus(t, svc, apprunnerv1alpha1.StatusOperationInProgress, apprunnerv1alpha1.OperationResumeService, apprunnerv1alpha1.OperationInProgress)
	scale(t, ns, "worker", 1)
	rolledOut(t, ns, "worker")
	waitStatus(t, svc, apprunnerv1alpha1.StatusRunning, apprunnerv1alpha1.OperationResumeService, apprunnerv1alpha1.OperationSucceeded)
}

// TestCreatePaused: a service created paused starts with no instance.
func TestCreatePaused(t *testing.T) {
	ns := env.NewNamespace(t, "ar-paused")
	svc := newService(ns, "later")
	svc.Spec.Paused = true
	env.Create(t, svc)
	d := waitObject(t, ns, "later", &appsv1.Deployment{}, nil)
	if ptr.Deref(d.Spec.Replicas, -1) != 0 {
		t.Errorf("replicas %v, want 0", d.Spec.Replicas)
	}
	rolledOut(t, ns, "later")
	waitStatus(t, svc, apprunnerv1alpha1.StatusPaused, apprunnerv1alpha1.OperationCreateService, apprunnerv1alpha1.OperationSucceeded)
}

// TestCodeRepository: kube-ecs builds no code: CREATE_FAILED and nothing to run.
func TestCodeRepository(t *testing.T) {
	ns := env.NewNamespace(t, "ar-code")
	svc := &apprunnerv1alpha1.AppRunnerService{
		ObjectMeta: metav1.ObjectMeta{Name: "from-git", Namespace: ns},
		Spec: apprunnerv1alpha1.AppRunnerServiceSpec{SourceConfiguration: apprunnerv1alpha1.SourceConfiguration{
			CodeRepository: &apprunnerv1alpha1.CodeRepository{
				RepositoryURL:     "https://github.com/example/app",
				SourceCodeVersion: apprunnerv1alpha1.SourceCodeVersion{Type: "BRANCH", Value: "main"},
			},
		}},
	}
	env.Create(t, svc)
	got := waitStatus(t, svc, apprunnerv1alpha1.StatusCreateFailed, apprunnerv1alpha1.OperationCreateService, apprunnerv1alpha1.OperationFailed)
	c := meta.FindStatusCondition(got.Status.Conditions, apprunnerv1alpha1.ReadyCondition)
	if c == nil || c.Reason != apprunnerv1alpha1.CodeRepositoryUnsupportedReason || !strings.Contains(c.Message, "images only") {
		t.Errorf("Ready %+v", c)
	}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "from-git"}, &appsv1.Deployment{}); !apierrors.IsNotFound(err) {
		t.Errorf("a Deployment for a code repository (get: %v)", err)
	}
}

// TestStartDeployment: a new start-deployment annotation rolls the instances.
func TestStartDeployment(t *testing.T) {
	ns := env.NewNamespace(t, "ar-start")
	svc := newService(ns, "redeploy")
	env.Create(t, svc)
	waitObject(t, ns, "redeploy", &appsv1.Deployment{}, nil)
	rolledOut(t, ns, "redeploy")
	first := waitStatus(t, svc, apprunnerv1alpha1.StatusRunning, apprunnerv1alpha1.OperationCreateService, apprunnerv1alpha1.OperationSucceeded)

	update(t, svc, func(s *apprunnerv1alpha1.AppRunnerService) {
		s.Annotations = map[string]string{apprunner.StartDeploymentAnnotation: "2025-06-01T10:00:00Z"}
	})
	waitObject(t, ns, "redeploy", &appsv1.Deployment{}, func(d *appsv1.Deployment) error {
		if got := d.Spec.Template.Annotations[apprunner.RestartedAtAnnotation]; got != "2025-06-01T10:00:00Z" {
			return fmt.Errorf("restarted-at %q", got)
		}
		return nil
	})
	got := waitStatus(t, svc, apprunnerv1alpha1.StatusOperationInProgress, apprunnerv1alpha1.OperationStartDeployment, apprunnerv1alpha1.OperationInProgress)
	if got.Status.CurrentOperation.ID == first.Status.CurrentOperation.ID {
		t.Error("START_DEPLOYMENT has the id of CREATE_SERVICE")
	}
	rolledOut(t, ns, "redeploy")
	waitStatus(t, svc, apprunnerv1alpha1.StatusRunning, apprunnerv1alpha1.OperationStartDeployment, apprunnerv1alpha1.OperationSucceeded)
}

// TestPrivateService: isPubliclyAccessible false removes the Ingress.
func TestPrivateService(t *testing.T) {
	ns := env.NewNamespace(t, "ar-private")
	svc := newService(ns, "internal")
	env.Create(t, svc)
	waitObject(t, ns, "internal", &networkingv1.Ingress{}, nil)
	update(t, svc, func(s *apprunnerv1alpha1.AppRunnerService) {
		s.Spec.NetworkConfiguration = &apprunnerv1alpha1.NetworkConfiguration{
			IngressConfiguration: &apprunnerv1alpha1.IngressConfiguration{IsPubliclyAccessible: ptr.To(false)},
		}
	})
	testenv.Eventually(t, timeout, func() error {
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "internal"}, &networkingv1.Ingress{}); !apierrors.IsNotFound(err) {
			return fmt.Errorf("the Ingress is still there (%v)", err)
		}
		return nil
	})
	waitObject(t, ns, "internal", &corev1.Service{}, nil)
}

// TestCASecret: the keeper creates the CA once, never replaces it, and creates a new one
// when it is deleted.
func TestCASecret(t *testing.T) {
	s := waitObject(t, caSecret.Namespace, caSecret.Name, &corev1.Secret{}, nil)
	if s.Type != corev1.SecretTypeTLS || !bytes.Equal(s.Data["tls.crt"], s.Data["ca.crt"]) || len(s.Data["tls.key"]) == 0 {
		t.Fatalf("secret type %s, keys %v", s.Type, len(s.Data))
	}
	block, _ := pem.Decode(s.Data["tls.crt"])
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil || !cert.IsCA || cert.Subject.CommonName != apprunner.CACommonName {
		t.Fatalf("certificate: %v %+v", err, cert)
	}
	keeper := &apprunnerctrl.CAKeeper{Client: env.Client, Reader: env.Client, Secret: caSecret, Clock: clock.RealClock{}}
	created, err := keeper.Ensure(ctx)
	if err != nil || created {
		t.Fatalf("Ensure on an existing Secret: created %t, %v", created, err)
	}
	again := waitObject(t, caSecret.Namespace, caSecret.Name, &corev1.Secret{}, nil)
	if again.ResourceVersion != s.ResourceVersion {
		t.Errorf("the CA Secret was rewritten (resourceVersion %s -> %s)", s.ResourceVersion, again.ResourceVersion)
	}
	if err := env.Client.Delete(ctx, s); err != nil {
		t.Fatal(err)
	}
	waitObject(t, caSecret.Namespace, caSecret.Name, &corev1.Secret{}, func(n *corev1.Secret) error {
		if n.UID == s.UID || bytes.Equal(n.Data["tls.crt"], s.Data["tls.crt"]) {
			return errors.New("not recreated yet")
		}
		return nil
	})
}
