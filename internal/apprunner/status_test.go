package apprunner

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"regexp"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/arn"
	"github.com/kube-ecs/kube-ecs/internal/capacity"
)

var (
	statusNow = metav1.NewTime(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	testScope = arn.Scope{Region: "us-east-1", Account: "000000000000"}
	uuidRE    = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
)

// deployment is svc's Deployment as the API server would hold it, with replicas and a
// status: observed says its controller saw its generation; ready pods out of replicas,
// all of them updated unless old > 0 pods of an older template remain.
func deployment(svc *apprunnerv1alpha1.AppRunnerService, replicas, ready, old int32, observed bool) *appsv1.Deployment {
	d, _ := MakeDeployment(svc, capacity.DefaultPools())
	d.Generation = 2
	d.Spec.Replicas = ptr.To(replicas)
	d.Status = appsv1.DeploymentStatus{
		ObservedGeneration: 1, Replicas: replicas + old, UpdatedReplicas: replicas,
		ReadyReplicas: ready + old, AvailableReplicas: ready + old, UnavailableReplicas: replicas - ready,
	}
	if observed {
		d.Status.ObservedGeneration = 2
	}
	return d
}

func deadlineExceeded(d *appsv1.Deployment) *appsv1.Deployment {
	d.Status.Conditions = append(d.Status.Conditions, appsv1.DeploymentCondition{
		Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded",
	})
	return d
}

func condition(t *testing.T, svc *apprunnerv1alpha1.AppRunnerService, typ string) metav1.Condition {
	t.Helper()
	c := meta.FindStatusCondition(svc.Status.Conditions, typ)
	if c == nil {
		t.Fatalf("no %s condition in %+v", typ, svc.Status.Conditions)
	}
	return *c
}

func TestSetStatusIdentity(t *testing.T) {
	svc := newService()
	d := deployment(svc, 1, 1, 0, true)
	SetStatus(svc, Observed{Scope: testScope, Domain: "apps.example.com", Now: statusNow, Deployment: d, ServiceExists: true})
	st := svc.Status
	if st.ServiceID != "0b5e3c1a7f0e4a7e9d523c1f0e9a8b7c" || len(st.ServiceID) != 32 {
		t.Errorf("serviceId %q", st.ServiceID)
	}
	if st.ServiceArn != "arn:aws:apprunner:us-east-1:000000000000:service/web/0b5e3c1a7f0e4a7e9d523c1f0e9a8b7c" {
		t.Errorf("serviceArn %q", st.ServiceArn)
	}
	if st.ServiceURL != "https://web.team-a.apps.example.com" {
		t.Errorf("serviceUrl %q", st.ServiceURL)
	}
	if op := st.CurrentOperation; op == nil || op.Type != apprunnerv1alpha1.OperationCreateService || !uuidRE.MatchString(op.ID) {
		t.Errorf("operation %+v", op)
	}
}

// TestSetStatusOperations walks a service through its operations, one reconcile per step.
func TestSetStatusOperations(t *testing.T) {
	svc := newService()
	obs := func(prev, d *appsv1.Deployment) Observed {
		return Observed{Scope: testScope, Domain: DefaultDomain, Now: statusNow, Previous: prev, Deployment: d, ServiceExists: true}
	}
	type step struct {
		name       string
		change     func(*apprunnerv1alpha1.AppRunnerService)
		prev, dep  func(*apprunnerv1alpha1.AppRunnerService) *appsv1.Deployment
		status     apprunnerv1alpha1.ServiceStatusValue
		opType     apprunnerv1alpha1.OperationType
		opStatus   apprunnerv1alpha1.OperationStatus
		newOp      bool
		ready      metav1.ConditionStatus
		readyWhy   string
		available  string
		active     int32
		provisoned int32
	}
	pausedPrev := func(paused bool) func(*apprunnerv1alpha1.AppRunnerService) *appsv1.Deployment {
		return func(s *apprunnerv1alpha1.AppRunnerService) *appsv1.Deployment {
			d := deployment(s, 1, 1, 0, true)
			d.Annotations[PausedAnnotation] = map[bool]string{true: "true", false: "false"}[paused]
			return d
		}
	}
	// beforeStart is the Deployment as written before the start-deployment token.
	beforeStart := func(s *apprunnerv1alpha1.AppRunnerService) *appsv1.Deployment {
		d := pausedPrev(false)(s)
		delete(d.Spec.Template.Annotations, RestartedAtAnnotation)
		return d
	}
	steps := []step{
		{name: "created, not observed yet", dep: func(s *apprunnerv1alpha1.AppRunnerService) *appsv1.Deployment { return deployment(s, 1, 0, 0, false) },
			status: apprunnerv1alpha1.StatusOperationInProgress, opType: apprunnerv1alpha1.OperationCreateService, opStatus: apprunnerv1alpha1.OperationInProgress, newOp: true,
			ready: metav1.ConditionFalse, readyWhy: apprunnerv1alpha1.OperationInProgressReason, available: apprunnerv1alpha1.NoReadyInstancesReason, provisoned: 1},
		{name: "instances starting", prev: pausedPrev(false), dep: func(s *apprunnerv1alpha1.AppRunnerService) *appsv1.Deployment { return deployment(s, 1, 0, 0, true) },
			status: apprunnerv1alpha1.StatusOperationInProgress, opType: apprunnerv1alpha1.OperationCreateService, opStatus: apprunnerv1alpha1.OperationInProgress,
			ready: metav1.ConditionFalse, readyWhy: apprunnerv1alpha1.OperationInProgressReason, available: apprunnerv1alpha1.NoReadyInstancesReason, provisoned: 1},
		{name: "created", prev: pausedPrev(false), dep: func(s *apprunnerv1alpha1.AppRunnerService) *appsv1.Deployment { return deployment(s, 1, 1, 0, true) },
			status: apprunnerv1alpha1.StatusRunning, opType: apprunnerv1alpha1.OperationCreateService, opStatus: apprunnerv1alpha1.OperationSucceeded,
			ready: metav1.ConditionTrue, readyWhy: apprunnerv1alpha1.ReconciledReason, available: apprunnerv1alpha1.InstancesReadyReason, active: 1, provisoned: 1},
		{name: "steady", prev: pausedPrev(false), dep: func(s *apprunnerv1alpha1.AppRunnerService) *appsv1.Deployment { return deployment(s, 3, 3, 0, true) },
			status: apprunnerv1alpha1.StatusRunning, opType: apprunnerv1alpha1.OperationCreateService, opStatus: apprunnerv1alpha1.OperationSucceeded,
			ready: metav1.ConditionTrue, readyWhy: apprunnerv1alpha1.ReconciledReason, available: apprunnerv1alpha1.InstancesReadyReason, active: 3, provisoned: 3},
		{name: "image update rolling", change: func(s *apprunnerv1alpha1.AppRunnerService) {
			s.Generation = 2
			s.Spec.SourceConfiguration.ImageRepository.ImageIdentifier = "registry.example/web:2"
		}, prev: pausedPrev(false), dep: func(s *apprunnerv1alpha1.AppRunnerService) *appsv1.Deployment { return deployment(s, 3, 1, 3, true) },
			status: apprunnerv1alpha1.StatusOperationInProgress, opType: apprunnerv1alpha1.OperationUpdateService, opStatus: apprunnerv1alpha1.OperationInProgress, newOp: true,
			ready: metav1.ConditionFalse, readyWhy: apprunnerv1alpha1.OperationInProgressReason, available: apprunnerv1alpha1.InstancesReadyReason, active: 4, provisoned: 6},
		{name: "update fails: the old version keeps serving", prev: pausedPrev(false),
			dep: func(s *apprunnerv1alpha1.AppRunnerService) *appsv1.Deployment {
				return deadlineExceeded(deployment(s, 3, 0, 3, true))
			},
			status: apprunnerv1alpha1.StatusRunning, opType: apprunnerv1alpha1.OperationUpdateService, opStatus: apprunnerv1alpha1.OperationFailed,
			ready: metav1.ConditionTrue, readyWhy: apprunnerv1alpha1.ReconciledReason, available: apprunnerv1alpha1.InstancesReadyReason, active: 3, provisoned: 6},
		{name: "start deployment", change: func(s *apprunnerv1alpha1.AppRunnerService) {
			s.Annotations = map[string]string{StartDeploymentAnnotation: "1"}
		}, prev: beforeStart, dep: func(s *apprunnerv1alpha1.AppRunnerService) *appsv1.Deployment { return deployment(s, 3, 3, 0, false) },
			status: apprunnerv1alpha1.StatusOperationInProgress, opType: apprunnerv1alpha1.OperationStartDeployment, opStatus: apprunnerv1alpha1.OperationInProgress, newOp: true,
			ready: metav1.ConditionFalse, readyWhy: apprunnerv1alpha1.OperationInProgressReason, available: apprunnerv1alpha1.InstancesReadyReason, active: 3, provisoned: 3},
		{name: "start deployment again on a stale cache: the same operation",
			prev: beforeStart, dep: func(s *apprunnerv1alpha1.AppRunnerService) *appsv1.Deployment { return deployment(s, 3, 3, 0, true) },
			status: apprunnerv1alpha1.StatusRunning, opType: apprunnerv1alpha1.OperationStartDeployment, opStatus: apprunnerv1alpha1.OperationSucceeded,
			ready: metav1.ConditionTrue, readyWhy: apprunnerv1alpha1.ReconciledReason, available: apprunnerv1alpha1.InstancesReadyReason, active: 3, provisoned: 3},
		{name: "pause: the autoscaler has not scaled down yet", change: func(s *apprunnerv1alpha1.AppRunnerService) { s.Generation, s.Spec.Paused = 3, true },
			prev: pausedPrev(false), dep: func(s *apprunnerv1alpha1.AppRunnerService) *appsv1.Deployment { return deployment(s, 3, 3, 0, true) },
			status: apprunnerv1alpha1.StatusOperationInProgress, opType: apprunnerv1alpha1.OperationPauseService, opStatus: apprunnerv1alpha1.OperationInProgress, newOp: true,
			ready: metav1.ConditionFalse, readyWhy: apprunnerv1alpha1.OperationInProgressReason, available: apprunnerv1alpha1.InstancesReadyReason, active: 3, provisoned: 3},
		{name: "paused", prev: pausedPrev(true), dep: func(s *apprunnerv1alpha1.AppRunnerService) *appsv1.Deployment { return deployment(s, 0, 0, 0, true) },
			status: apprunnerv1alpha1.StatusPaused, opType: apprunnerv1alpha1.OperationPauseService, opStatus: apprunnerv1alpha1.OperationSucceeded,
			ready: metav1.ConditionFalse, readyWhy: apprunnerv1alpha1.PausedReason, available: apprunnerv1alpha1.PausedReason},
		{name: "resume", change: func(s *apprunnerv1alpha1.AppRunnerService) { s.Generation, s.Spec.Paused = 4, false },
			prev: pausedPrev(true), dep: func(s *apprunnerv1alpha1.AppRunnerService) *appsv1.Deployment { return deployment(s, 0, 0, 0, true) },
			status: apprunnerv1alpha1.StatusOperationInProgress, opType: apprunnerv1alpha1.OperationResumeService, opStatus: apprunnerv1alpha1.OperationInProgress, newOp: true,
			ready: metav1.ConditionFalse, readyWhy: apprunnerv1alpha1.OperationInProgressReason, available: apprunnerv1alpha1.NoReadyInstancesReason},
		{name: "resumed", prev: pausedPrev(false), dep: func(s *apprunnerv1alpha1.AppRunnerService) *appsv1.Deployment { return deployment(s, 1, 1, 0, true) },
			status: apprunnerv1alpha1.StatusRunning, opType: apprunnerv1alpha1.OperationResumeService, opStatus: apprunnerv1alpha1.OperationSucceeded,
			ready: metav1.ConditionTrue, readyWhy: apprunnerv1alpha1.ReconciledReason, available: apprunnerv1alpha1.InstancesReadyReason, active: 1, provisoned: 1},
		{name: "minSize 0, scaled to zero", change: func(s *apprunnerv1alpha1.AppRunnerService) {
			s.Generation = 5
			s.Spec.AutoScalingConfiguration = &apprunnerv1alpha1.AutoScalingConfiguration{MinSize: ptr.To[int32](0)}
		}, prev: pausedPrev(false), dep: func(s *apprunnerv1alpha1.AppRunnerService) *appsv1.Deployment { return deployment(s, 0, 0, 0, true) },
			status: apprunnerv1alpha1.StatusRunning, opType: apprunnerv1alpha1.OperationUpdateService, opStatus: apprunnerv1alpha1.OperationSucceeded, newOp: true,
			ready: metav1.ConditionTrue, readyWhy: apprunnerv1alpha1.ReconciledReason, available: apprunnerv1alpha1.ScaledToZeroReason},
	}
	var prevID string
	for _, st := range steps {
		if st.change != nil {
			st.change(svc)
		}
		var prev *appsv1.Deployment
		if st.prev != nil {
			prev = st.prev(svc)
		}
		SetStatus(svc, obs(prev, st.dep(svc)))
		svc.Status.ObservedGeneration = svc.Generation // the reconcile succeeded
		s := svc.Status
		op := s.CurrentOperation
		if s.Status != st.status || op.Type != st.opType || op.Status != st.opStatus {
			t.Errorf("%s: status %s, operation %s %s; want %s, %s %s", st.name, s.Status, op.Type, op.Status, st.status, st.opType, st.opStatus)
		}
		if (op.ID != prevID) != st.newOp {
			t.Errorf("%s: operation id %s after %s; want a new one: %t", st.name, op.ID, prevID, st.newOp)
		}
		if op.Status != apprunnerv1alpha1.OperationInProgress && op.EndedAt == nil {
			t.Errorf("%s: an ended operation without endedAt", st.name)
		}
		prevID = op.ID
		if c := condition(t, svc, apprunnerv1alpha1.ReadyCondition); c.Status != st.ready || c.Reason != st.readyWhy {
			t.Errorf("%s: Ready %s %s (%s); want %s %s", st.name, c.Status, c.Reason, c.Message, st.ready, st.readyWhy)
		}
		if c := condition(t, svc, apprunnerv1alpha1.DeploymentAvailableCondition); c.Reason != st.available {
			t.Errorf("%s: DeploymentAvailable %s %s; want reason %s", st.name, c.Status, c.Reason, st.available)
		}
		if s.ActiveInstances != st.active || s.ProvisionedInstances != st.provisoned {
			t.Errorf("%s: active %d provisioned %d; want %d %d", st.name, s.ActiveInstances, s.ProvisionedInstances, st.active, st.provisoned)
		}
	}
}

func TestSetStatusCreateFailed(t *testing.T) {
	svc := newService()
	SetStatus(svc, Observed{Scope: testScope, Now: statusNow, Deployment: deadlineExceeded(deployment(svc, 1, 0, 0, true)), ServiceExists: true})
	if svc.Status.Status != apprunnerv1alpha1.StatusCreateFailed || svc.Status.CurrentOperation.Status != apprunnerv1alpha1.OperationFailed {
		t.Fatalf("status %s, operation %+v", svc.Status.Status, svc.Status.CurrentOperation)
	}
	if c := condition(t, svc, apprunnerv1alpha1.ReadyCondition); c.Reason != apprunnerv1alpha1.DeploymentFailedReason {
		t.Errorf("Ready %+v", c)
	}
	// An update deploys again and recovers.
	svc.Status.ObservedGeneration, svc.Generation = 1, 2
	SetStatus(svc, Observed{Scope: testScope, Now: statusNow, Deployment: deployment(svc, 1, 1, 0, true), ServiceExists: true})
	if svc.Status.Status != apprunnerv1alpha1.StatusRunning || svc.Status.CurrentOperation.Type != apprunnerv1alpha1.OperationUpdateService {
		t.Errorf("after an update: status %s, operation %+v", svc.Status.Status, svc.Status.CurrentOperation)
	}
}

func TestSetStatusCodeRepository(t *testing.T) {
	svc := newService(func(s *apprunnerv1alpha1.AppRunnerService) {
		s.Spec.SourceConfiguration = apprunnerv1alpha1.SourceConfiguration{CodeRepository: &apprunnerv1alpha1.CodeRepository{
			RepositoryURL: "https://github.com/example/web", SourceCodeVersion: apprunnerv1alpha1.SourceCodeVersion{Type: "BRANCH", Value: "main"},
		}}
	})
	SetStatus(svc, Observed{Scope: testScope, Now: statusNow})
	if svc.Status.Status != apprunnerv1alpha1.StatusCreateFailed {
		t.Errorf("status %s", svc.Status.Status)
	}
	op := svc.Status.CurrentOperation
	if op.Type != apprunnerv1alpha1.OperationCreateService || op.Status != apprunnerv1alpha1.OperationFailed || op.EndedAt == nil {
		t.Errorf("operation %+v", op)
	}
	for _, typ := range []string{apprunnerv1alpha1.ReadyCondition, apprunnerv1alpha1.DeploymentAvailableCondition, apprunnerv1alpha1.EndpointReadyCondition} {
		if c := condition(t, svc, typ); c.Status != metav1.ConditionFalse || c.Reason != apprunnerv1alpha1.CodeRepositoryUnsupportedReason {
			t.Errorf("%s: %+v", typ, c)
		}
	}
}

func TestSetStatusEndpointAndProblems(t *testing.T) {
	svc := newService()
	SetStatus(svc, Observed{Scope: testScope, Now: statusNow, Deployment: deployment(svc, 1, 1, 0, true), Problems: []string{"runtimeEnvironmentSecrets X: bad"}})
	if c := condition(t, svc, apprunnerv1alpha1.EndpointReadyCondition); c.Status != metav1.ConditionFalse {
		t.Errorf("EndpointReady without a Service: %+v", c)
	}
	if c := condition(t, svc, apprunnerv1alpha1.ReadyCondition); c.Status != metav1.ConditionFalse || !regexp.MustCompile(`runtimeEnvironmentSecrets X: bad`).MatchString(c.Message) {
		t.Errorf("Ready %+v", c)
	}
}

func TestImageDigest(t *testing.T) {
	for in, want := range map[string]string{
		"registry.example/web@sha256:abc": "sha256:abc",
		"sha256:def":                      "sha256:def",
		"docker-pullable://x@sha256:123":  "sha256:123",
		"":                                "",
		"registry.example/web:1":          "",
	} {
		if got := ImageDigest(in); got != want {
			t.Errorf("ImageDigest(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNewCA(t *testing.T) {
	certPEM, keyPEM, err := NewCA(rand.Reader, statusNow.Time)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(certPEM)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !cert.IsCA || cert.Subject.CommonName != "kube-ecs App Runner CA" || cert.KeyUsage&x509.KeyUsageCertSign == 0 ||
		cert.NotAfter.Sub(statusNow.Time) != 10*365*24*time.Hour || cert.PublicKeyAlgorithm != x509.ECDSA {
		t.Errorf("certificate: CA %t, CN %q, usage %v, not after %s, key %s", cert.IsCA, cert.Subject.CommonName, cert.KeyUsage, cert.NotAfter, cert.PublicKeyAlgorithm)
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil || kb.Type != "PRIVATE KEY" {
		t.Fatalf("key PEM %q", keyPEM)
	}
	if _, err := x509.ParsePKCS8PrivateKey(kb.Bytes); err != nil {
		t.Errorf("PKCS#8: %v", err)
	}
	data := CASecretData(certPEM, keyPEM)
	if string(data["ca.crt"]) != string(certPEM) || string(data["tls.crt"]) != string(certPEM) || string(data["tls.key"]) != string(keyPEM) {
		t.Errorf("secret data keys: %v", data)
	}
}
