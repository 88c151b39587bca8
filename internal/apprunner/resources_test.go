package apprunner

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/capacity"
)

func newService(change ...func(*apprunnerv1alpha1.AppRunnerService)) *apprunnerv1alpha1.AppRunnerService {
	svc := &apprunnerv1alpha1.AppRunnerService{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "team-a", UID: "0b5e3c1a-7f0e-4a7e-9d52-3c1f0e9a8b7c", Generation: 1},
		Spec: apprunnerv1alpha1.AppRunnerServiceSpec{SourceConfiguration: apprunnerv1alpha1.SourceConfiguration{
			ImageRepository: &apprunnerv1alpha1.ImageRepository{ImageIdentifier: "registry.example/web:1", ImageRepositoryType: "ECR"},
		}},
	}
	for _, c := range change {
		c(svc)
	}
	return svc
}

func withImageConfig(ic apprunnerv1alpha1.ImageConfiguration) func(*apprunnerv1alpha1.AppRunnerService) {
	return func(s *apprunnerv1alpha1.AppRunnerService) {
		s.Spec.SourceConfiguration.ImageRepository.ImageConfiguration = &ic
	}
}

func container(t *testing.T, d *appsv1.Deployment) corev1.Container {
	t.Helper()
	if n := len(d.Spec.Template.Spec.Containers); n != 1 {
		t.Fatalf("%d containers, want 1", n)
	}
	return d.Spec.Template.Spec.Containers[0]
}

