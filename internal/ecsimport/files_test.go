package ecsimport_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/kube-ecs/kube-ecs/internal/ecsimport"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// awsTestdata holds the AWS CLI outputs and request bodies the API suite pastes under spec.
const awsTestdata = "../../test/api/testdata/aws"

// golden renders a Result the way `kubectl ecs import` prints it, warnings first as YAML
// comments, so that a golden file is still a manifest.
func golden(res ecsimport.Result) ([]byte, error) {
	var buf bytes.Buffer
	for _, w := range res.Warnings {
		buf.WriteString("# warning: " + w + "\n")
	}
	y, err := res.YAML()
	if err != nil {
		return nil, err
	}
	buf.Write(y)
	return buf.Bytes(), nil
}

// TestConvertFiles converts every AWS document in testdata (the API suite's and this
// package's own) and checks the objects, the warnings and the whole output against
// testdata/golden. Run `go test ./internal/ecsimport/ -update` after a deliberate change and
// review the diff.
func TestConvertFiles(t *testing.T) {
	type object struct{ Kind, Name string }
	tests := []struct {
		file         string
		wantObjects  []object
		wantWarnings []string
	}{
		{
			file:        awsTestdata + "/create-service-request.json",
			wantObjects: []object{{"Service", "web-app"}},
			wantWarnings: []string{
				`taskDefinition "web-app:7" pins revision 7: kube-ecs numbers the revisions of an imported task definition from 1 (spec.revision is ignored), so refer to the family alone ("web-app") unless that revision exists`,
			},
		},
		{
			file:        awsTestdata + "/describe-task-definition-ec2-bridge.json",
			wantObjects: []object{{"TaskDefinition", "legacy-api"}},
		},
		{
			file:        awsTestdata + "/describe-task-definition-fargate-worker.json",
			wantObjects: []object{{"TaskDefinition", "report-worker"}},
		},
		{
			file:        awsTestdata + "/describe-task-definition-web-app.json",
			wantObjects: []object{{"TaskDefinition", "web-app"}},
		},
		{
			file:        awsTestdata + "/register-task-definition-request.json",
			wantObjects: []object{{"TaskDefinition", "nginx-sidecar"}},
		},
		{
			file:        "testdata/describe-services.json",
			wantObjects: []object{{"Service", "checkout-api"}, {"Service", "metrics-agent"}},
			wantWarnings: []string{
				"dropped field services[0].clusterArn: read-only in ECS, kube-ecs reports it in status; spec.cluster is set from it",
				"dropped field services[0].createdAt: read-only in ECS, kube-ecs reports it in status",
				"dropped field services[0].createdBy: read-only in ECS, kube-ecs does not keep it",
				"dropped field services[0].deployments: read-only in ECS, kube-ecs reports it in status",
				"dropped field services[0].events: read-only in ECS, kube-ecs reports it in status",
				"dropped field services[0].pendingCount: read-only in ECS, kube-ecs reports it in status",
				"dropped field services[0].platformFamily: read-only in ECS, kube-ecs does not keep it",
				"dropped field services[0].roleArn: read-only in ECS, kube-ecs does not keep it",
				"dropped field services[0].runningCount: read-only in ECS, kube-ecs reports it in status",
				"dropped field services[0].serviceArn: read-only in ECS, kube-ecs reports it in status",
				"dropped field services[0].status: read-only in ECS, kube-ecs reports it in status",
				`services[0].cluster "Production_Cluster" refers to the Cluster "production-cluster", the name importing that cluster gives it`,
				`services[0].taskDefinition "arn:aws:ecs:us-east-1:123456789012:task-definition/Checkout_API:14" refers to the TaskDefinition "checkout-api", the name importing that task definition gives it: now "arn:aws:ecs:us-east-1:123456789012:task-definition/checkout-api:14"`,
				`services[0].taskDefinition "arn:aws:ecs:us-east-1:123456789012:task-definition/checkout-api:14" pins revision 14: kube-ecs numbers the revisions of an imported task definition from 1 (spec.revision is ignored), so refer to the family alone ("checkout-api") unless that revision exists`,
				`services[0].serviceName "Checkout_API" is not a valid Kubernetes name: named "checkout-api", with the ECS name kept in the ecs.kube-ecs.io/ecs-name annotation`,
				"dropped field services[1].clusterArn: read-only in ECS, kube-ecs reports it in status; spec.cluster is set from it",
				"dropped field services[1].createdAt: read-only in ECS, kube-ecs reports it in status",
				"dropped field services[1].createdBy: read-only in ECS, kube-ecs does not keep it",
				"dropped field services[1].deployments: read-only in ECS, kube-ecs reports it in status",
				"dropped field services[1].events: read-only in ECS, kube-ecs reports it in status",
				"dropped field services[1].pendingCount: read-only in ECS, kube-ecs reports it in status",
				"dropped field services[1].runningCount: read-only in ECS, kube-ecs reports it in status",
				"dropped field services[1].serviceArn: read-only in ECS, kube-ecs reports it in status",
				"dropped field services[1].status: read-only in ECS, kube-ecs reports it in status",
				`services[1].cluster "Production_Cluster" refers to the Cluster "production-cluster", the name importing that cluster gives it`,
				`services[1].taskDefinition "arn:aws:ecs:us-east-1:123456789012:task-definition/metrics-agent:3" pins revision 3: kube-ecs numbers the revisions of an imported task definition from 1 (spec.revision is ignored), so refer to the family alone ("metrics-agent") unless that revision exists`,
			},
		},
		{
			file:        "testdata/describe-clusters.json",
			wantObjects: []object{{"Cluster", "production-cluster"}},
			wantWarnings: []string{
				"dropped field clusters[0].activeServicesCount: read-only in ECS, kube-ecs reports it in status",
				"dropped field clusters[0].attachments: read-only in ECS, kube-ecs does not keep it",
				"dropped field clusters[0].attachmentsStatus: read-only in ECS, kube-ecs does not keep it",
				"dropped field clusters[0].clusterArn: read-only in ECS, kube-ecs reports it in status",
				"dropped field clusters[0].pendingTasksCount: read-only in ECS, kube-ecs reports it in status",
				"dropped field clusters[0].registeredContainerInstancesCount: read-only in ECS, kube-ecs reports it in status",
				"dropped field clusters[0].runningTasksCount: read-only in ECS, kube-ecs reports it in status",
				"dropped field clusters[0].statistics: read-only in ECS, kube-ecs does not keep it",
				"dropped field clusters[0].status: read-only in ECS, kube-ecs reports it in status",
				`clusters[0].capacityProviders[2] "m5-asg" is an EC2 capacity provider: defined it in spec.ec2CapacityProviders with the nodes labelled ecs.kube-ecs.io/capacity-provider=m5-asg; label its nodes so, or edit the nodeSelector`,
				`clusters[0].clusterName "Production_Cluster" is not a valid Kubernetes name: named "production-cluster", with the ECS name kept in the ecs.kube-ecs.io/ecs-name annotation`,
			},
		},
		{
			file:        "testdata/create-cluster-request.json",
			wantObjects: []object{{"Cluster", "staging"}},
		},
		{
			file:        "testdata/apprunner-create-service-request.json",
			wantObjects: []object{{"AppRunnerService", "hello-app-runner"}},
			wantWarnings: []string{
				`ServiceName "Hello_App_Runner" is not a valid Kubernetes name: named "hello-app-runner", with the ECS name kept in the ecs.kube-ecs.io/ecs-name annotation`,
			},
		},
	}
	// Every document in both folders has a case.
	all, _ := filepath.Glob(awsTestdata + "/*.json")
	own, _ := filepath.Glob("testdata/*.json")
	if len(all) < 5 {
		t.Fatalf("found %d documents in %s, want at least 5", len(all), awsTestdata)
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.file] = true
	}
	for _, f := range append(all, own...) {
		if !covered[filepath.ToSlash(f)] {
			t.Errorf("%s has no case in TestConvertFiles", f)
		}
	}

	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			data, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			res, err := ecsimport.Convert(data, ecsimport.Options{})
			if err != nil {
				t.Fatalf("Convert: %v", err)
			}
			var got []object
			for _, o := range res.Objects {
				got = append(got, object{o.GetObjectKind().GroupVersionKind().Kind, o.GetName()})
			}
			if diff := cmp.Diff(tt.wantObjects, got); diff != "" {
				t.Errorf("objects mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantWarnings, res.Warnings); diff != "" {
				t.Errorf("warnings mismatch (-want +got):\n%s", diff)
			}
			out, err := golden(res)
			if err != nil {
				t.Fatal(err)
			}
			goldenFile := filepath.Join("testdata", "golden", strings.TrimSuffix(filepath.Base(tt.file), ".json")+".yaml")
			if *update {
				if err := os.MkdirAll(filepath.Dir(goldenFile), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(goldenFile, out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(goldenFile)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(out)); diff != "" {
				t.Errorf("output differs from %s (-want +got):\n%s", goldenFile, diff)
			}
		})
	}
}

