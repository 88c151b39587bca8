// Package apicheck tells a process, at start-up, whether the API server it talks to serves
// the kube-ecs API, so that a missing CRD is a clear error instead of endless retries.
package apicheck

import (
	"fmt"
	"strings"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// Required lists the kinds each group version must serve.
var Required = map[string][]string{
	ecsv1alpha1.GroupVersion.String():       {"Cluster", "TaskDefinition", "Task", "Service", "ContainerInstance"},
	apprunnerv1alpha1.GroupVersion.String(): {"AppRunnerService"},
}

// CRDsInstalled returns an error naming every kube-ecs kind the API server does not serve.
func CRDsInstalled(cfg *rest.Config) error {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return fmt.Errorf("creating a discovery client: %w", err)
	}
	var missing []string
	for gv, kinds := range Required {
		list, err := dc.ServerResourcesForGroupVersion(gv)
		served := map[string]bool{}
		if err == nil {
			for _, r := range list.APIResources {
				served[r.Kind] = true
			}
		}
		for _, k := range kinds {
			if !served[k] {
				missing = append(missing, k+"."+strings.SplitN(gv, "/", 2)[0])
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the API server does not serve %s: install the kube-ecs CRDs first (kubectl apply -k config/crd, or helm install kube-ecs charts/kube-ecs)", strings.Join(missing, ", "))
	}
	return nil
}
