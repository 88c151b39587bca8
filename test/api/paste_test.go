package api_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestAWSOutputPastedUnderSpec pastes what the AWS CLI prints (describe-task-definition's
// taskDefinition object) and what ECS requests carry (RegisterTaskDefinition and
// CreateService bodies) under spec:, unchanged, and applies it with kubectl's default strict
// field validation, as a user would.
func TestAWSOutputPastedUnderSpec(t *testing.T) {
	ns := newNamespace(t)
	files, err := filepath.Glob(filepath.Join("testdata", "aws", "*.json"))
	if err != nil || len(files) < 5 {
		t.Fatalf("want at least 5 AWS documents in testdata/aws, found %d (%v)", len(files), err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			var obj map[string]any
			switch {
			case doc["taskDefinition"] != nil && isObject(doc["taskDefinition"]):
				spec := doc["taskDefinition"].(map[string]any)
				obj = manifestFor("TaskDefinition", spec["family"].(string), spec)
			case doc["containerDefinitions"] != nil:
				obj = manifestFor("TaskDefinition", doc["family"].(string), doc)
			case doc["serviceName"] != nil:
				obj = manifestFor("Service", doc["serviceName"].(string), doc)
			default:
				t.Fatalf("%s is not a document this test knows", f)
			}
			y, err := yaml.Marshal(obj)
			if err != nil {
				t.Fatal(err)
			}
			out, err := kubectl(t, y, "apply", "--dry-run=server", "-n", ns, "-f", "-")
			if err != nil {
				t.Fatalf("kubectl apply --dry-run=server rejected the pasted document: %v\n%s\nmanifest:\n%s", err, out, y)
			}
			if !strings.Contains(out, "(server dry run)") {
				t.Fatalf("unexpected kubectl output: %s", out)
			}
		})
	}
}

// TestStrictFieldValidation shows kubectl still rejects a field ECS does not have, so the
// test above proves the schema declares every field AWS prints.
func TestStrictFieldValidation(t *testing.T) {
	ns := newNamespace(t)
	y := []byte(strings.TrimSpace(bases["td-fargate"]) + "\n  notAnECSField: true\n")
	out, err := kubectl(t, y, "apply", "--dry-run=server", "-n", ns, "-f", "-")
	if err == nil || !strings.Contains(out, `unknown field "spec.notAnECSField"`) {
		t.Fatalf("want a strict decoding error for spec.notAnECSField, got err=%v:\n%s", err, out)
	}
}

func isObject(v any) bool { _, ok := v.(map[string]any); return ok }

func manifestFor(kind, name string, spec map[string]any) map[string]any {
	return map[string]any{
		"apiVersion": "ecs.kube-ecs.io/v1alpha1",
		"kind":       kind,
		"metadata":   map[string]any{"name": name},
		"spec":       spec,
	}
}

func kubectl(t *testing.T, stdin []byte, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(env.Kubectl(), append([]string{"--kubeconfig", env.Kubeconfig}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
