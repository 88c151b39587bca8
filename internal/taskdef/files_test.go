package taskdef_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/taskdef"
)

// launchTypes are the launch types a task definition can run with: EC2 always, FARGATE
// when it declares it.
func launchTypes(spec *ecsv1alpha1.TaskDefinitionSpec) []ecsv1alpha1.LaunchType {
	lts := []ecsv1alpha1.LaunchType{ecsv1alpha1.LaunchTypeEC2}
	if slices.Contains(spec.RequiresCompatibilities, ecsv1alpha1.CompatibilityFargate) {
		lts = append(lts, ecsv1alpha1.LaunchTypeFargate)
	}
	return lts
}

// checkBuilds runs Build and checks what every result must satisfy.
func checkBuilds(t *testing.T, in taskdef.Input) taskdef.Result {
	t.Helper()
	res, err := taskdef.Build(in)
	if err != nil {
		t.Fatalf("Build(%s) error: %v", in.LaunchType, err)
	}
	n := len(res.PodSpec.InitContainers) + len(res.PodSpec.Containers)
	if n != len(in.Spec.ContainerDefinitions) {
		t.Errorf("Build(%s) made %d containers, want %d", in.LaunchType, n, len(in.Spec.ContainerDefinitions))
	}
	for _, c := range slices.Concat(res.PodSpec.InitContainers, res.PodSpec.Containers) {
		if errs := validation.IsDNS1123Label(c.Name); len(errs) > 0 {
			t.Errorf("container name %q: %v", c.Name, errs)
		}
	}
	if res.Annotations[ecsv1alpha1.EssentialContainersAnnotation] == "" {
		t.Errorf("Build(%s) set no essential containers annotation", in.LaunchType)
	}
	for _, u := range res.Unsupported {
		t.Logf("%s: %s", in.LaunchType, u)
	}
	return res
}

// TestSamples builds every sample TaskDefinition, and every sample Task with its task
// definition and overrides.
func TestSamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "config", "samples", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples found: %v", err)
	}
	taskDefs := map[string]*ecsv1alpha1.TaskDefinitionSpec{}
	var tasks []ecsv1alpha1.Task
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var meta struct{ Kind string }
		if err := yaml.Unmarshal(raw, &meta); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		switch meta.Kind {
		case "TaskDefinition":
			var td ecsv1alpha1.TaskDefinition
			if err := yaml.UnmarshalStrict(raw, &td); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			taskDefs[td.Name] = &td.Spec
		case "Task":
			var task ecsv1alpha1.Task
			if err := yaml.UnmarshalStrict(raw, &task); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			tasks = append(tasks, task)
		}
	}
	if len(taskDefs) < 3 || len(tasks) < 2 {
		t.Fatalf("found %d task definitions and %d tasks in config/samples, want at least 3 and 2", len(taskDefs), len(tasks))
	}
	for name, spec := range taskDefs {
		for _, lt := range launchTypes(spec) {
			t.Run(name+"/"+string(lt), func(t *testing.T) {
				checkBuilds(t, taskdef.Input{Spec: spec, LaunchType: lt})
			})
		}
	}
	for _, task := range tasks {
		t.Run("task/"+task.Name, func(t *testing.T) {
			family, _, _ := strings.Cut(task.Spec.TaskDefinition, ":")
			spec, ok := taskDefs[family]
			if !ok {
				t.Fatalf("no sample task definition %s", family)
			}
			checkBuilds(t, taskdef.Input{Spec: spec, Overrides: task.Spec.Overrides, LaunchType: task.Spec.LaunchType})
		})
	}
}

// TestAWSDocuments builds the task definitions AWS printed or was sent, in
// test/api/testdata/aws.
func TestAWSDocuments(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "test", "api", "testdata", "aws", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	built := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		body := raw // a RegisterTaskDefinition request is the spec itself
		if td, ok := doc["taskDefinition"]; ok && strings.HasPrefix(string(td), "{") {
			body = td // describe-task-definition output wraps it
		} else if _, ok := doc["containerDefinitions"]; !ok {
			continue // not a task definition (a service names its task definition)
		}
		var spec ecsv1alpha1.TaskDefinitionSpec
		if err := yaml.UnmarshalStrict(body, &spec); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, lt := range launchTypes(&spec) {
			t.Run(filepath.Base(f)+"/"+string(lt), func(t *testing.T) {
				checkBuilds(t, taskdef.Input{Spec: &spec, LaunchType: lt})
			})
		}
		built++
	}
	if built < 4 {
		t.Fatalf("built %d task definitions from test/api/testdata/aws, want at least 4", built)
	}
}
