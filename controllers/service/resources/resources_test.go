package resources

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/capacity"
	"github.com/kube-ecs/kube-ecs/internal/rollout"
)

const deploymentID = "ecs-svc/1234567890123456789"

func service(name string) *ecsv1alpha1.Service {
	return &ecsv1alpha1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "team-a", UID: types.UID("svc-uid")}}
}

func template() Template {
	return Template{
		Cluster: "prod", Family: "web", Revision: 3,
		DeploymentID: deploymentID, SpecHash: "0123456789abcdef",
		PodSpec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{
				{Name: "app", Image: "registry.example/app:3", Ports: []corev1.ContainerPort{{ContainerPort: 8080, Protocol: corev1.ProtocolTCP}}},
				{Name: "sidecar", Image: "registry.example/sidecar:1"},
			},
		},
		Annotations: map[string]string{ecsv1alpha1.EssentialContainersAnnotation: "app"},
	}
}

func ec2Part(name string, replicas int32, b rollout.Bounds) Part {
	return Part{Name: name, Placement: capacity.Placement{LaunchType: ecsv1alpha1.LaunchTypeEC2}, Replicas: replicas, Bounds: b}
}

func controllerRef(svc *ecsv1alpha1.Service) []metav1.OwnerReference {
	return []metav1.OwnerReference{{
		APIVersion: ecsv1alpha1.GroupVersion.String(), Kind: "Service", Name: svc.Name, UID: svc.UID,
		Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
	}}
}

func TestMakeDeployment(t *testing.T) {
	svc := service("web")
	d := MakeDeployment(svc, template(), ec2Part("web", 3, rollout.Bounds{MaxSurge: 3, MaxUnavailable: 1}), false)

	wantMeta := metav1.ObjectMeta{
		Name: "web", Namespace: "team-a",
		Labels: map[string]string{ecsv1alpha1.ServiceLabel: "web", ecsv1alpha1.ClusterLabel: "prod"},
		Annotations: map[string]string{
			ecsv1alpha1.DeploymentIDAnnotation: deploymentID,
			ecsv1alpha1.SpecHashAnnotation:     "0123456789abcdef",
		},
		OwnerReferences: controllerRef(svc),
	}
	if diff := cmp.Diff(wantMeta, d.ObjectMeta); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}
	if d.APIVersion != "apps/v1" || d.Kind != "Deployment" {
		t.Errorf("type meta %v, want apps/v1 Deployment (server-side apply needs it)", d.TypeMeta)
	}
	wantSelector := &metav1.LabelSelector{MatchLabels: map[string]string{ecsv1alpha1.ServiceLabel: "web", ecsv1alpha1.WorkloadLabel: "web"}}
	if diff := cmp.Diff(wantSelector, d.Spec.Selector); diff != "" {
		t.Errorf("selector (-want +got):\n%s", diff)
	}
	wantLabels := map[string]string{
		ecsv1alpha1.ServiceLabel:      "web",
		ecsv1alpha1.WorkloadLabel:     "web",
		ecsv1alpha1.ClusterLabel:      "prod",
		ecsv1alpha1.FamilyLabel:       "web",
		ecsv1alpha1.RevisionLabel:     "3",
		ecsv1alpha1.DeploymentIDLabel: "1234567890123456789",
		ecsv1alpha1.LaunchTypeLabel:   "EC2",
	}
	if diff := cmp.Diff(wantLabels, d.Spec.Template.Labels); diff != "" {
		t.Errorf("template labels (-want +got):\n%s", diff)
	}
	for k, v := range d.Spec.Selector.MatchLabels {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("the selector's %s=%s does not select the template (label %q)", k, v, d.Spec.Template.Labels[k])
		}
	}
	wantAnnotations := map[string]string{
		ecsv1alpha1.EssentialContainersAnnotation: "app",
		ecsv1alpha1.GroupAnnotation:               "service:web",
		ecsv1alpha1.StartedByAnnotation:           deploymentID,
		// An EC2 service's tasks are placed by the ECS scheduler, spread across zones and
		// instances by default.
		ecsv1alpha1.PlacementAnnotation: `{"strategy":[{"type":"spread","field":"attribute:ecs.availability-zone"},{"type":"spread","field":"instanceId"}]}`,
	}
	if d.Spec.Template.Spec.SchedulerName != ecsv1alpha1.SchedulerName {
		t.Errorf("schedulerName %q, want %q", d.Spec.Template.Spec.SchedulerName, ecsv1alpha1.SchedulerName)
	}
	if diff := cmp.Diff(wantAnnotations, d.Spec.Template.Annotations); diff != "" {
		t.Errorf("template annotations (-want +got):\n%s", diff)
	}
	wantStrategy := appsv1.DeploymentStrategy{
		Type: appsv1.RollingUpdateDeploymentStrategyType,
		RollingUpdate: &appsv1.RollingUpdateDeployment{
			MaxSurge: ptr.To(intstr.FromInt32(3)), MaxUnavailable: ptr.To(intstr.FromInt32(1)),
		},
	}
	if diff := cmp.Diff(wantStrategy, d.Spec.Strategy); diff != "" {
		t.Errorf("strategy (-want +got):\n%s", diff)
	}
	spec := d.Spec.Template.Spec
	if *d.Spec.Replicas != 3 || d.Spec.Paused || spec.RestartPolicy != corev1.RestartPolicyAlways {
		t.Errorf("replicas %d, paused %v, restartPolicy %s; want 3, false, Always", *d.Spec.Replicas, d.Spec.Paused, spec.RestartPolicy)
	}
	if d.Spec.MinReadySeconds != FortySecondRule {
		t.Errorf("minReadySeconds %d without health check or target, want %d", d.Spec.MinReadySeconds, FortySecondRule)
	}
	if spec.EnableServiceLinks == nil || *spec.EnableServiceLinks {
		t.Errorf("enableServiceLinks %v, want false", spec.EnableServiceLinks)
	}
	for _, c := range spec.Containers {
		if c.ReadinessProbe != nil || c.Lifecycle != nil {
			t.Errorf("container %s has a probe or lifecycle without a load balancer: %+v %+v", c.Name, c.ReadinessProbe, c.Lifecycle)
		}
	}
	if spec.TerminationGracePeriodSeconds != nil {
		t.Errorf("terminationGracePeriodSeconds %d without a load balancer, want unset", *spec.TerminationGracePeriodSeconds)
	}

	if p := MakeDeployment(svc, template(), ec2Part("web", 3, rollout.Bounds{MaxSurge: 3}), true); !p.Spec.Paused {
		t.Error("paused deployment is not paused")
	}
}

