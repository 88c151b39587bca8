package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kube-ecs/kube-ecs/internal/version"
)

const taskDefJSON = `{"family": "My_App", "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc",
	"cpu": "300", "memory": "600", "containerDefinitions": [{"name": "app", "image": "nginx"}]}`

const taskDefYAML = `apiVersion: ecs.kube-ecs.io/v1alpha1
kind: TaskDefinition
metadata:
  annotations:
    ecs.kube-ecs.io/ecs-name: My_App
  name: my-app
  namespace: team-a
spec:
  containerDefinitions:
  - image: nginx
    name: app
  cpu: "512"
  family: my-app
  memory: "1024"
  networkMode: awsvpc
  requiresCompatibilities:
  - FARGATE
`

const taskDefWarnings = `warning: cpu "300" and memory "600" are not a Fargate task size: rounded up to cpu "512" and memory "1024"
warning: family "My_App" is not a valid Kubernetes name: named "my-app", with the ECS name kept in the ecs.kube-ecs.io/ecs-name annotation
`

func TestRun(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "taskdef.json")
	if err := os.WriteFile(file, []byte(taskDefJSON), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"tasks": []}`), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		args       []string
		stdin      string
		wantCode   int
		wantStdout string // exact, unless wantInStdout is set
		wantStderr string // exact, unless wantInStderr is set
		// substrings, for usage texts
		wantInStdout []string
		wantInStderr []string
	}{
		{
			name:       "import a file, flags first",
			args:       []string{"import", "-n", "team-a", "--round-to-fargate", file},
			wantStdout: taskDefYAML,
			wantStderr: taskDefWarnings,
		},
		{
			name:       "import standard input, flags after the file",
			args:       []string{"import", "-", "--namespace=team-a", "-round-to-fargate"},
			stdin:      taskDefJSON,
			wantStdout: taskDefYAML,
			wantStderr: taskDefWarnings,
		},
		{
			name:  "import without rounding warns",
			args:  []string{"import", "-"},
			stdin: `{"family": "app", "containerDefinitions": [{"name": "app", "image": "nginx", "memory": 128}]}`,
			wantStdout: `apiVersion: ecs.kube-ecs.io/v1alpha1
kind: TaskDefinition
metadata:
  name: app
spec:
  containerDefinitions:
  - image: nginx
    memory: 128
    name: app
  family: app
`,
		},
		{
			name:       "a file named like a flag after --",
			args:       []string{"import", "-n", "team-a", "--round-to-fargate", "--", file},
			wantStdout: taskDefYAML,
			wantStderr: taskDefWarnings,
		},
		{
			name:       "version",
			args:       []string{"version"},
			wantStdout: version.Version + "\n",
		},
		{
			name:         "help",
			args:         []string{"help"},
			wantInStdout: []string{"kubectl ecs import [-n NAMESPACE] [--round-to-fargate] FILE|-", "kubectl ecs version"},
		},
		{
			name:         "--help",
			args:         []string{"--help"},
			wantInStdout: []string{"Usage:\n  kubectl ecs import"},
		},
		{
			name:         "help import",
			args:         []string{"help", "import"},
			wantInStdout: []string{"Convert one ECS or App Runner JSON document", "-round-to-fargate"},
		},
		{
			name:         "import -h",
			args:         []string{"import", "-h"},
			wantInStdout: []string{"Convert one ECS or App Runner JSON document", "-namespace string"},
		},
		{
			name:         "no command",
			args:         nil,
			wantCode:     2,
			wantInStderr: []string{"Usage:\n  kubectl ecs import"},
		},
		{
			name:         "unknown command",
			args:         []string{"export"},
			wantCode:     2,
			wantInStderr: []string{`kubectl ecs: unknown command "export"`, "Usage:"},
		},
		{
			name:         "version with an argument",
			args:         []string{"version", "--short"},
			wantCode:     2,
			wantInStderr: []string{"kubectl ecs version takes no arguments", "Usage:"},
		},
		{
			name:         "import without a file",
			args:         []string{"import", "-n", "team-a"},
			wantCode:     2,
			wantInStderr: []string{"kubectl ecs import needs a FILE, or - to read standard input", "Usage:\n  kubectl ecs import"},
		},
		{
			name:         "import with two files",
			args:         []string{"import", file, file},
			wantCode:     2,
			wantInStderr: []string{"kubectl ecs import takes one FILE, got 2"},
		},
		{
			name:         "import with an unknown flag",
			args:         []string{"import", "--dry-run", file},
			wantCode:     2,
			wantInStderr: []string{"flag provided but not defined: -dry-run", "Usage:\n  kubectl ecs import"},
		},
		{
			name:         "import -n without a value",
			args:         []string{"import", file, "-n"},
			wantCode:     2,
			wantInStderr: []string{"flag needs an argument: -n"},
		},
		{
			name:       "a missing file",
			args:       []string{"import", filepath.Join(dir, "missing.json")},
			wantCode:   1,
			wantStderr: "kubectl-ecs: open " + filepath.Join(dir, "missing.json") + ": no such file or directory\n",
		},
		{
			name:         "a document that is not ECS",
			args:         []string{"import", bad},
			wantCode:     1,
			wantInStderr: []string{"kubectl-ecs: " + bad + ": unrecognised input, an object with tasks: expected ECS JSON"},
		},
		{
			name:       "invalid JSON on standard input",
			args:       []string{"import", "-"},
			stdin:      `{"family": `,
			wantCode:   1,
			wantStderr: "kubectl-ecs: invalid JSON: unexpected end of input\n",
		},
		{
			name:       "an invalid namespace",
			args:       []string{"import", "-n", "Team_A", file},
			wantCode:   1,
			wantStderr: "kubectl-ecs: invalid namespace \"Team_A\": a namespace is at most 63 lower-case letters, digits and '-', and starts and ends with a letter or digit\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, strings.NewReader(tt.stdin), &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, stdout.String(), stderr.String())
			}
			check := func(stream, got, exact string, substrings []string) {
				if substrings == nil {
					if diff := cmp.Diff(exact, got); diff != "" {
						t.Errorf("%s mismatch (-want +got):\n%s", stream, diff)
					}
					return
				}
				for _, s := range substrings {
					if !strings.Contains(got, s) {
						t.Errorf("%s does not contain %q:\n%s", stream, s, got)
					}
				}
			}
			check("stdout", stdout.String(), tt.wantStdout, tt.wantInStdout)
			check("stderr", stderr.String(), tt.wantStderr, tt.wantInStderr)
		})
	}
}
