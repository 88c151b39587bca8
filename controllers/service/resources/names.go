// Package resources builds the Kubernetes objects a Service owns: one Deployment (or
// DaemonSet) per capacity provider of the service's strategy, the Kubernetes Service of its
// load balancers, the headless Service of its service registry, and the Ingress of its HTTP
// rules. Builders are pure: no client, no clock, no environment.
package resources

import (
	"crypto/sha256"
	"encoding/hex"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/names"
)

// maxName is the longest object name the builders make: names are also label values.
const maxName = 63

// WorkloadName is the name of the Deployment (or DaemonSet) that runs the service's tasks on
// provider: the service's own name when the service has no capacity provider strategy, so
// that `kubectl rollout status deploy/<service>` works; else <service>-<provider>.
func WorkloadName(svc *ecsv1alpha1.Service, provider string) string {
	switch provider {
	case "":
		return svc.Name
	case ecsv1alpha1.CapacityProviderFargate, ecsv1alpha1.CapacityProviderFargateSpot:
		suffix := names.Kube(provider, maxName, true)
		if name := svc.Name + "-" + suffix; len(name) <= maxName {
			return name
		}
		// Too long: hashed with the provider's own name, which no EC2 provider may have
		// (an EC2 provider "fargate" hashes "fargate").
		return suffixed(svc.Name, suffix, provider)
	}
	suffix := names.Kube(provider, maxName, true)
	if suffix == "fargate" || suffix == "fargate-spot" {
		suffix += "-ec2" // never the name of the Fargate providers' workloads
	}
	return suffixed(svc.Name, suffix, provider)
}

// LoadBalancerServiceName is the Kubernetes Service of the service's load balancers.
func LoadBalancerServiceName(svc *ecsv1alpha1.Service) string { return svc.Name }

// DiscoveryServiceName is the headless Service of the service's registry: what Cloud Map's
// DNS namespace answers for the service on AWS.
func DiscoveryServiceName(svc *ecsv1alpha1.Service) string {
	return suffixed(svc.Name, "discovery", "")
}

// IngressName is the Ingress of the service's HTTP load balancer rules.
func IngressName(svc *ecsv1alpha1.Service) string { return svc.Name }

// suffixed is base-suffix, shortened with a hash of the original suffix when it is too long
// or (original != "") the suffix is not the original name unchanged.
func suffixed(base, suffix, original string) string {
	name := base + "-" + suffix
	if len(name) <= maxName && (original == "" || suffix == original) {
		return name
	}
	if original == "" {
		original = suffix
	}
	sum := sha256.Sum256([]byte(base + "/" + original))
	h := hex.EncodeToString(sum[:])[:8]
	room := maxName - len(h) - 1
	if len(name) > room {
		name = name[:room]
	}
	for len(name) > 0 && name[len(name)-1] == '-' {
		name = name[:len(name)-1]
	}
	return name + "-" + h
}
