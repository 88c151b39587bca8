// Package ecsimport turns Amazon ECS and App Runner JSON (AWS CLI output and API request
// bodies) into kube-ecs manifests. It is what `kubectl ecs import` runs. It is pure: no
// client, no clock, no file system.
//
// Each input is decoded leniently into the kube-ecs spec it corresponds to: what the spec
// declares is kept (including the read-only fields of describe-task-definition output that
// TaskDefinitionSpec accepts and ignores), and every other field is dropped with a warning
// that names it by its path in the input. ECS names that are not valid Kubernetes names are
// converted, with the original kept in the ecs.kube-ecs.io/ecs-name annotation.
package ecsimport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// Options change how Convert builds the manifests.
type Options struct {
	// Namespace is set on every object when not empty.
	Namespace string
	// RoundToFargate replaces the cpu and memory of a task definition that requires
	// FARGATE, when they are not a valid Fargate size, with the smallest Fargate size
	// that is at least as large (see RoundUpToFargate).
	RoundToFargate bool
}

// Object is one kube-ecs object Convert builds: *ecsv1alpha1.TaskDefinition,
// *ecsv1alpha1.Service, *ecsv1alpha1.Cluster or *apprunnerv1alpha1.AppRunnerService.
type Object interface {
	metav1.Object
	runtime.Object
}

// Result is what Convert built from one input document.
type Result struct {
	// Objects are the manifests, in input order, with apiVersion and kind set.
	Objects []Object
	// Warnings say, for a person, what was dropped, converted or looks wrong.
	Warnings []string
}

// YAML renders the objects as YAML documents separated by "---" lines.
func (r Result) YAML() ([]byte, error) {
	var buf bytes.Buffer
	for i, o := range r.Objects {
		y, err := MarshalYAML(o)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(y)
	}
	return buf.Bytes(), nil
}

// MarshalYAML renders one object as a manifest: apiVersion, kind, metadata (name,
// namespace, labels and annotations, as set) and spec; never status. Keys are sorted.
func MarshalYAML(o Object) ([]byte, error) {
	data, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	var full map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // int64 fields keep every digit
	if err := dec.Decode(&full); err != nil {
		return nil, err
	}
	meta := map[string]any{}
	if m, ok := full["metadata"].(map[string]any); ok {
		for _, k := range []string{"name", "namespace", "labels", "annotations"} {
			if v, ok := m[k]; ok {
				meta[k] = v
			}
		}
	}
	spec := full["spec"]
	if spec == nil {
		spec = map[string]any{}
	}
	return yaml.Marshal(map[string]any{
		"apiVersion": full["apiVersion"],
		"kind":       full["kind"],
		"metadata":   meta,
		"spec":       spec,
	})
}

// Convert turns one ECS or App Runner JSON document into kube-ecs objects. It recognises:
//
//   - `aws ecs describe-task-definition` output, {"taskDefinition": {...}, "tags": [...]}
//   - a task definition or a RegisterTaskDefinition request (it has "containerDefinitions")
//   - a CreateService request (it has "serviceName" and "taskDefinition"), and
//     create-service or describe-services output ({"service": {...}}, {"services": [...]})
//   - a CreateCluster request (it has "clusterName"), and create-cluster or
//     describe-clusters output ({"cluster": {...}}, {"clusters": [...]})
//   - an App Runner CreateService request in App Runner's PascalCase ("ServiceName" and
//     "SourceConfiguration"), and create-service or describe-service output
//     ({"Service": {...}})
//
// Anything else is an error that says what was expected.
func Convert(data []byte, opts Options) (Result, error) {
	if err := ValidateNamespace(opts.Namespace); err != nil {
		return Result{}, err
	}
	doc, err := decodeJSON(data)
	if err != nil {
		return Result{}, err
	}
	top, ok := doc.(map[string]any)
	if !ok {
		return Result{}, fmt.Errorf("want a JSON object, got %s: %s", describe(doc), expected)
	}
	c := &converter{opts: opts}
	if err := c.convert(top); err != nil {
		return Result{}, err
	}
	c.checkDuplicates()
	return Result{Objects: c.objects, Warnings: c.warnings}, nil
}

