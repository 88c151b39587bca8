package activator

import (
	"net"
	"slices"
	"strconv"
	"strings"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/apprunner"
)

// httpPortName is the name of the port of an App Runner service's Kubernetes Service (and so
// of its EndpointSlices' port) that the activator sends requests to.
const httpPortName = "http"

// Route is where the requests for one service host go.
type Route struct {
	// Service is the AppRunnerService.
	Service types.NamespacedName
	// Paused services answer 503 without queuing.
	Paused bool
	// Private services (isPubliclyAccessible: false) are served on the internal listeners
	// only; the public ones answer 404 for them, as if they did not exist.
	Private bool
	// Backends are the ready instances as ip:port, sorted, without duplicates.
	Backends []string
}

// Table maps a service host (apprunner.Host, lower case) to its route.
type Table map[string]Route

// BuildTable is the route table of services, given every EndpointSlice that may belong to
// them (others are ignored): one route per service with an image source, on host
// apprunner.Host(name, namespace, domain).
func BuildTable(domain string, services []apprunnerv1alpha1.AppRunnerService, endpointSlices []discoveryv1.EndpointSlice) Table {
	bySvc := map[types.NamespacedName][]discoveryv1.EndpointSlice{}
	for _, s := range endpointSlices {
		name := s.Labels[discoveryv1.LabelServiceName]
		if name == "" {
			continue
		}
		key := types.NamespacedName{Namespace: s.Namespace, Name: name}
		bySvc[key] = append(bySvc[key], s)
	}
	t := Table{}
	for i := range services {
		svc := &services[i]
		key := types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}
		if r, ok := RouteFor(svc, bySvc[key]); ok {
			t[apprunner.Host(svc.Name, svc.Namespace, domain)] = r
		}
	}
	return t
}

// RouteFor is the route of svc given the EndpointSlices of its Kubernetes Service; false
// when the service gets none (a code repository source, which kube-ecs does not build).
func RouteFor(svc *apprunnerv1alpha1.AppRunnerService, endpointSlices []discoveryv1.EndpointSlice) (Route, bool) {
	if svc.Spec.SourceConfiguration.CodeRepository != nil {
		return Route{}, false
	}
	r := Route{
		Service: types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name},
		Paused:  svc.Spec.Paused,
		Private: !apprunner.IsPublic(svc),
	}
	for i := range endpointSlices {
		r.Backends = append(r.Backends, readyBackends(&endpointSlices[i])...)
	}
	slices.Sort(r.Backends)
	r.Backends = slices.Compact(r.Backends)
	return r, true
}

// readyBackends are the ip:port of the ready endpoints of s, on the port named http (else
// the slice's first port: an EndpointSlice's port number is the Service's targetPort).
func readyBackends(s *discoveryv1.EndpointSlice) []string {
	if s.AddressType != discoveryv1.AddressTypeIPv4 && s.AddressType != discoveryv1.AddressTypeIPv6 {
		return nil
	}
	var port *int32
	for i, p := range s.Ports {
		if i == 0 || (p.Name != nil && *p.Name == httpPortName) {
			port = p.Port
		}
		if p.Name != nil && *p.Name == httpPortName {
			break
		}
	}
	if port == nil {
		return nil
	}
	var out []string
	for _, e := range s.Endpoints {
		// The API: a nil ready condition is to be read as ready.
		if e.Conditions.Ready != nil && !*e.Conditions.Ready {
			continue
		}
		if len(e.Addresses) == 0 {
			continue
		}
		out = append(out, net.JoinHostPort(e.Addresses[0], strconv.Itoa(int(*port))))
	}
	return out
}

// normalizeHost is the route table key of a request's Host or a TLS server name: lower
// case, without a port or a trailing dot.
func normalizeHost(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.ToLower(strings.TrimSuffix(host, "."))
}
