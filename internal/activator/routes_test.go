package activator

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
)

const testDomain = "apps.example.com"

func makeService(ns, name string, paused bool) apprunnerv1alpha1.AppRunnerService {
	return apprunnerv1alpha1.AppRunnerService{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: apprunnerv1alpha1.AppRunnerServiceSpec{
			Paused: paused,
			SourceConfiguration: apprunnerv1alpha1.SourceConfiguration{
				ImageRepository: &apprunnerv1alpha1.ImageRepository{ImageIdentifier: "web:1", ImageRepositoryType: "ECR_PUBLIC"},
			},
		},
	}
}

type ep struct {
	ip    string
	ready *bool
}

func makeSlice(ns, name, service string, addrType discoveryv1.AddressType, ports []discoveryv1.EndpointPort, eps ...ep) discoveryv1.EndpointSlice {
	s := discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{discoveryv1.LabelServiceName: service}},
		AddressType: addrType,
		Ports:       ports,
	}
	for _, e := range eps {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{e.ip}, Conditions: discoveryv1.EndpointConditions{Ready: e.ready}})
	}
	return s
}

func port(name string, n int32) discoveryv1.EndpointPort {
	p := discoveryv1.EndpointPort{Port: ptr.To(n)}
	if name != "" {
		p.Name = ptr.To(name)
	}
	return p
}

func TestBuildTable(t *testing.T) {
	code := makeService("team-a", "built", false)
	code.Spec.SourceConfiguration = apprunnerv1alpha1.SourceConfiguration{CodeRepository: &apprunnerv1alpha1.CodeRepository{RepositoryURL: "https://example.com/r"}}
	services := []apprunnerv1alpha1.AppRunnerService{
		makeService("team-a", "web", false),
		makeService("team-a", "idle", false),
		makeService("team-b", "web", true),
		makeService("team-b", "v6", false),
		code,
	}
	http8080 := []discoveryv1.EndpointPort{port("metrics", 9090), port("http", 8080)}
	slices := []discoveryv1.EndpointSlice{
		// Ready (nil counts as ready), not ready, and the same endpoint in two slices.
		makeSlice("team-a", "web-1", "web", discoveryv1.AddressTypeIPv4, http8080,
			ep{"10.0.0.2", ptr.To(true)}, ep{"10.0.0.1", nil}, ep{"10.0.0.3", ptr.To(false)}),
		makeSlice("team-a", "web-2", "web", discoveryv1.AddressTypeIPv4, http8080, ep{"10.0.0.2", ptr.To(true)}),
		// No port named http: the first port.
		makeSlice("team-b", "web-1", "web", discoveryv1.AddressTypeIPv4, []discoveryv1.EndpointPort{port("", 3000)}, ep{"10.1.0.1", nil}),
		makeSlice("team-b", "v6-1", "v6", discoveryv1.AddressTypeIPv6, http8080, ep{"fd00::1", nil}),
		// Ignored: FQDN, no port, another Service, no service label.
		makeSlice("team-b", "v6-2", "v6", discoveryv1.AddressTypeFQDN, http8080, ep{"example.com", nil}),
		makeSlice("team-b", "v6-3", "v6", discoveryv1.AddressTypeIPv6, nil, ep{"fd00::2", nil}),
		makeSlice("team-a", "other-1", "other", discoveryv1.AddressTypeIPv4, http8080, ep{"10.9.0.1", nil}),
		makeSlice("team-a", "idle-1", "", discoveryv1.AddressTypeIPv4, http8080, ep{"10.9.0.2", nil}),
		makeSlice("team-a", "built-1", "built", discoveryv1.AddressTypeIPv4, http8080, ep{"10.9.0.3", nil}),
	}
	want := Table{
		"web.team-a.apps.example.com":  {Service: types.NamespacedName{Namespace: "team-a", Name: "web"}, Backends: []string{"10.0.0.1:8080", "10.0.0.2:8080"}},
		"idle.team-a.apps.example.com": {Service: types.NamespacedName{Namespace: "team-a", Name: "idle"}},
		"web.team-b.apps.example.com":  {Service: types.NamespacedName{Namespace: "team-b", Name: "web"}, Paused: true, Backends: []string{"10.1.0.1:3000"}},
		"v6.team-b.apps.example.com":   {Service: types.NamespacedName{Namespace: "team-b", Name: "v6"}, Backends: []string{"[fd00::1]:8080"}},
	}
	if diff := cmp.Diff(want, BuildTable(testDomain, services, slices)); diff != "" {
		t.Errorf("BuildTable (-want +got):\n%s", diff)
	}
}

func TestNormalizeHost(t *testing.T) {
	for in, want := range map[string]string{
		"Web.Team-A.apps.example.com:8443": "web.team-a.apps.example.com",
		"web.team-a.apps.example.com.":     "web.team-a.apps.example.com",
		"[::1]:80":                         "::1",
		"":                                 "",
	} {
		if got := normalizeHost(in); got != want {
			t.Errorf("normalizeHost(%q) = %q, want %q", in, got, want)
		}
	}
}
