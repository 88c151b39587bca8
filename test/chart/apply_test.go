//go:build envtest

// Applying the chart needs envtest's kube-apiserver and etcd (make envtest-assets): run it with
//
//	go test -tags envtest ./test/chart/ -run TestApplyToAPIServer

package chart_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

// TestApplyToAPIServer renders the chart with a few sets of values and applies every object
// with kubectl apply --dry-run=server, so the API server validates them as helm install would
// send them. The CRDs (crds/, which helm template leaves out) are already installed by testenv.
func TestApplyToAPIServer(t *testing.T) {
	helmBin(t) // fail (or skip) early, before starting the API server
	env, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping envtest: %v", err)
		}
	})

	tests := []struct {
		name string
		set  []string
	}{
		{"defaults", nil},
		{"every option", []string{
			"--set", "region=eu-west-1", "--set-string", "accountId=123456789012", "--set", "logLevel=debug",
			"--set", "image.registry=registry.example.com", "--set", "image.tag=v9",
			"--set", "imagePullSecrets[0].name=pull",
			"--set", "manager.replicas=2", "--set", "manager.nodeSelector.role=control",
			"--set", "manager.tolerations[0].key=role", "--set", "manager.tolerations[0].operator=Exists",
			"--set", "agent.nodeSelector.pool=ec2",
			"--set", "activator.service.type=NodePort", "--set", "activator.domain=apps.example.com",
		}},
		{"manager only", []string{"--set", "agent.enabled=false", "--set", "activator.enabled=false", "--set", "admissionPolicies.enabled=false"}},
	}
	t.Run("crds", func(t *testing.T) {
		// helm install sends crds/ as they are: the generated header must not get in the way.
		crds, _ := filepath.Glob(filepath.Join(chartDir(t), "crds", "*.yaml"))
		out, err := exec.Command(env.Kubectl(), "--kubeconfig", env.Kubeconfig,
			"apply", "--dry-run=server", "-f", filepath.Join(chartDir(t), "crds")).CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl apply --dry-run=server -f charts/kube-ecs/crds: %v\n%s", err, out)
		}
		if n := strings.Count(string(out), "(server dry run)"); n != len(crds) || n == 0 {
			t.Errorf("kubectl applied %d CRDs, crds/ has %d files:\n%s", n, len(crds), out)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := env.NewNamespace(t, "chart")
			r, err := renderIn(t, ns, tt.set...)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range r.objects {
				if o.Kind == "CustomResourceDefinition" {
					t.Fatalf("helm template rendered the CRD %s: CRDs belong in crds/", o.Name)
				}
			}
			file := filepath.Join(t.TempDir(), "chart.yaml")
			if err := os.WriteFile(file, r.raw, 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(env.Kubectl(), "--kubeconfig", env.Kubeconfig,
				"apply", "--dry-run=server", "-f", file).CombinedOutput()
			if err != nil {
				t.Fatalf("kubectl apply --dry-run=server: %v\n%s", err, out)
			}
			// One "<kind>/<name> created (server dry run)" line per object.
			applied := strings.Count(string(out), "(server dry run)")
			if applied != len(r.objects) {
				t.Errorf("kubectl applied %d objects, the chart rendered %d:\n%s", applied, len(r.objects), out)
			}
		})
	}
}
