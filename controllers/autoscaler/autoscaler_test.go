package autoscaler

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/utils/ptr"
)

func endpoint(ip string, ready, serving, terminating *bool, pod string) discoveryv1.Endpoint {
	ep := discoveryv1.Endpoint{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: ready, Serving: serving, Terminating: terminating}}
	if pod != "" {
		ep.TargetRef = &corev1.ObjectReference{Kind: "Pod", Namespace: "kube-ecs-system", Name: pod}
	}
	return ep
}

func TestActivatorAddresses(t *testing.T) {
	yes, no := ptr.To(true), ptr.To(false)
	slices := []discoveryv1.EndpointSlice{{
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{
			endpoint("10.0.0.1", yes, yes, no, "a"),
			endpoint("10.0.0.2", nil, nil, nil, "b"),       // unknown conditions: ready
			endpoint("10.0.0.3", no, yes, no, "c"),         // not ready but serving
			endpoint("10.0.0.4", no, no, no, "d"),          // starting
			endpoint("10.0.0.5", no, yes, yes, "e"),        // terminating
			endpoint("10.0.0.6", yes, nil, nil, ""),        // no pod reference
			endpoint("10.0.0.6", yes, nil, nil, ""),        // the same address twice
			{Conditions: discoveryv1.EndpointConditions{}}, // no address
		},
	}, {
		AddressType: discoveryv1.AddressTypeIPv6,
		Endpoints:   []discoveryv1.Endpoint{endpoint("fd00::1", yes, yes, no, "a"), endpoint("fd00::7", yes, yes, no, "g")},
	}, {
		AddressType: discoveryv1.AddressTypeFQDN,
		Endpoints:   []discoveryv1.Endpoint{endpoint("activator.example.com", yes, yes, no, "h")},
	}}
	want := []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.6", "fd00::7"}
	if diff := cmp.Diff(want, activatorAddresses(slices)); diff != "" {
		t.Errorf("activatorAddresses (-want +got):\n%s", diff)
	}
}
