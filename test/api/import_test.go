package api_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/ecsimport"
)

// importDocs are the AWS documents `kubectl ecs import` is tested on: the ones this suite
// pastes under spec, and the import package's own (describe-services, describe-clusters,
// CreateCluster, App Runner CreateService).
func importDocs(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, dir := range []string{filepath.Join("testdata", "aws"), filepath.Join("..", "..", "internal", "ecsimport", "testdata")} {
		f, err := filepath.Glob(filepath.Join(dir, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f...)
	}
	if len(files) < 9 {
		t.Fatalf("found %d AWS documents, want at least 9", len(files))
	}
	return files
}

// applyDryRun applies manifests with kubectl's strict field validation and server-side dry
// run, and checks that every object was accepted.
func applyDryRun(t *testing.T, manifests []byte, objects int) {
	t.Helper()
	out, err := kubectl(t, manifests, "apply", "--dry-run=server", "-f", "-")
	if err != nil {
		t.Fatalf("kubectl apply --dry-run=server rejected the import: %v\n%s\nmanifests:\n%s", err, out, manifests)
	}
	if n := strings.Count(out, "(server dry run)"); n != objects {
		t.Fatalf("kubectl accepted %d objects, want %d:\n%s\nmanifests:\n%s", n, objects, out, manifests)
	}
}

// TestImportAWSDocuments converts every AWS document with ecsimport.Convert, as `kubectl
// ecs import` does, and applies the result: the API server accepts all of it.
func TestImportAWSDocuments(t *testing.T) {
	ns := newNamespace(t)
	for _, f := range importDocs(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			res, err := ecsimport.Convert(data, ecsimport.Options{Namespace: ns})
			if err != nil {
				t.Fatalf("Convert: %v", err)
			}
			for _, w := range res.Warnings {
				t.Logf("warning: %s", w)
			}
			y, err := res.YAML()
			if err != nil {
				t.Fatal(err)
			}
			applyDryRun(t, y, len(res.Objects))
		})
	}
}

// TestImportConvertsNames imports ECS names that are not Kubernetes names. Pasted as they
// are they are rejected; imported they are accepted, with spec.family (spec.serviceName,
// spec.clusterName) equal to metadata.name as the API requires.
func TestImportConvertsNames(t *testing.T) {
	ns := newNamespace(t)
	tests := []struct {
		name  string
		input string
		kind  string
	}{
		{
			name: "upper-case family",
			kind: "TaskDefinition",
			input: `{"taskDefinition": {"family": "Billing_API", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
				"cpu": "256", "memory": "512", "revision": 4, "status": "ACTIVE",
				"containerDefinitions": [{"name": "api", "image": "billing:4", "essential": true}]},
				"tags": [{"key": "team", "value": "billing"}]}`,
		},
		{
			name:  "upper-case service name, cluster and family",
			kind:  "Service",
			input: `{"serviceName": "Billing_API", "cluster": "Production_Cluster", "taskDefinition": "Billing_API:4", "desiredCount": 2, "launchType": "FARGATE"}`,
		},
		{
			name:  "upper-case cluster name",
			kind:  "Cluster",
			input: `{"clusterName": "Production_Cluster", "capacityProviders": ["FARGATE"]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ecsimport.Convert([]byte(tt.input), ecsimport.Options{Namespace: ns})
			if err != nil {
				t.Fatalf("Convert: %v", err)
			}
			if len(res.Objects) != 1 {
				t.Fatalf("got %d objects, want 1", len(res.Objects))
			}
			o := res.Objects[0]
			if o.GetName() == o.GetAnnotations()[ecsv1alpha1.ECSNameAnnotation] || o.GetAnnotations()[ecsv1alpha1.ECSNameAnnotation] == "" {
				t.Fatalf("name %q, annotations %v: want a converted name and the ECS name in %s", o.GetName(), o.GetAnnotations(), ecsv1alpha1.ECSNameAnnotation)
			}
			y, err := res.YAML()
			if err != nil {
				t.Fatal(err)
			}
			applyDryRun(t, y, 1)

			// The same manifest with the ECS name is rejected.
			ecsName := o.GetAnnotations()[ecsv1alpha1.ECSNameAnnotation]
			raw := strings.ReplaceAll(string(y), ": "+o.GetName()+"\n", ": "+ecsName+"\n")
			out, err := kubectl(t, []byte(raw), "apply", "--dry-run=server", "-f", "-")
			if err == nil || !strings.Contains(out, `metadata.name: Invalid value: "`+ecsName+`"`) {
				t.Fatalf("want the API server to reject a %s named %q, got err=%v:\n%s", tt.kind, ecsName, err, out)
			}
		})
	}
}

// TestImportRoundsToFargate shows what --round-to-fargate is for: a FARGATE task definition
// whose size is not a Fargate size is rejected as imported, and accepted once rounded up.
func TestImportRoundsToFargate(t *testing.T) {
	ns := newNamespace(t)
	input := []byte(`{"family": "odd-size", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
		"cpu": "0.75 vCPU", "memory": "1536", "containerDefinitions": [{"name": "app", "image": "nginx"}]}`)

	res, err := ecsimport.Convert(input, ecsimport.Options{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	y, err := res.YAML()
	if err != nil {
		t.Fatal(err)
	}
	out, err := kubectl(t, y, "apply", "--dry-run=server", "-f", "-")
	if err == nil || !strings.Contains(out, "Fargate task cpu must be") {
		t.Fatalf("want the API server to reject cpu 0.75 vCPU on Fargate, got err=%v:\n%s", err, out)
	}

	res, err = ecsimport.Convert(input, ecsimport.Options{Namespace: ns, RoundToFargate: true})
	if err != nil {
		t.Fatal(err)
	}
	if y, err = res.YAML(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(y), "cpu: \"1024\"\n") || !strings.Contains(string(y), "memory: \"2048\"\n") {
		t.Fatalf("want cpu 1024 and memory 2048 after rounding:\n%s", y)
	}
	applyDryRun(t, y, 1)
}