func TestMakeDeploymentDoesNotAliasTheTemplate(t *testing.T) {
	tmpl := template()
	tmpl.Targets = []Target{{Container: "app", Port: 8080}}
	tmpl.DrainSeconds = 5
	MakeDeployment(service("web"), tmpl, ec2Part("web", 1, rollout.Bounds{MaxSurge: 1}), false)
	if tmpl.PodSpec.Containers[0].ReadinessProbe != nil || tmpl.PodSpec.RestartPolicy != corev1.RestartPolicyNever {
		t.Error("MakeDeployment changed the template's pod spec")
	}
	if _, ok := tmpl.Annotations[ecsv1alpha1.StartedByAnnotation]; ok {
		t.Error("MakeDeployment changed the template's annotations")
	}
}

func TestMinReadySeconds(t *testing.T) {
	for _, tc := range []struct {
		name string
		tmpl func(*Template)
		want int32
	}{
		{"no health check, no target", func(*Template) {}, FortySecondRule},
		{"health check", func(t *Template) { t.HealthChecked = true }, 0},
		{"load balancer target", func(t *Template) { t.Targets = []Target{{Container: "app", Port: 8080}} }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmpl := template()
			tc.tmpl(&tmpl)
			if got := MinReadySeconds(tmpl); got != tc.want {
				t.Errorf("MinReadySeconds = %d, want %d", got, tc.want)
			}
			d := MakeDeployment(service("web"), tmpl, ec2Part("web", 1, rollout.Bounds{MaxSurge: 1}), false)
			if d.Spec.MinReadySeconds != tc.want {
				t.Errorf("Deployment minReadySeconds = %d, want %d", d.Spec.MinReadySeconds, tc.want)
			}
			ds := MakeDaemonSet(service("web"), tmpl, ec2Part("web", 0, rollout.Bounds{}))
			if ds.Spec.MinReadySeconds != tc.want {
				t.Errorf("DaemonSet minReadySeconds = %d, want %d", ds.Spec.MinReadySeconds, tc.want)
			}
		})
	}
}