func TestCommand(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"   ", nil},
		{"/workload serve --listen :8080", []string{"/workload", "serve", "--listen", ":8080"}},
		{"/app --flag=value  -v", []string{"/app", "--flag=value", "-v"}},
		{`node -e "console.log(1)"`, []string{"/bin/sh", "-c", `node -e "console.log(1)"`}},
		{"echo $HOME", []string{"/bin/sh", "-c", "echo $HOME"}},
		{"migrate && serve", []string{"/bin/sh", "-c", "migrate && serve"}},
		{"serve > /tmp/log", []string{"/bin/sh", "-c", "serve > /tmp/log"}},
		{"DEBUG=1 serve", []string{"/bin/sh", "-c", "DEBUG=1 serve"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Command(tt.in)); diff != "" {
			t.Errorf("Command(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestMakeDeploymentDefaults(t *testing.T) {
	pools := capacity.DefaultPools()
	pools.Fargate.RuntimeClassName = "gvisor"
	d, problems := MakeDeployment(newService(), pools)
	if len(problems) > 0 {
		t.Errorf("problems: %v", problems)
	}
	if d.Spec.Replicas != nil {
		t.Errorf("replicas = %d: the autoscaler owns them", *d.Spec.Replicas)
	}
	if d.Name != "web" || d.Namespace != "team-a" || d.Labels[ServiceLabel] != "web" || d.Labels[ManagedByLabel] != "kube-ecs" {
		t.Errorf("metadata: %+v", d.ObjectMeta)
	}
	if len(d.OwnerReferences) != 1 || d.OwnerReferences[0].Kind != "AppRunnerService" || !*d.OwnerReferences[0].Controller {
		t.Errorf("owner references: %+v", d.OwnerReferences)
	}
	if d.Annotations[PausedAnnotation] != "false" {
		t.Errorf("paused annotation %q", d.Annotations[PausedAnnotation])
	}
	ru := d.Spec.Strategy.RollingUpdate
	if ru == nil || ru.MaxSurge.String() != "100%" || ru.MaxUnavailable.String() != "0" {
		t.Errorf("rolling update: %+v", ru)
	}
	if *d.Spec.ProgressDeadlineSeconds != 600 {
		t.Errorf("progressDeadlineSeconds %d", *d.Spec.ProgressDeadlineSeconds)
	}
	if diff := cmp.Diff(map[string]string{ServiceLabel: "web"}, d.Spec.Selector.MatchLabels); diff != "" {
		t.Errorf("selector (-want +got):\n%s", diff)
	}
	spec := d.Spec.Template.Spec
	if diff := cmp.Diff(pools.Fargate.NodeSelector, spec.NodeSelector); diff != "" {
		t.Errorf("node selector (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(pools.Fargate.Tolerations, spec.Tolerations); diff != "" {
		t.Errorf("tolerations (-want +got):\n%s", diff)
	}
	if ptr.Deref(spec.RuntimeClassName, "") != "gvisor" {
		t.Errorf("runtimeClassName %v", spec.RuntimeClassName)
	}
	if *spec.TerminationGracePeriodSeconds != 30 || *spec.AutomountServiceAccountToken || spec.ServiceAccountName != "default" {
		t.Errorf("pod spec: grace %d, automount %t, service account %q", *spec.TerminationGracePeriodSeconds, *spec.AutomountServiceAccountToken, spec.ServiceAccountName)
	}
	c := container(t, d)
	if c.Name != "app" || c.Image != "registry.example/web:1" || c.Command != nil {
		t.Errorf("container %s image %s command %v", c.Name, c.Image, c.Command)
	}
	if diff := cmp.Diff([]corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}}, c.Ports); diff != "" {
		t.Errorf("ports (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]corev1.EnvVar{{Name: "PORT", Value: "8080"}}, c.Env); diff != "" {
		t.Errorf("env (-want +got):\n%s", diff)
	}
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil || c.Lifecycle.PreStop.Sleep.Seconds != 5 {
		t.Errorf("preStop: %+v", c.Lifecycle)
	}
	if _, ok := d.Spec.Template.Annotations[RestartedAtAnnotation]; ok {
		t.Error("a restarted-at annotation without a start deployment")
	}
}

func TestInstanceSizes(t *testing.T) {
	tests := []struct {
		cpu, memory         string
		wantCPU, wantMemory string
		capacity            string
	}{
		{"", "", "1", "2Gi", "1vCPU 2GB"},
		{"0.25 vCPU", "0.5 GB", "250m", "512Mi", "0.25vCPU 0.5GB"},
		{"512", "1024", "500m", "1Gi", "0.5vCPU 1GB"},
		{"2 vCPU", "6 GB", "2", "6Gi", "2vCPU 6GB"},
		{"4096", "12288", "4", "12Gi", "4vCPU 12GB"},
	}
	for _, tt := range tests {
		svc := newService(func(s *apprunnerv1alpha1.AppRunnerService) {
			s.Spec.InstanceConfiguration = &apprunnerv1alpha1.InstanceConfiguration{CPU: tt.cpu, Memory: tt.memory}
		})
		d, _ := MakeDeployment(svc, capacity.DefaultPools())
		c := container(t, d)
		want := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(tt.wantCPU), corev1.ResourceMemory: resource.MustParse(tt.wantMemory)}
		for name, q := range want {
			if r := c.Resources.Requests[name]; r.Cmp(q) != 0 {
				t.Errorf("%s/%s: request %s = %s, want %s", tt.cpu, tt.memory, name, r.String(), q.String())
			}
			if l := c.Resources.Limits[name]; l.Cmp(q) != 0 {
				t.Errorf("%s/%s: limit %s = %s, want %s (Guaranteed)", tt.cpu, tt.memory, name, l.String(), q.String())
			}
		}
		if got := d.Spec.Template.Annotations["CapacityProvisioned"]; got != tt.capacity {
			t.Errorf("%s/%s: CapacityProvisioned %q, want %q", tt.cpu, tt.memory, got, tt.capacity)
		}
	}
}

func TestReadinessProbe(t *testing.T) {
	tcp := corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("http")}}
	tests := []struct {
		name string
		hc   *apprunnerv1alpha1.HealthCheckConfiguration
		want corev1.Probe
	}{
		{"defaults", nil, corev1.Probe{ProbeHandler: tcp, PeriodSeconds: 5, TimeoutSeconds: 2, SuccessThreshold: 1, FailureThreshold: 5}},
		{"TCP explicit", &apprunnerv1alpha1.HealthCheckConfiguration{Protocol: "TCP", Interval: ptr.To[int32](10)},
			corev1.Probe{ProbeHandler: tcp, PeriodSeconds: 10, TimeoutSeconds: 2, SuccessThreshold: 1, FailureThreshold: 5}},
		{"HTTP default path", &apprunnerv1alpha1.HealthCheckConfiguration{Protocol: "HTTP"},
			corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/", Port: intstr.FromString("http")}},
				PeriodSeconds: 5, TimeoutSeconds: 2, SuccessThreshold: 1, FailureThreshold: 5}},
		{"HTTP all set", &apprunnerv1alpha1.HealthCheckConfiguration{Protocol: "HTTP", Path: "/healthz", Interval: ptr.To[int32](20),
			Timeout: ptr.To[int32](4), HealthyThreshold: ptr.To[int32](3), UnhealthyThreshold: ptr.To[int32](2)},
			corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http")}},
				PeriodSeconds: 20, TimeoutSeconds: 4, SuccessThreshold: 3, FailureThreshold: 2}},
	}
	for _, tt := range tests {
		svc := newService(func(s *apprunnerv1alpha1.AppRunnerService) { s.Spec.HealthCheckConfiguration = tt.hc })
		d, _ := MakeDeployment(svc, capacity.DefaultPools())
		if diff := cmp.Diff(&tt.want, container(t, d).ReadinessProbe); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
		if c := container(t, d); c.LivenessProbe != nil {
			t.Errorf("%s: a liveness probe", tt.name)
		}
	}
}

