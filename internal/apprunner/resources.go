package apprunner

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/capacity"
	"github.com/kube-ecs/kube-ecs/internal/taskdef"
	"github.com/kube-ecs/kube-ecs/internal/tasksize"
)

// Labels, annotations and names of the objects a service becomes.
const (
	// ManagedByLabel is the standard label naming the tool that manages an object.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	// ManagedByValue is kube-ecs's value of ManagedByLabel.
	ManagedByValue = "kube-ecs"
	// RestartedAtAnnotation on the pod template carries the service's
	// StartDeploymentAnnotation: a new value rolls the instances (StartDeployment).
	RestartedAtAnnotation = "apprunner.kube-ecs.io/restarted-at"
	// PausedAnnotation on the Deployment ("true" or "false") is the spec.paused it was last
	// written for: the controller tells PauseService and ResumeService apart by it.
	PausedAnnotation = "apprunner.kube-ecs.io/paused"
	// RoleArnAnnotation on the service's ServiceAccount is its instance role, as EKS's IAM
	// roles for service accounts read it.
	RoleArnAnnotation = "eks.amazonaws.com/role-arn"
	// ContainerName is the name of the one container of an instance.
	ContainerName = "app"
	// PortName names the container port and the Service port.
	PortName = "http"
	// PortEnv is the variable App Runner sets to the port the container must listen on.
	PortEnv = "PORT"
	// DefaultServiceAccount runs the instances of a service without an instance role.
	DefaultServiceAccount = "default"
	// ServicePort is the port of the service's Kubernetes Service.
	ServicePort = 80
)

// App Runner's defaults and the instances' lifecycle settings.
const (
	DefaultPort      = 8080
	DefaultCPU       = 1024 // units: 1 vCPU
	DefaultMemoryMiB = 2048 // 2 GB
	// DefaultMinSize is the instances kept when idle (autoscaling minSize).
	DefaultMinSize int32 = 1

	DefaultHealthCheckPath        = "/"
	DefaultHealthCheckInterval    = 5
	DefaultHealthCheckTimeout     = 2
	DefaultHealthyThreshold       = 1
	DefaultUnhealthyThreshold     = 5
	TerminationGracePeriodSeconds = 30
	// PreStopSleepSeconds keeps a stopping instance serving while the activator and
	// kube-proxy drop it from their endpoints, before its container gets SIGTERM.
	PreStopSleepSeconds = 5
	// ProgressDeadlineSeconds is how long a deployment may take before it fails.
	ProgressDeadlineSeconds = 600
)

// DeploymentName, ServiceName, IngressName and ServiceAccountName are the names of the
// service's children: the service's own name (valid by the API's CEL rule).
func DeploymentName(svc *apprunnerv1alpha1.AppRunnerService) string     { return svc.Name }
func ServiceName(svc *apprunnerv1alpha1.AppRunnerService) string        { return svc.Name }
func IngressName(svc *apprunnerv1alpha1.AppRunnerService) string        { return svc.Name }
func ServiceAccountName(svc *apprunnerv1alpha1.AppRunnerService) string { return svc.Name }

// Selector selects the instances (pods) of a service.
func Selector(svc *apprunnerv1alpha1.AppRunnerService) map[string]string {
	return map[string]string{ServiceLabel: svc.Name}
}

func childMeta(svc *apprunnerv1alpha1.AppRunnerService, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:            name,
		Namespace:       svc.Namespace,
		Labels:          map[string]string{ServiceLabel: svc.Name, ManagedByLabel: ManagedByValue},
		OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(svc, apprunnerv1alpha1.GroupVersion.WithKind("AppRunnerService"))},
	}
}

func imageConfig(svc *apprunnerv1alpha1.AppRunnerService) apprunnerv1alpha1.ImageConfiguration {
	if r := svc.Spec.SourceConfiguration.ImageRepository; r != nil && r.ImageConfiguration != nil {
		return *r.ImageConfiguration
	}
	return apprunnerv1alpha1.ImageConfiguration{}
}

// IsCodeRepository says the service's source is a code repository, which kube-ecs does not
// build: such a service has no instances and reports CREATE_FAILED.
func IsCodeRepository(svc *apprunnerv1alpha1.AppRunnerService) bool {
	return svc.Spec.SourceConfiguration.ImageRepository == nil
}