func TestMakePodTemplateTargetsAndDrain(t *testing.T) {
	ownProbe := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(9090)}}}
	ownPreStop := &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"/bin/drain"}}}
	tmpl := template()
	tmpl.PodSpec.Containers = append(tmpl.PodSpec.Containers, corev1.Container{
		Name: "admin", Image: "registry.example/admin:1", ReadinessProbe: ownProbe,
		Lifecycle: &corev1.Lifecycle{PreStop: ownPreStop},
	})
	tmpl.PodSpec.TerminationGracePeriodSeconds = ptr.To[int64](10)
	tmpl.Targets = []Target{{Container: "app", Port: 8080}, {Container: "admin", Port: 9090}}
	tmpl.DrainSeconds = 20

	spec := MakePodTemplate(service("web"), tmpl, ec2Part("web", 1, rollout.Bounds{})).Spec
	app, sidecar, admin := spec.Containers[0], spec.Containers[1], spec.Containers[2]

	wantProbe := &corev1.Probe{
		ProbeHandler:  corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(8080)}},
		PeriodSeconds: 5, TimeoutSeconds: 2, SuccessThreshold: 1, FailureThreshold: 2,
	}
	if diff := cmp.Diff(wantProbe, app.ReadinessProbe); diff != "" {
		t.Errorf("target container's readiness probe (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(ownProbe, admin.ReadinessProbe); diff != "" {
		t.Errorf("a target container's own probe was replaced (-want +got):\n%s", diff)
	}
	if sidecar.ReadinessProbe != nil {
		t.Errorf("a container that is no target got a probe: %+v", sidecar.ReadinessProbe)
	}
	sleep := &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 20}}
	for _, c := range []corev1.Container{app, sidecar} {
		if c.Lifecycle == nil || !cmp.Equal(sleep, c.Lifecycle.PreStop) {
			t.Errorf("container %s preStop %+v, want a 20s sleep", c.Name, c.Lifecycle)
		}
	}
	if diff := cmp.Diff(ownPreStop, admin.Lifecycle.PreStop); diff != "" {
		t.Errorf("a container's own preStop was replaced (-want +got):\n%s", diff)
	}
	if g := spec.TerminationGracePeriodSeconds; g == nil || *g != 30 {
		t.Errorf("terminationGracePeriodSeconds %v, want the task's 10 + 20 drain seconds", g)
	}

	tmpl.PodSpec.TerminationGracePeriodSeconds = nil
	spec = MakePodTemplate(service("web"), tmpl, ec2Part("web", 1, rollout.Bounds{})).Spec
	if g := spec.TerminationGracePeriodSeconds; g == nil || *g != 50 {
		t.Errorf("terminationGracePeriodSeconds %v, want Kubernetes' default 30 + 20 drain seconds", g)
	}
}

func TestMakePodTemplatePlacement(t *testing.T) {
	tmpl := template()
	tmpl.PodSpec.NodeSelector = map[string]string{"kubernetes.io/os": "linux"}
	tmpl.PodSpec.Tolerations = []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpExists}}
	pools := capacity.DefaultPools()
	part := Part{
		Name:      "web-fargate-spot",
		Placement: capacity.For(nil, ecsv1alpha1.LaunchTypeFargate, ecsv1alpha1.CapacityProviderFargateSpot, pools),
		Replicas:  2,
	}
	pt := MakePodTemplate(service("web"), tmpl, part)
	wantSelector := map[string]string{"kubernetes.io/os": "linux", capacity.PoolLabel: "fargate-spot"}
	if diff := cmp.Diff(wantSelector, pt.Spec.NodeSelector); diff != "" {
		t.Errorf("nodeSelector (-want +got):\n%s", diff)
	}
	wantTolerations := append(append([]corev1.Toleration{}, tmpl.PodSpec.Tolerations...), pools.FargateSpot.Tolerations...)
	if diff := cmp.Diff(wantTolerations, pt.Spec.Tolerations); diff != "" {
		t.Errorf("tolerations (-want +got):\n%s", diff)
	}
	if pt.Labels[ecsv1alpha1.CapacityProviderLabel] != "FARGATE_SPOT" || pt.Labels[ecsv1alpha1.LaunchTypeLabel] != "FARGATE" {
		t.Errorf("labels %v, want capacity provider FARGATE_SPOT and launch type FARGATE", pt.Labels)
	}
	if len(tmpl.PodSpec.NodeSelector) != 1 {
		t.Errorf("the template's nodeSelector was changed: %v", tmpl.PodSpec.NodeSelector)
	}
}

