package resources

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// Port is a port of a service's Kubernetes Service: the container port a load balancer or
// the registry names.
type Port struct {
	Name      string
	Port      int32
	Protocol  corev1.Protocol
	Ingress   *ecsv1alpha1.LoadBalancerIngress
	Container string
}

func childMeta(svc *ecsv1alpha1.Service, name, cluster string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:            name,
		Namespace:       svc.Namespace,
		Labels:          map[string]string{ecsv1alpha1.ServiceLabel: svc.Name, ecsv1alpha1.ClusterLabel: cluster},
		OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(svc, ecsv1alpha1.GroupVersion.WithKind("Service"))},
	}
}

func servicePorts(ports []Port) []corev1.ServicePort {
	out := make([]corev1.ServicePort, 0, len(ports))
	for _, p := range ports {
		out = append(out, corev1.ServicePort{
			Name: p.Name, Port: p.Port, TargetPort: intstr.FromInt32(p.Port), Protocol: p.Protocol,
		})
	}
	return out
}

// MakeLoadBalancerService builds the Kubernetes Service that plays the service's target
// groups: it selects every task of the service (PRIMARY and ACTIVE deployments), and only
// ready tasks receive traffic.
func MakeLoadBalancerService(svc *ecsv1alpha1.Service, cluster string, ports []Port) *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: childMeta(svc, LoadBalancerServiceName(svc), cluster),
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: ServiceSelector(svc),
			Ports:    servicePorts(ports),
		},
	}
}

// MakeDiscoveryService builds the headless Service of the service's registry: DNS answers
// with the addresses (and SRV records) of its healthy tasks, as a Cloud Map namespace does.
func MakeDiscoveryService(svc *ecsv1alpha1.Service, cluster string, ports []Port) *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: childMeta(svc, DiscoveryServiceName(svc), cluster),
		Spec: corev1.ServiceSpec{
			Type:      corev1.ServiceTypeClusterIP,
			ClusterIP: corev1.ClusterIPNone,
			Selector:  ServiceSelector(svc),
			Ports:     servicePorts(ports),
		},
	}
}

// MakeIngress builds the Ingress of the load balancers that ask for HTTP ingress, all
// through the Kubernetes Service of the load balancers. nil when none asks.
func MakeIngress(svc *ecsv1alpha1.Service, cluster string, ports []Port) *networkingv1.Ingress {
	var class string
	var rules []networkingv1.IngressRule
	for _, p := range ports {
		if p.Ingress == nil {
			continue
		}
		if class == "" {
			class = p.Ingress.IngressClassName
		}
		path := p.Ingress.Path
		if path == "" {
			path = "/"
		}
		rules = append(rules, networkingv1.IngressRule{
			Host: p.Ingress.Host,
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
				Paths: []networkingv1.HTTPIngressPath{{
					Path:     path,
					PathType: ptr.To(networkingv1.PathTypePrefix),
					Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
						Name: LoadBalancerServiceName(svc), Port: networkingv1.ServiceBackendPort{Number: p.Port},
					}},
				}},
			}},
		})
	}
	if len(rules) == 0 {
		return nil
	}
	ing := &networkingv1.Ingress{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "Ingress"},
		ObjectMeta: childMeta(svc, IngressName(svc), cluster),
		Spec:       networkingv1.IngressSpec{Rules: rules},
	}
	if class != "" {
		ing.Spec.IngressClassName = ptr.To(class)
	}
	return ing
}

// PortName names a Service port after its container and number, within 15 characters as
// IANA service names must be for SRV records.
func PortName(container string, port int32, protocol corev1.Protocol) string {
	suffix := fmt.Sprintf("-%d", port)
	if protocol == corev1.ProtocolUDP {
		suffix += "u"
	}
	room := 15 - len(suffix)
	name := container
	if len(name) > room {
		name = name[:room]
	}
	for len(name) > 0 && (name[len(name)-1] == '-') {
		name = name[:len(name)-1]
	}
	if name == "" || name[0] < 'a' || name[0] > 'z' {
		name = "p" + name
		if len(name) > room {
			name = name[:room]
		}
	}
	return name + suffix
}
