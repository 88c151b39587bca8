package api_test

import (
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"

	"github.com/kube-ecs/kube-ecs/internal/apicheck"
)

// TestKindsServed checks every kind is served, in the ecs category, with its short names,
// so that `kubectl get ecs` lists them all and `kubectl get ecssvc` is not ambiguous.
func TestKindsServed(t *testing.T) {
	dc, err := discovery.NewDiscoveryClientForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		gv         string
		shortNames []string
	}{
		"clusters":           {"ecs.kube-ecs.io/v1alpha1", []string{"ecscluster"}},
		"taskdefinitions":    {"ecs.kube-ecs.io/v1alpha1", []string{"taskdef", "td"}},
		"tasks":              {"ecs.kube-ecs.io/v1alpha1", []string{"ecstask"}},
		"services":           {"ecs.kube-ecs.io/v1alpha1", []string{"ecsservice", "ecssvc"}},
		"containerinstances": {"ecs.kube-ecs.io/v1alpha1", []string{"ci", "ecsinstance"}},
		"apprunnerservices":  {"apprunner.kube-ecs.io/v1alpha1", []string{"ars", "apprunner"}},
	}
	for plural, w := range want {
		list, err := dc.ServerResourcesForGroupVersion(w.gv)
		if err != nil {
			t.Fatalf("%s not served: %v", w.gv, err)
		}
		i := slices.IndexFunc(list.APIResources, func(r metav1.APIResource) bool { return r.Name == plural })
		if i < 0 {
			t.Errorf("%s/%s is not served", w.gv, plural)
			continue
		}
		r := list.APIResources[i]
		if !r.Namespaced {
			t.Errorf("%s is cluster-scoped; every kube-ecs kind is namespaced", plural)
		}
		if !slices.Contains(r.Categories, "ecs") {
			t.Errorf("%s categories = %v, want ecs", plural, r.Categories)
		}
		for _, s := range w.shortNames {
			if !slices.Contains(r.ShortNames, s) {
				t.Errorf("%s short names = %v, want %s", plural, r.ShortNames, s)
			}
		}
	}
}

// TestAPICheck is what the manager and agent run at start-up: it must find every kind.
func TestAPICheck(t *testing.T) {
	if err := apicheck.CRDsInstalled(env.Config); err != nil {
		t.Fatal(err)
	}
}