func TestMakeDaemonSet(t *testing.T) {
	svc := service("agent")
	for _, tc := range []struct {
		name            string
		bounds          rollout.Bounds
		wantUnavailable int32
	}{
		{"minimumHealthyPercent 100 still replaces one at a time", rollout.Bounds{}, 1},
		{"room from minimumHealthyPercent", rollout.Bounds{MaxUnavailable: 4}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds := MakeDaemonSet(svc, template(), ec2Part("agent", 0, tc.bounds))
			if ds.APIVersion != "apps/v1" || ds.Kind != "DaemonSet" || ds.Name != "agent" || ds.Namespace != "team-a" {
				t.Errorf("identity %v %s/%s", ds.TypeMeta, ds.Namespace, ds.Name)
			}
			if diff := cmp.Diff(controllerRef(svc), ds.OwnerReferences); diff != "" {
				t.Errorf("owner references (-want +got):\n%s", diff)
			}
			want := appsv1.DaemonSetUpdateStrategy{
				Type: appsv1.RollingUpdateDaemonSetStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDaemonSet{
					MaxUnavailable: ptr.To(intstr.FromInt32(tc.wantUnavailable)), MaxSurge: ptr.To(intstr.FromInt32(0)),
				},
			}
			if diff := cmp.Diff(want, ds.Spec.UpdateStrategy); diff != "" {
				t.Errorf("update strategy (-want +got):\n%s", diff)
			}
			if ds.Spec.Selector.MatchLabels[ecsv1alpha1.WorkloadLabel] != "agent" || ds.Spec.Template.Labels[ecsv1alpha1.WorkloadLabel] != "agent" {
				t.Errorf("selector %v, template labels %v", ds.Spec.Selector, ds.Spec.Template.Labels)
			}
			if ds.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyAlways {
				t.Errorf("restartPolicy %s, want Always", ds.Spec.Template.Spec.RestartPolicy)
			}
			if ds.Spec.Template.Annotations[ecsv1alpha1.StartedByAnnotation] != deploymentID {
				t.Errorf("started-by %q", ds.Spec.Template.Annotations[ecsv1alpha1.StartedByAnnotation])
			}
		})
	}
}

func lbPort(ing *ecsv1alpha1.LoadBalancerIngress) Port {
	return Port{Name: "app-8080", Port: 8080, Protocol: corev1.ProtocolTCP, Container: "app", Ingress: ing}
}

func TestMakeLoadBalancerService(t *testing.T) {
	svc := service("web")
	got := MakeLoadBalancerService(svc, "prod", []Port{lbPort(nil), {Name: "app-53u", Port: 53, Protocol: corev1.ProtocolUDP, Container: "app"}})
	want := &corev1.Service{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{
			Name: "web", Namespace: "team-a",
			Labels:          map[string]string{ecsv1alpha1.ServiceLabel: "web", ecsv1alpha1.ClusterLabel: "prod"},
			OwnerReferences: controllerRef(svc),
		},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: map[string]string{ecsv1alpha1.ServiceLabel: "web"},
			Ports: []corev1.ServicePort{
				{Name: "app-8080", Port: 8080, TargetPort: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP},
				{Name: "app-53u", Port: 53, TargetPort: intstr.FromInt32(53), Protocol: corev1.ProtocolUDP},
			},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("MakeLoadBalancerService (-want +got):\n%s", diff)
	}
}