// ValidateNamespace returns an error when ns is neither empty nor a valid namespace name.
func ValidateNamespace(ns string) error {
	if ns == "" || len(validation.IsDNS1123Label(ns)) == 0 {
		return nil
	}
	return fmt.Errorf("invalid namespace %q: a namespace is at most 63 lower-case letters, digits and '-', and starts and ends with a letter or digit", ns)
}

const expected = "expected ECS JSON: describe-task-definition output ({\"taskDefinition\": {...}}), " +
	"a task definition or RegisterTaskDefinition request (with \"containerDefinitions\"), " +
	"a CreateService request (with \"serviceName\" and \"taskDefinition\"), " +
	"create-service or describe-services output ({\"service\": {...}} or {\"services\": [...]}), " +
	"a CreateCluster request (with \"clusterName\"), " +
	"create-cluster or describe-clusters output ({\"cluster\": {...}} or {\"clusters\": [...]}), " +
	"or an App Runner CreateService request (with \"ServiceName\" and \"SourceConfiguration\")"

func decodeJSON(data []byte) (any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("the input is empty: " + expected)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a byte order mark
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", jsonError(data, err))
	}
	var extra any
	switch err := dec.Decode(&extra); {
	case err == io.EOF:
		return doc, nil
	case err == nil:
		return nil, errors.New("invalid JSON: more than one value: import one document at a time")
	default:
		return nil, fmt.Errorf("invalid JSON after the first value: %w", jsonError(data, err))
	}
}

// jsonError adds the line and column to a syntax error.
func jsonError(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// Offset counts the offending byte.
		line, col := 1, 1
		for _, b := range data[:min(max(int(se.Offset)-1, 0), len(data))] {
			if b == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
		return fmt.Errorf("line %d, column %d: %w", line, col, err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("unexpected end of input")
	}
	return err
}

type converter struct {
	opts     Options
	objects  []Object
	warnings []string
}

func (c *converter) warn(format string, args ...any) {
	c.warnings = append(c.warnings, fmt.Sprintf(format, args...))
}

func (c *converter) convert(top map[string]any) error {
	switch {
	case isObject(top["taskDefinition"]):
		c.dropWrapperKeys(top, "describe-task-definition output", "taskDefinition", "tags")
		return c.taskDefinition(top["taskDefinition"].(map[string]any), "taskDefinition", top["tags"])
	case has(top, "containerDefinitions"):
		return c.taskDefinition(top, "", nil)
	case isList(top["services"]):
		c.dropWrapperKeys(top, "describe-services output", "services", "failures")
		c.failures(top["failures"])
		return c.each(top["services"].([]any), "services", "service", c.service)
	case isObject(top["service"]):
		c.dropWrapperKeys(top, "create-service output", "service")
		return c.service(top["service"].(map[string]any), "service")
	case has(top, "serviceName") && has(top, "taskDefinition"):
		return c.service(top, "")
	case isList(top["clusters"]):
		c.dropWrapperKeys(top, "describe-clusters output", "clusters", "failures")
		c.failures(top["failures"])
		return c.each(top["clusters"].([]any), "clusters", "cluster", c.cluster)
	case isObject(top["cluster"]):
		c.dropWrapperKeys(top, "create-cluster output", "cluster")
		return c.cluster(top["cluster"].(map[string]any), "cluster")
	case has(top, "clusterName"):
		return c.cluster(top, "")
	case hasFold(top, "sourceConfiguration"):
		return c.appRunnerService(top, "")
	case isObject(top["Service"]) && hasFold(top["Service"].(map[string]any), "sourceConfiguration"):
		c.dropWrapperKeys(top, "App Runner service output", "Service")
		return c.appRunnerService(top["Service"].(map[string]any), "Service")
	}
	keys := sortedKeys(top)
	found := "an empty object"
	if len(keys) > 0 {
		if len(keys) > 8 {
			keys = append(keys[:8], "...")
		}
		found = "an object with " + strings.Join(keys, ", ")
	}
	return fmt.Errorf("unrecognised input, %s: %s", found, expected)
}

// each converts every item of a describe-* list.
func (c *converter) each(items []any, path, what string, conv func(map[string]any, string) error) error {
	if len(items) == 0 {
		return fmt.Errorf("%s is empty: there is no %s to import", path, what)
	}
	for i, it := range items {
		p := fmt.Sprintf("%s[%d]", path, i)
		m, ok := it.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: want a %s object, got %s", p, what, describe(it))
		}
		if err := conv(m, p); err != nil {
			return err
		}
	}
	return nil
}