func TestStartCommandPortAndEnv(t *testing.T) {
	svc := newService(withImageConfig(apprunnerv1alpha1.ImageConfiguration{
		Port:                        "3000",
		StartCommand:                "/workload serve --listen :3000",
		RuntimeEnvironmentVariables: map[string]string{"B": "2", "A": "1", "PORT": "9999"},
		RuntimeEnvironmentSecrets: map[string]string{
			"DB":    "db-creds:password",
			"TOKEN": "arn:aws:secretsmanager:us-east-1:000000000000:secret:prod/api-AbCdEf",
			"BAD":   "arn:aws:s3:::bucket",
			"A":     "overrides:a",
		},
	}))
	d, problems := MakeDeployment(svc, capacity.DefaultPools())
	c := container(t, d)
	if diff := cmp.Diff([]string{"/workload", "serve", "--listen", ":3000"}, c.Command); diff != "" {
		t.Errorf("command (-want +got):\n%s", diff)
	}
	if c.Ports[0].ContainerPort != 3000 {
		t.Errorf("port %d", c.Ports[0].ContainerPort)
	}
	ref := func(name, key string) *corev1.EnvVarSource {
		return &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key}}
	}
	want := []corev1.EnvVar{
		{Name: "PORT", Value: "9999"},
		{Name: "A", ValueFrom: ref("overrides", "a")},
		{Name: "B", Value: "2"},
		{Name: "DB", ValueFrom: ref("db-creds", "password")},
		{Name: "TOKEN", ValueFrom: ref("prod-api", "value")},
	}
	if diff := cmp.Diff(want, c.Env); diff != "" {
		t.Errorf("env (-want +got):\n%s", diff)
	}
	if len(problems) != 1 || !strings.Contains(problems[0], "runtimeEnvironmentSecrets BAD") {
		t.Errorf("problems: %q", problems)
	}
}

func TestStartDeploymentAndInstanceRole(t *testing.T) {
	svc := newService(func(s *apprunnerv1alpha1.AppRunnerService) {
		s.Annotations = map[string]string{StartDeploymentAnnotation: "2025-01-01T00:00:00Z"}
		s.Spec.InstanceConfiguration = &apprunnerv1alpha1.InstanceConfiguration{InstanceRoleArn: "arn:aws:iam::000000000000:role/web"}
	})
	d, _ := MakeDeployment(svc, capacity.DefaultPools())
	if got := d.Spec.Template.Annotations[RestartedAtAnnotation]; got != "2025-01-01T00:00:00Z" {
		t.Errorf("restarted-at %q", got)
	}
	spec := d.Spec.Template.Spec
	if spec.ServiceAccountName != "web" || !*spec.AutomountServiceAccountToken {
		t.Errorf("service account %q automount %t", spec.ServiceAccountName, *spec.AutomountServiceAccountToken)
	}
	sa := MakeServiceAccount(svc)
	if sa == nil || sa.Name != "web" || sa.Annotations[RoleArnAnnotation] != "arn:aws:iam::000000000000:role/web" {
		t.Errorf("service account: %+v", sa)
	}
	if MakeServiceAccount(newService()) != nil {
		t.Error("a ServiceAccount without an instance role")
	}
}

func TestInitialReplicas(t *testing.T) {
	tests := []struct {
		minSize *int32
		paused  bool
		want    int32
	}{
		{nil, false, 1},
		{ptr.To[int32](0), false, 1},
		{ptr.To[int32](3), false, 3},
		{ptr.To[int32](3), true, 0},
	}
	for _, tt := range tests {
		svc := newService(func(s *apprunnerv1alpha1.AppRunnerService) {
			s.Spec.Paused = tt.paused
			s.Spec.AutoScalingConfiguration = &apprunnerv1alpha1.AutoScalingConfiguration{MinSize: tt.minSize}
		})
		if got := InitialReplicas(svc); got != tt.want {
			t.Errorf("minSize %v paused %t: %d, want %d", tt.minSize, tt.paused, got, tt.want)
		}
	}
}

func TestMakeServiceAndIngress(t *testing.T) {
	svc := newService()
	s := MakeService(svc)
	want := []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolTCP}}
	if diff := cmp.Diff(want, s.Spec.Ports); diff != "" {
		t.Errorf("service ports (-want +got):\n%s", diff)
	}
	if s.Spec.Type != corev1.ServiceTypeClusterIP || s.Spec.Selector[ServiceLabel] != "web" || s.Name != "web" {
		t.Errorf("service: %+v", s)
	}
	tests := []struct {
		name   string
		public *bool
		want   bool
	}{{"unset", nil, true}, {"public", ptr.To(true), true}, {"private", ptr.To(false), false}}
	for _, tt := range tests {
		svc := newService(func(s *apprunnerv1alpha1.AppRunnerService) {
			s.Spec.NetworkConfiguration = &apprunnerv1alpha1.NetworkConfiguration{
				IngressConfiguration: &apprunnerv1alpha1.IngressConfiguration{IsPubliclyAccessible: tt.public},
			}
		})
		ing := MakeIngress(svc, "apps.example.com")
		if (ing != nil) != tt.want {
			t.Fatalf("%s: ingress %v, want one: %t", tt.name, ing, tt.want)
		}
		if ing == nil {
			continue
		}
		r := ing.Spec.Rules[0]
		p := r.HTTP.Paths[0]
		if r.Host != "web.team-a.apps.example.com" || p.Path != "/" || *p.PathType != "Prefix" ||
			p.Backend.Service.Name != "web" || p.Backend.Service.Port.Name != "http" {
			t.Errorf("%s: ingress rule %+v", tt.name, r)
		}
	}
}