func TestMakeDiscoveryService(t *testing.T) {
	svc := service("web")
	got := MakeDiscoveryService(svc, "prod", []Port{lbPort(nil)})
	if got.Name != "web-discovery" || got.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Errorf("name %q clusterIP %q, want web-discovery, headless", got.Name, got.Spec.ClusterIP)
	}
	if diff := cmp.Diff(map[string]string{ecsv1alpha1.ServiceLabel: "web"}, got.Spec.Selector); diff != "" {
		t.Errorf("selector (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(controllerRef(svc), got.OwnerReferences); diff != "" {
		t.Errorf("owner references (-want +got):\n%s", diff)
	}
	if len(got.Spec.Ports) != 1 || got.Spec.Ports[0].Name != "app-8080" {
		t.Errorf("ports %+v", got.Spec.Ports)
	}
	if none := MakeDiscoveryService(svc, "prod", nil); none.Spec.ClusterIP != corev1.ClusterIPNone || len(none.Spec.Ports) != 0 {
		t.Errorf("a registry without ports: %+v", none.Spec)
	}
}

func TestMakeIngress(t *testing.T) {
	svc := service("web")
	if ing := MakeIngress(svc, "prod", []Port{lbPort(nil)}); ing != nil {
		t.Errorf("MakeIngress without ingress rules = %+v, want nil", ing)
	}
	if ing := MakeIngress(svc, "prod", nil); ing != nil {
		t.Errorf("MakeIngress without ports = %+v, want nil", ing)
	}

	got := MakeIngress(svc, "prod", []Port{
		lbPort(&ecsv1alpha1.LoadBalancerIngress{Host: "web.example.com"}),
		{Name: "admin-9090", Port: 9090, Protocol: corev1.ProtocolTCP, Container: "admin",
			Ingress: &ecsv1alpha1.LoadBalancerIngress{Host: "admin.example.com", Path: "/admin", IngressClassName: "nginx"}},
	})
	rule := func(host, path string, port int32) networkingv1.IngressRule {
		return networkingv1.IngressRule{Host: host, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
			Paths: []networkingv1.HTTPIngressPath{{
				Path: path, PathType: ptr.To(networkingv1.PathTypePrefix),
				Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
					Name: "web", Port: networkingv1.ServiceBackendPort{Number: port},
				}},
			}},
		}}}
	}
	want := &networkingv1.Ingress{
		TypeMeta: metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "Ingress"},
		ObjectMeta: metav1.ObjectMeta{
			Name: "web", Namespace: "team-a",
			Labels:          map[string]string{ecsv1alpha1.ServiceLabel: "web", ecsv1alpha1.ClusterLabel: "prod"},
			OwnerReferences: controllerRef(svc),
		},
		Spec: networkingv1.IngressSpec{
			IngressClassName: ptr.To("nginx"),
			Rules:            []networkingv1.IngressRule{rule("web.example.com", "/", 8080), rule("admin.example.com", "/admin", 9090)},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("MakeIngress (-want +got):\n%s", diff)
	}
}

// maxServiceName is the longest service name the CRD accepts (a DNS-1035 label).
var maxServiceName = strings.Repeat("s", 63)

func TestWorkloadName(t *testing.T) {
	for _, tc := range []struct {
		svc, provider, want string
	}{
		{"web", "", "web"},
		{"web", ecsv1alpha1.CapacityProviderFargate, "web-fargate"},
		{"web", ecsv1alpha1.CapacityProviderFargateSpot, "web-fargate-spot"},
		{"web", "spot-pool", "web-spot-pool"},
		{maxServiceName, "", maxServiceName},
	} {
		if got := WorkloadName(service(tc.svc), tc.provider); got != tc.want {
			t.Errorf("WorkloadName(%s, %q) = %q, want %q", tc.svc, tc.provider, got, tc.want)
		}
	}
}