func (c *converter) dropWrapperKeys(top map[string]any, what string, known ...string) {
	for _, k := range sortedKeys(top) {
		if slices.Contains(known, k) {
			continue
		}
		c.warn("dropped field %s: not part of %s", joinPath("", k), what)
	}
}

// failures reports the failures list of describe-services and describe-clusters output.
func (c *converter) failures(v any) {
	list, _ := v.([]any)
	for i, f := range list {
		m, _ := f.(map[string]any)
		var parts []string
		for _, k := range []string{"arn", "reason", "detail"} {
			if s, ok := m[k].(string); ok && s != "" {
				parts = append(parts, s)
			}
		}
		c.warn("failures[%d]: ECS could not describe %s: not imported", i, strings.Join(parts, ": "))
	}
}

func (c *converter) add(o Object, ecsName, name, path, field string) {
	o.SetName(name)
	if c.opts.Namespace != "" {
		o.SetNamespace(c.opts.Namespace)
	}
	if ecsName != name {
		o.SetAnnotations(map[string]string{ecsv1alpha1.ECSNameAnnotation: ecsName})
		c.warn("%s %q is not a valid Kubernetes name: named %q, with the ECS name kept in the %s annotation",
			joinPath(path, field), ecsName, name, ecsv1alpha1.ECSNameAnnotation)
	}
	c.objects = append(c.objects, o)
}

func (c *converter) checkDuplicates() {
	seen := map[string]bool{}
	for _, o := range c.objects {
		k := o.GetObjectKind().GroupVersionKind().Kind + "/" + o.GetName()
		if seen[k] {
			c.warn("more than one %s is named %q: applying the manifests keeps only the last", o.GetObjectKind().GroupVersionKind().Kind, o.GetName())
		}
		seen[k] = true
	}
}

// decode cleans v for the type into points to and decodes it, strictly, into into.
func (c *converter) decode(v any, into any, path string, pascal bool, reasons map[string]string) error {
	cl := &cleaner{pascal: pascal, reasons: reasons, warn: c.warn}
	cleaned, _ := cl.clean(v, reflect.TypeOf(into).Elem(), path, 0)
	data, err := json.Marshal(cleaned)
	if err != nil {
		return fmt.Errorf("%s: %w", orTop(path), err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		// The cleaner keeps only what the type declares, so this is a bug.
		return fmt.Errorf("%s: decoding the cleaned document: %w", orTop(path), err)
	}
	return nil
}

func orTop(path string) string {
	if path == "" {
		return "the document"
	}
	return path
}

func isObject(v any) bool { _, ok := v.(map[string]any); return ok }
func isList(v any) bool   { _, ok := v.([]any); return ok }

func has(m map[string]any, k string) bool { _, ok := m[k]; return ok }

func hasFold(m map[string]any, k string) bool {
	for key := range m {
		if strings.EqualFold(key, k) {
			return true
		}
	}
	return false
}