// TestTaskDefinitionsKeepEverything checks that a task definition loses nothing on the way:
// the spec is the input object (with describe-task-definition's tags moved in), up to null
// values and empty lists, which mean the same as absent.
func TestTaskDefinitionsKeepEverything(t *testing.T) {
	files, _ := filepath.Glob(awsTestdata + "/*task-definition*.json")
	if len(files) < 4 {
		t.Fatalf("found %d task definitions in %s, want at least 4", len(files), awsTestdata)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			want := doc
			if td, ok := doc["taskDefinition"].(map[string]any); ok {
				want = td
				if tags, ok := doc["tags"].([]any); ok && len(tags) > 0 {
					want["tags"] = tags
				}
			}
			res, err := ecsimport.Convert(data, ecsimport.Options{Namespace: "team-a"})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Objects) != 1 {
				t.Fatalf("got %d objects, want 1", len(res.Objects))
			}
			y, err := res.YAML()
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := yaml.Unmarshal(y, &got); err != nil {
				t.Fatal(err)
			}
			wantMeta := map[string]any{"name": want["family"], "namespace": "team-a"}
			if diff := cmp.Diff(wantMeta, got["metadata"]); diff != "" {
				t.Errorf("metadata mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(prune(want), prune(got["spec"])); diff != "" {
				t.Errorf("spec differs from the input (-input +spec):\n%s", diff)
			}
		})
	}
}

// prune removes null values and empty lists, recursively; it keeps empty objects
// (host: {} is a task-scoped volume).
func prune(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if e == nil {
				continue
			}
			if l, ok := e.([]any); ok && len(l) == 0 {
				continue
			}
			out[k] = prune(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = prune(e)
		}
		return out
	}
	return v
}