// TestWorkloadNamesAreValidAndDistinct: the names are object names and label values (63
// characters), and no two providers of one service share a workload, whatever their names.
func TestWorkloadNamesAreValidAndDistinct(t *testing.T) {
	providers := []string{
		"", ecsv1alpha1.CapacityProviderFargate, ecsv1alpha1.CapacityProviderFargateSpot,
		"fargate", "Fargate", "fargate-spot", "fargate_spot", "fargate-ec2", "fargate-spot-ec2",
		"spot-pool", "Spot_Pool", "spot.pool", strings.Repeat("p", 255), strings.Repeat("p", 254) + "q",
	}
	for _, svcName := range []string{"web", "a", strings.Repeat("w", 50), maxServiceName} {
		svc := service(svcName)
		seen := map[string]string{}
		for _, p := range providers {
			name := WorkloadName(svc, p)
			if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
				t.Errorf("WorkloadName(%s, %q) = %q: %v", svcName, p, name, errs)
			}
			if errs := validation.IsValidLabelValue(name); len(errs) > 0 {
				t.Errorf("WorkloadName(%s, %q) = %q is no label value: %v", svcName, p, name, errs)
			}
			if other, ok := seen[name]; ok {
				t.Errorf("WorkloadName(%s, %q) = WorkloadName(%s, %q) = %q", svcName, p, svcName, other, name)
			}
			seen[name] = p
		}
		if WorkloadName(svc, "fargate") == WorkloadName(svc, ecsv1alpha1.CapacityProviderFargate) {
			t.Errorf("service %s: the EC2 provider \"fargate\" shares the FARGATE workload", svcName)
		}
	}
}

func TestDiscoveryServiceName(t *testing.T) {
	if got := DiscoveryServiceName(service("web")); got != "web-discovery" {
		t.Errorf("DiscoveryServiceName(web) = %q, want web-discovery", got)
	}
	for _, n := range []string{strings.Repeat("d", 53), strings.Repeat("d", 54), maxServiceName} {
		got := DiscoveryServiceName(service(n))
		if errs := validation.IsDNS1035Label(got); len(errs) > 0 {
			t.Errorf("DiscoveryServiceName(%d characters) = %q: %v", len(n), got, errs)
		}
		if got == n || got == LoadBalancerServiceName(service(n)) {
			t.Errorf("DiscoveryServiceName(%d characters) = %q is the load balancer Service's name", len(n), got)
		}
	}
	if a, b := DiscoveryServiceName(service(maxServiceName)), DiscoveryServiceName(service(maxServiceName[:62]+"t")); a == b {
		t.Errorf("two long services share the discovery Service %q", a)
	}
}

func TestPortName(t *testing.T) {
	for _, tc := range []struct {
		container string
		port      int32
		proto     corev1.Protocol
		want      string
	}{
		{"app", 8080, corev1.ProtocolTCP, "app-8080"},
		{"app", 53, corev1.ProtocolUDP, "app-53u"},
		{"app", 80, corev1.ProtocolSCTP, "app-80"},
		{"a-very-long-container-name", 8080, corev1.ProtocolTCP, "a-very-lon-8080"},
		{"abcdefghi-klmno", 65535, corev1.ProtocolUDP, "abcdefgh-65535u"},
		{"abcdefghi-klmno", 8080, corev1.ProtocolTCP, "abcdefghi-8080"}, // no "--" where the cut falls on a dash
		{"9lives", 80, corev1.ProtocolTCP, "p9lives-80"},
		{"1234567890123", 65535, corev1.ProtocolTCP, "p12345678-65535"},
		{"", 80, corev1.ProtocolTCP, "p-80"},
	} {
		got := PortName(tc.container, tc.port, tc.proto)
		if got != tc.want {
			t.Errorf("PortName(%q, %d, %s) = %q, want %q", tc.container, tc.port, tc.proto, got, tc.want)
		}
		if len(got) > 15 {
			t.Errorf("PortName(%q, %d, %s) = %q: %d characters, more than 15", tc.container, tc.port, tc.proto, got, len(got))
		}
		if errs := validation.IsValidPortName(got); len(errs) > 0 {
			t.Errorf("PortName(%q, %d, %s) = %q: %v", tc.container, tc.port, tc.proto, got, errs)
		}
	}
}
