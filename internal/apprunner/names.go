package apprunner

import (
	"fmt"
	"strings"
)

// Labels and annotations of App Runner services' objects.
const (
	// ServiceLabel names the AppRunnerService on its Deployment, pods, Service and Ingress.
	ServiceLabel = "apprunner.kube-ecs.io/service"
	// StartDeploymentAnnotation on an AppRunnerService: a new value starts a deployment of
	// the same spec (StartDeployment), as kubectl rollout restart does.
	StartDeploymentAnnotation = "apprunner.kube-ecs.io/start-deployment"
	// AutoscalerFieldManager is the field manager of the autoscaler's writes of replicas.
	AutoscalerFieldManager = "kube-ecs-autoscaler"
	// DefaultDomain is the domain of service hosts when none is configured.
	DefaultDomain = "apps.kube-ecs.local"
	// StatsPath is where an activator serves its Stats (on its health port).
	StatsPath = "/stats"
)

// Host is the host name of service name in namespace: <name>.<namespace>.<domain>.
func Host(name, namespace, domain string) string {
	return fmt.Sprintf("%s.%s.%s", name, namespace, domain)
}

// ServiceURL is the service's serviceUrl: https://<host>.
func ServiceURL(name, namespace, domain string) string {
	return "https://" + Host(name, namespace, domain)
}

// ParseHost splits <name>.<namespace>.<domain> (lower-cased, without a port or trailing dot);
// false for any other host.
func ParseHost(host, domain string) (name, namespace string, ok bool) {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	rest, ok := strings.CutSuffix(host, "."+strings.ToLower(domain))
	if !ok {
		return "", "", false
	}
	name, namespace, ok = strings.Cut(rest, ".")
	if !ok || name == "" || namespace == "" || strings.Contains(namespace, ".") {
		return "", "", false
	}
	return name, namespace, true
}