// ContainerPort is the port the container listens on (default 8080).
func ContainerPort(svc *apprunnerv1alpha1.AppRunnerService) int32 {
	if p, err := strconv.ParseInt(imageConfig(svc).Port, 10, 32); err == nil {
		return int32(p)
	}
	return DefaultPort
}

// InstanceSize is the cpu (units) and memory (MiB) of each instance, App Runner's defaults
// (1 vCPU, 2 GB) for what the spec leaves out.
func InstanceSize(svc *apprunnerv1alpha1.AppRunnerService) (cpuUnits, memoryMiB int) {
	cpuUnits, memoryMiB = DefaultCPU, DefaultMemoryMiB
	if ic := svc.Spec.InstanceConfiguration; ic != nil {
		if c, ok := tasksize.ParseCPU(ic.CPU); ok && c > 0 {
			cpuUnits = c
		}
		if m, ok := tasksize.ParseMemory(ic.Memory); ok && m > 0 {
			memoryMiB = m
		}
	}
	return cpuUnits, memoryMiB
}

// MinSizeOf is the service's autoscaling minSize (default 1; 0 scales to zero).
func MinSizeOf(svc *apprunnerv1alpha1.AppRunnerService) int32 {
	minSize, _, _ := ScalingBounds(svc.Spec.AutoScalingConfiguration)
	return minSize
}

// InitialReplicas are the instances a new Deployment starts with: max(minSize, 1), or 0 for a
// paused service. Afterwards the autoscaler alone sets replicas.
func InitialReplicas(svc *apprunnerv1alpha1.AppRunnerService) int32 {
	if svc.Spec.Paused {
		return 0
	}
	return max(MinSizeOf(svc), 1)
}

// IsPublic says the service gets an Ingress (isPubliclyAccessible is not false).
func IsPublic(svc *apprunnerv1alpha1.AppRunnerService) bool {
	n := svc.Spec.NetworkConfiguration
	if n == nil || n.IngressConfiguration == nil || n.IngressConfiguration.IsPubliclyAccessible == nil {
		return true
	}
	return *n.IngressConfiguration.IsPubliclyAccessible
}

// StartDeploymentToken is the service's StartDeploymentAnnotation (empty when none).
func StartDeploymentToken(svc *apprunnerv1alpha1.AppRunnerService) string {
	return svc.Annotations[StartDeploymentAnnotation]
}

// shellSyntax are the characters that make a start command a shell command line.
const shellSyntax = "'\"`$\\|&;<>()*?[]{}~#!\n\t"

// Command is how the container runs startCommand (nil: the image's own entrypoint and
// command). App Runner runs the start command itself; kube-ecs runs a plain command line
// ("/workload serve --listen :8080") directly, split on spaces, so that images without a
// shell (FROM scratch) work, and a command line that needs a shell (quotes, variables,
// pipes, redirections, globs, ";" or "&&", a leading VAR=value) with /bin/sh -c.
func Command(startCommand string) []string {
	fields := strings.Fields(startCommand)
	if len(fields) == 0 {
		return nil
	}
	if strings.ContainsAny(startCommand, shellSyntax) || strings.Contains(fields[0], "=") {
		return []string{"/bin/sh", "-c", startCommand}
	}
	return fields
}

// env is PORT, then runtimeEnvironmentVariables, then runtimeEnvironmentSecrets, each sorted
// by name; a later one of the same name replaces an earlier one in place. problems name the
// secrets that map to no Kubernetes Secret key (their variables are not set).
func env(svc *apprunnerv1alpha1.AppRunnerService) (out []corev1.EnvVar, problems []string) {
	set := func(e corev1.EnvVar) {
		if i := slices.IndexFunc(out, func(o corev1.EnvVar) bool { return o.Name == e.Name }); i >= 0 {
			out[i] = e
		} else {
			out = append(out, e)
		}
	}
	ic := imageConfig(svc)
	set(corev1.EnvVar{Name: PortEnv, Value: strconv.Itoa(int(ContainerPort(svc)))})
	for _, k := range slices.Sorted(maps.Keys(ic.RuntimeEnvironmentVariables)) {
		set(corev1.EnvVar{Name: k, Value: ic.RuntimeEnvironmentVariables[k]})
	}
	for _, k := range slices.Sorted(maps.Keys(ic.RuntimeEnvironmentSecrets)) {
		ref, problem := taskdef.SecretKeyRef(ic.RuntimeEnvironmentSecrets[k])
		if ref == nil {
			problems = append(problems, fmt.Sprintf("runtimeEnvironmentSecrets %s: %s; the variable is not set", k, problem))
			continue
		}
		if problem != "" {
			problems = append(problems, fmt.Sprintf("runtimeEnvironmentSecrets %s: %s", k, problem))
		}
		set(corev1.EnvVar{Name: k, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: ref}})
	}
	return out, problems
}

// ReadinessProbe is the service's health check: TCP (default) or HTTP on the container's
// port, with App Runner's defaults (5 s interval, 2 s timeout, 1 healthy, 5 unhealthy). An
// instance that fails it stops receiving requests; it is not restarted (no liveness probe).
func ReadinessProbe(svc *apprunnerv1alpha1.AppRunnerService) *corev1.Probe {
	hc := svc.Spec.HealthCheckConfiguration
	if hc == nil {
		hc = &apprunnerv1alpha1.HealthCheckConfiguration{}
	}
	or := func(v *int32, d int32) int32 {
		if v != nil {
			return *v
		}
		return d
	}
	p := &corev1.Probe{
		PeriodSeconds:    or(hc.Interval, DefaultHealthCheckInterval),
		TimeoutSeconds:   or(hc.Timeout, DefaultHealthCheckTimeout),
		SuccessThreshold: or(hc.HealthyThreshold, DefaultHealthyThreshold),
		FailureThreshold: or(hc.UnhealthyThreshold, DefaultUnhealthyThreshold),
	}
	port := intstr.FromString(PortName)
	if hc.Protocol == "HTTP" {
		path := hc.Path
		if path == "" {
			path = DefaultHealthCheckPath
		}
		p.HTTPGet = &corev1.HTTPGetAction{Path: path, Port: port}
	} else {
		p.TCPSocket = &corev1.TCPSocketAction{Port: port}
	}
	return p
}

// MakePodTemplate builds the instances' pod template: one container on the FARGATE
// capacity pool with Guaranteed QoS, readiness from the health check, and a preStop pause
// so that a stopping instance finishes the requests routed to it.
func MakePodTemplate(svc *apprunnerv1alpha1.AppRunnerService, pools capacity.Pools) (corev1.PodTemplateSpec, []string) {
	cpu, mem := InstanceSize(svc)
	res := corev1.ResourceList{
		corev1.ResourceCPU:    *resource.NewMilliQuantity(int64(cpu)*1000/1024, resource.DecimalSI),
		corev1.ResourceMemory: *resource.NewQuantity(int64(mem)<<20, resource.BinarySI),
	}
	envVars, problems := env(svc)
	image := ""
	if r := svc.Spec.SourceConfiguration.ImageRepository; r != nil {
		image = r.ImageIdentifier
	}
	c := corev1.Container{
		Name:           ContainerName,
		Image:          image,
		Command:        Command(imageConfig(svc).StartCommand),
		Ports:          []corev1.ContainerPort{{Name: PortName, ContainerPort: ContainerPort(svc), Protocol: corev1.ProtocolTCP}},
		Env:            envVars,
		Resources:      corev1.ResourceRequirements{Requests: res, Limits: res.DeepCopy()},
		ReadinessProbe: ReadinessProbe(svc),
		Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{
			Sleep: &corev1.SleepAction{Seconds: PreStopSleepSeconds},
		}},
	}
	place := capacity.For(nil, ecsv1alpha1.LaunchTypeFargate, ecsv1alpha1.CapacityProviderFargate, pools)
	spec := corev1.PodSpec{
		Containers:                    []corev1.Container{c},
		RestartPolicy:                 corev1.RestartPolicyAlways,
		TerminationGracePeriodSeconds: ptr.To[int64](TerminationGracePeriodSeconds),
		EnableServiceLinks:            ptr.To(false),
		AutomountServiceAccountToken:  ptr.To(false),
		NodeSelector:                  maps.Clone(place.NodeSelector),
		Tolerations:                   slices.Clone(place.Tolerations),
		Affinity:                      place.Affinity,
	}
	if place.RuntimeClassName != "" {
		spec.RuntimeClassName = ptr.To(place.RuntimeClassName)
	}
	// Always named: the API server copies serviceAccountName into the deprecated
	// serviceAccount field, and back again when an apply leaves the name out.
	spec.ServiceAccountName = DefaultServiceAccount
	if hasInstanceRole(svc) {
		spec.ServiceAccountName = ServiceAccountName(svc)
		spec.AutomountServiceAccountToken = ptr.To(true)
	}
	labels := Selector(svc)
	// The launch type counts App Runner instances among a dedicated pool's Fargate tasks.
	labels[ecsv1alpha1.LaunchTypeLabel] = string(ecsv1alpha1.LaunchTypeFargate)
	annotations := map[string]string{
		ecsv1alpha1.CapacityProvisionedAnnotation: fmt.Sprintf("%gvCPU %gGB", float64(cpu)/1024, float64(mem)/1024),
	}
	if token := StartDeploymentToken(svc); token != "" {
		annotations[RestartedAtAnnotation] = token
	}
	return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: annotations}, Spec: spec}, problems
}

func hasInstanceRole(svc *apprunnerv1alpha1.AppRunnerService) bool {
	ic := svc.Spec.InstanceConfiguration
	return ic != nil && ic.InstanceRoleArn != ""
}

// MakeDeployment builds the service's Deployment without replicas: the autoscaler owns them
// (the controller sets InitialReplicas only when it creates the Deployment). Rolling updates
// double the instances and never take one away before its replacement is ready, so no
// request is lost and a failed deployment leaves the previous version serving. problems say
// what of the spec could not be carried out.
func MakeDeployment(svc *apprunnerv1alpha1.AppRunnerService, pools capacity.Pools) (*appsv1.Deployment, []string) {
	tmpl, problems := MakePodTemplate(svc, pools)
	surge, unavailable := intstr.FromString("100%"), intstr.FromInt32(0)
	meta := childMeta(svc, DeploymentName(svc))
	meta.Annotations = map[string]string{PausedAnnotation: strconv.FormatBool(svc.Spec.Paused)}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: meta,
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: Selector(svc)},
			Template: tmpl,
			Strategy: appsv1.DeploymentStrategy{
				Type:          appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavailable},
			},
			ProgressDeadlineSeconds: ptr.To[int32](ProgressDeadlineSeconds),
			RevisionHistoryLimit:    ptr.To[int32](2),
		},
	}, problems
}

// MakeService builds the service's Kubernetes Service: port 80 (http) to the instances'
// port. The activator routes to the ready endpoints of its EndpointSlices.
func MakeService(svc *apprunnerv1alpha1.AppRunnerService) *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: childMeta(svc, ServiceName(svc)),
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: Selector(svc),
			Ports: []corev1.ServicePort{{
				Name: PortName, Port: ServicePort, TargetPort: intstr.FromString(PortName), Protocol: corev1.ProtocolTCP,
			}},
		},
	}
}

// MakeIngress builds the Ingress of a public service (nil for a private one): its host
// routed to its Kubernetes Service, for clusters whose ingress controller routes external
// traffic. The activator remains the front door that terminates TLS for the host, holds
// requests while the service scales from zero and feeds the autoscaler: requests that take
// this Ingress straight to the instances skip it.
func MakeIngress(svc *apprunnerv1alpha1.AppRunnerService, domain string) *networkingv1.Ingress {
	if !IsPublic(svc) {
		return nil
	}
	return &networkingv1.Ingress{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "Ingress"},
		ObjectMeta: childMeta(svc, IngressName(svc)),
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{
			Host: Host(svc.Name, svc.Namespace, domain),
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
				Paths: []networkingv1.HTTPIngressPath{{
					Path:     "/",
					PathType: ptr.To(networkingv1.PathTypePrefix),
					Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
						Name: ServiceName(svc), Port: networkingv1.ServiceBackendPort{Name: PortName},
					}},
				}},
			}},
		}}},
	}
}

// MakeServiceAccount builds the ServiceAccount of a service with an instance role (nil
// without one), annotated with the role as EKS's IAM roles for service accounts expect.
func MakeServiceAccount(svc *apprunnerv1alpha1.AppRunnerService) *corev1.ServiceAccount {
	if !hasInstanceRole(svc) {
		return nil
	}
	meta := childMeta(svc, ServiceAccountName(svc))
	meta.Annotations = map[string]string{RoleArnAnnotation: svc.Spec.InstanceConfiguration.InstanceRoleArn}
	return &corev1.ServiceAccount{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta: meta,
	}
}
