// Package chart_test checks the Helm chart charts/kube-ecs as `helm lint` and `helm template`
// see it: the objects it renders, their hardening, the RBAC against the markers, and the
// values schema. It runs bin/helm (hack/tools.sh helm); the envtest-tagged test in this
// package also applies the rendered objects to a real API server.
package chart_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/kube-ecs/kube-ecs/internal/capacity"
)

const (
	release   = "kube-ecs"
	namespace = "kube-ecs-system"
	// capacityPoolLabel marks the nodes of the Fargate capacity pools, where the agent does
	// not run.
	capacityPoolLabel = "ecs.kube-ecs.io/capacity-pool"
)

// repoRoot is the folder holding go.mod, above the test's working directory.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's working directory")
		}
		dir = parent
	}
}

func chartDir(t testing.TB) string { return filepath.Join(repoRoot(t), "charts", "kube-ecs") }

// helmBin is bin/helm. Without it the test fails, unless KUBE_ECS_ALLOW_SKIP is set.
func helmBin(t testing.TB) string {
	t.Helper()
	p := filepath.Join(repoRoot(t), "bin", "helm")
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("KUBE_ECS_ALLOW_SKIP") != "" {
			t.Skipf("%s not found and KUBE_ECS_ALLOW_SKIP is set", p)
		}
		t.Fatalf("%s not found: run hack/tools.sh helm (make envtest-assets builds it)", p)
	}
	return p
}

// runHelm runs bin/helm and returns its standard output, or an error carrying its standard error.
func runHelm(t testing.TB, args ...string) ([]byte, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(helmBin(t), args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), errors.New(err.Error() + ": " + stderr.String())
	}
	return stdout.Bytes(), nil
}

// object is one rendered document: its identity and its YAML.
type object struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	raw               []byte
}

func (o object) id() string { return o.Kind + "/" + o.Name }

// into decodes the object strictly into a typed API object, so a misspelt field fails.
func (o object) into(t testing.TB, out any) {
	t.Helper()
	if err := yaml.UnmarshalStrict(o.raw, out); err != nil {
		t.Fatalf("%s: %v", o.id(), err)
	}
}

// rendered is the output of helm template.
type rendered struct {
	objects []object
	raw     []byte
}

// renderIn renders the chart as release kube-ecs in namespace ns with extra helm flags.
func renderIn(t testing.TB, ns string, args ...string) (rendered, error) {
	t.Helper()
	out, err := runHelm(t, append([]string{"template", release, chartDir(t), "--namespace", ns}, args...)...)
	if err != nil {
		return rendered{}, err
	}
	r := rendered{raw: out}
	docs := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(out)))
	for {
		doc, err := docs.Read()
		if errors.Is(err, io.EOF) {
			return r, nil
		}
		if err != nil {
			t.Fatalf("reading helm template output: %v", err)
		}
		o := object{raw: doc}
		if err := yaml.Unmarshal(doc, &o); err != nil {
			t.Fatalf("helm template rendered invalid YAML: %v\n%s", err, doc)
		}
		if o.Kind != "" {
			r.objects = append(r.objects, o)
		}
	}
}

// render renders the chart into kube-ecs-system and fails the test on error.
func render(t testing.TB, args ...string) rendered {
	t.Helper()
	r, err := renderIn(t, namespace, args...)
	if err != nil {
		t.Fatalf("helm template %v: %v", args, err)
	}
	return r
}

func (r rendered) find(kind, name string) (object, bool) {
	for _, o := range r.objects {
		if o.Kind == kind && o.Name == name {
			return o, true
		}
	}
	return object{}, false
}

func (r rendered) get(t testing.TB, kind, name string, out any) {
	t.Helper()
	o, ok := r.find(kind, name)
	if !ok {
		t.Fatalf("helm template rendered no %s/%s", kind, name)
	}
	o.into(t, out)
}

func (r rendered) ids() []string {
	var ids []string
	for _, o := range r.objects {
		ids = append(ids, o.id())
	}
	slices.Sort(ids)
	return ids
}

// podSpecs are the pod templates of every workload, by object id.
func (r rendered) podSpecs(t testing.TB) map[string]corev1.PodSpec {
	t.Helper()
	out := map[string]corev1.PodSpec{}
	for _, o := range r.objects {
		switch o.Kind {
		case "Deployment":
			var d appsv1.Deployment
			o.into(t, &d)
			out[o.id()] = d.Spec.Template.Spec
		case "DaemonSet":
			var d appsv1.DaemonSet
			o.into(t, &d)
			out[o.id()] = d.Spec.Template.Spec
		case "StatefulSet", "Job", "CronJob", "Pod", "ReplicaSet":
			t.Fatalf("%s: unexpected workload kind; extend podSpecs", o.id())
		}
	}
	return out
}

func TestLintStrict(t *testing.T) {
	if out, err := runHelm(t, "lint", "--strict", chartDir(t)); err != nil {
		t.Fatalf("helm lint --strict: %v\n%s", err, out)
	}
}

func TestDefaultObjects(t *testing.T) {
	want := []string{
		"ClusterRole/kube-ecs-activator",
		"ClusterRole/kube-ecs-agent",
		"ClusterRole/kube-ecs-manager",
		"ClusterRole/kube-ecs-tenant",
		"ClusterRoleBinding/kube-ecs-activator",
		"ClusterRoleBinding/kube-ecs-agent",
		"ClusterRoleBinding/kube-ecs-manager",
		"ConfigMap/kube-ecs-config",
		"DaemonSet/kube-ecs-agent",
		"Deployment/kube-ecs-activator",
		"Deployment/kube-ecs-manager",
		"Role/kube-ecs-activator",
		"Role/kube-ecs-agent",
		"Role/kube-ecs-leader-election",
		"Role/kube-ecs-manager",
		"RoleBinding/kube-ecs-activator",
		"RoleBinding/kube-ecs-agent",
		"RoleBinding/kube-ecs-leader-election",
		"RoleBinding/kube-ecs-manager",
		"Secret/kube-ecs-webhook-cert",
		"Service/kube-ecs-activator",
		"Service/kube-ecs-activator-internal",
		"Service/kube-ecs-manager-metrics",
		"Service/kube-ecs-webhook",
		"ServiceAccount/kube-ecs-activator",
		"ServiceAccount/kube-ecs-agent",
		"ServiceAccount/kube-ecs-manager",
		"ValidatingAdmissionPolicy/kube-ecs-service-delete",
		"ValidatingAdmissionPolicyBinding/kube-ecs-service-delete",
		"ValidatingWebhookConfiguration/kube-ecs-placement",
	}
	if diff := cmp.Diff(want, render(t).ids()); diff != "" {
		t.Errorf("rendered objects (-want +got):\n%s", diff)
	}
}

func TestOptionalComponents(t *testing.T) {
	r := render(t, "--set", "agent.enabled=false", "--set", "activator.enabled=false")
	for _, o := range r.objects {
		if c := o.Labels["app.kubernetes.io/component"]; c == "agent" || c == "activator" {
			t.Errorf("%s rendered although %s.enabled=false", o.id(), c)
		}
	}
	if _, ok := r.find("Deployment", "kube-ecs-manager"); !ok {
		t.Error("the manager Deployment is missing")
	}
}

func TestNamespacesAndLabels(t *testing.T) {
	r, err := renderIn(t, "elsewhere")
	if err != nil {
		t.Fatal(err)
	}
	clusterScoped := map[string]bool{
		"ClusterRole": true, "ClusterRoleBinding": true,
		"ValidatingAdmissionPolicy": true, "ValidatingAdmissionPolicyBinding": true,
		"ValidatingWebhookConfiguration": true,
	}
	for _, o := range r.objects {
		if clusterScoped[o.Kind] {
			if o.Namespace != "" {
				t.Errorf("%s is cluster-scoped but has namespace %q", o.id(), o.Namespace)
			}
		} else if o.Namespace != "elsewhere" {
			t.Errorf("%s: namespace %q, want the release namespace", o.id(), o.Namespace)
		}
		for _, l := range []string{"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version", "app.kubernetes.io/managed-by", "helm.sh/chart"} {
			if o.Labels[l] == "" {
				t.Errorf("%s has no label %s", o.id(), l)
			}
		}
	}
	for _, kind := range []string{"ClusterRoleBinding", "RoleBinding"} {
		for _, o := range r.objects {
			if o.Kind != kind {
				continue
			}
			var b rbacv1.RoleBinding // ClusterRoleBinding has the same shape
			o.into(t, &b)
			for _, s := range b.Subjects {
				if s.Namespace != "elsewhere" {
					t.Errorf("%s: subject %s in namespace %q, want the release namespace", o.id(), s.Name, s.Namespace)
				}
			}
		}
	}
}

func TestContainersHardened(t *testing.T) {
	specs := render(t).podSpecs(t)
	if len(specs) != 3 {
		t.Fatalf("want 3 workloads (manager, agent, activator), got %d", len(specs))
	}
	for id, spec := range specs {
		for _, c := range append(slices.Clone(spec.InitContainers), spec.Containers...) {
			sc := c.SecurityContext
			if sc == nil {
				t.Errorf("%s: container %s has no securityContext", id, c.Name)
				continue
			}
			if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
				t.Errorf("%s: container %s: readOnlyRootFilesystem is not true", id, c.Name)
			}
			if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
				t.Errorf("%s: container %s: runAsNonRoot is not true", id, c.Name)
			}
			if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
				t.Errorf("%s: container %s: allowPrivilegeEscalation is not false", id, c.Name)
			}
			if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 {
				t.Errorf("%s: container %s: capabilities %+v, want drop [ALL] and nothing added", id, c.Name, sc.Capabilities)
			}
			if sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
				t.Errorf("%s: container %s: seccomp profile is not RuntimeDefault", id, c.Name)
			}
			if c.LivenessProbe == nil || c.ReadinessProbe == nil {
				t.Errorf("%s: container %s needs liveness and readiness probes", id, c.Name)
			}
			if c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
				t.Errorf("%s: container %s: memory request and limit must be set", id, c.Name)
			}
		}
		if spec.SecurityContext == nil || spec.SecurityContext.RunAsNonRoot == nil || !*spec.SecurityContext.RunAsNonRoot {
			t.Errorf("%s: the pod's securityContext does not set runAsNonRoot", id)
		}
	}
}

func managerArgs(t *testing.T, r rendered) []string {
	t.Helper()
	var d appsv1.Deployment
	r.get(t, "Deployment", "kube-ecs-manager", &d)
	if n := len(d.Spec.Template.Spec.Containers); n != 1 {
		t.Fatalf("the manager pod has %d containers, want 1", n)
	}
	return d.Spec.Template.Spec.Containers[0].Args
}

func TestManagerArgs(t *testing.T) {
	always := []string{
		"--leader-elect",
		"--leader-election-namespace=" + namespace,
		"--metrics-bind-address=:8080",
		"--health-probe-bind-address=:8081",
	}
	tests := []struct {
		name string
		set  []string
		want []string
	}{
		{"defaults", nil, []string{"--region=us-east-1", "--account-id=000000000000", "--stopped-task-retention=1h",
			"--agent-namespace=" + namespace, "--require-agent=true", "--capacity-pools=/etc/kube-ecs/config/capacity-pools.json",
			"--spot-interruption-warning=2m", "--apprunner-domain=apps.kube-ecs.local", "--apprunner-ca-secret=" + namespace + "/kube-ecs-apprunner-ca",
			"--apprunner-stable-window=60s", "--apprunner-scale-to-zero-grace=30s", "--apprunner-image-poll-interval=1m",
			"--activator-service=" + namespace + "/kube-ecs-activator", "--zap-log-level=info", "--webhook-cert-dir=/etc/kube-ecs/webhook"}},
		{"from values", []string{"--set", "region=eu-west-1", "--set-string", "accountId=123456789012", "--set", "stoppedTaskRetention=30m", "--set", "logLevel=debug",
			"--set", "agent.enabled=false", "--set", "webhook.enabled=false", "--set", "fargateSpot.interruptionWarning=30s",
			"--set", "activator.domain=apps.example.com", "--set", "autoscaling.stableWindow=10s", "--set", "autoscaling.scaleToZeroGrace=5s",
			"--set", "imagePollInterval=30s"},
			[]string{"--region=eu-west-1", "--account-id=123456789012", "--stopped-task-retention=30m",
				"--agent-namespace=" + namespace, "--require-agent=false", "--capacity-pools=/etc/kube-ecs/config/capacity-pools.json",
				"--spot-interruption-warning=30s", "--apprunner-domain=apps.example.com", "--apprunner-ca-secret=" + namespace + "/kube-ecs-apprunner-ca",
				"--apprunner-stable-window=10s", "--apprunner-scale-to-zero-grace=5s", "--apprunner-image-poll-interval=30s",
				"--activator-service=" + namespace + "/kube-ecs-activator",
				"--zap-log-level=debug"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := managerArgs(t, render(t, tt.set...))
			want := append(slices.Clone(always), tt.want...)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("manager args (-want +got):\n%s", diff)
			}
		})
	}
}

func TestManagerProbesAndMetrics(t *testing.T) {
	r := render(t)
	var d appsv1.Deployment
	r.get(t, "Deployment", "kube-ecs-manager", &d)
	c := d.Spec.Template.Spec.Containers[0]
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if diff := cmp.Diff(map[string]int32{"metrics": 8080, "health": 8081, "webhook": 9443}, ports); diff != "" {
		t.Errorf("manager ports (-want +got):\n%s", diff)
	}
	for name, probe := range map[string]*corev1.Probe{"/healthz": c.LivenessProbe, "/readyz": c.ReadinessProbe} {
		if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Path != name || probe.HTTPGet.Port.String() != "health" {
			t.Errorf("want an HTTP probe on health (8081) %s, got %+v", name, probe)
		}
	}
	var svc corev1.Service
	r.get(t, "Service", "kube-ecs-manager-metrics", &svc)
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 8080 || svc.Spec.Ports[0].TargetPort.String() != "metrics" {
		t.Errorf("metrics Service ports: %+v", svc.Spec.Ports)
	}
	if diff := cmp.Diff(d.Spec.Selector.MatchLabels, svc.Spec.Selector); diff != "" {
		t.Errorf("the metrics Service does not select the manager's pods (-deployment +service):\n%s", diff)
	}
}

func TestManagerRulesMatchMarkers(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// controller-gen writes the ClusterRole of the markers, then the Role of the markers
	// with namespace=kube-ecs-system, which the chart makes in the release namespace.
	markers := map[string]rbacv1.ClusterRole{} // by kind; a Role has the same fields
	for _, doc := range strings.Split(string(raw), "\n---\n") {
		if strings.TrimSpace(strings.Trim(doc, "-\n")) == "" {
			continue
		}
		var role rbacv1.ClusterRole
		if err := yaml.UnmarshalStrict([]byte(doc), &role); err != nil {
			t.Fatalf("config/rbac/role.yaml: %v", err)
		}
		if role.Kind == "Role" && role.Namespace != "kube-ecs-system" {
			t.Errorf("config/rbac/role.yaml has a Role in %q: the chart binds only the manager's own namespace", role.Namespace)
		}
		markers[role.Kind] = role
	}
	if len(markers["ClusterRole"].Rules) == 0 {
		t.Fatal("config/rbac/role.yaml has no ClusterRole rules")
	}
	r := render(t)
	var chart rbacv1.ClusterRole
	r.get(t, "ClusterRole", "kube-ecs-manager", &chart)
	if diff := cmp.Diff(markers["ClusterRole"].Rules, chart.Rules); diff != "" {
		t.Errorf("the chart's manager ClusterRole drifted from config/rbac/role.yaml; run make manifests (-markers +chart):\n%s", diff)
	}
	var role rbacv1.Role
	r.get(t, "Role", "kube-ecs-manager", &role)
	if diff := cmp.Diff(markers["Role"].Rules, role.Rules); diff != "" {
		t.Errorf("the chart's manager Role drifted from config/rbac/role.yaml; run make manifests (-markers +chart):\n%s", diff)
	}
	if role.Namespace != namespace {
		t.Errorf("the manager Role is in %q, want the release namespace %q", role.Namespace, namespace)
	}
	var binding rbacv1.RoleBinding
	r.get(t, "RoleBinding", "kube-ecs-manager", &binding)
	if binding.RoleRef.Kind != "Role" || binding.RoleRef.Name != "kube-ecs-manager" || len(binding.Subjects) != 1 || binding.Subjects[0].Name != "kube-ecs-manager" {
		t.Errorf("the manager RoleBinding binds %+v to %+v", binding.RoleRef, binding.Subjects)
	}
}

func TestNoWildcardRules(t *testing.T) {
	r := render(t)
	n := 0
	for _, o := range r.objects {
		if o.Kind != "ClusterRole" && o.Kind != "Role" {
			continue
		}
		var role rbacv1.ClusterRole // Role has the same rules
		o.into(t, &role)
		for i, rule := range role.Rules {
			n++
			for field, values := range map[string][]string{
				"verbs": rule.Verbs, "resources": rule.Resources, "apiGroups": rule.APIGroups,
				"resourceNames": rule.ResourceNames, "nonResourceURLs": rule.NonResourceURLs,
			} {
				for _, v := range values {
					if strings.Contains(v, "*") {
						t.Errorf("%s rule %d: %s has the wildcard %q", o.id(), i, field, v)
					}
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no RBAC rules rendered")
	}
}

// rulesOf flattens RBAC rules to "<group>/<resource>" -> sorted verbs.
func rulesOf(rules []rbacv1.PolicyRule) map[string][]string {
	got := map[string][]string{}
	for _, rule := range rules {
		for _, g := range rule.APIGroups {
			for _, res := range rule.Resources {
				got[g+"/"+res] = append(got[g+"/"+res], rule.Verbs...)
			}
		}
	}
	for k := range got {
		slices.Sort(got[k])
		got[k] = slices.Compact(got[k])
	}
	return got
}

func TestAgentRBAC(t *testing.T) {
	r := render(t)
	// Least privilege: what the agent reads and writes, nothing else. Cluster-wide: the pods
	// of its node (a watch with a field selector), its node and the kubelet's stats summary
	// through the node proxy.
	var role rbacv1.ClusterRole
	r.get(t, "ClusterRole", "kube-ecs-agent", &role)
	want := map[string][]string{
		"/pods":        {"get", "list", "watch"},
		"/nodes":       {"get"},
		"/nodes/proxy": {"get"},
	}
	if diff := cmp.Diff(want, rulesOf(role.Rules)); diff != "" {
		t.Errorf("agent cluster permissions (-want +got):\n%s", diff)
	}
	// In the release namespace: its heartbeat Lease.
	var leases rbacv1.Role
	r.get(t, "Role", "kube-ecs-agent", &leases)
	want = map[string][]string{"coordination.k8s.io/leases": {"create", "delete", "get", "patch", "update"}}
	if diff := cmp.Diff(want, rulesOf(leases.Rules)); diff != "" {
		t.Errorf("agent namespace permissions (-want +got):\n%s", diff)
	}
	var binding rbacv1.RoleBinding
	r.get(t, "RoleBinding", "kube-ecs-agent", &binding)
	if binding.RoleRef.Kind != "Role" || binding.RoleRef.Name != "kube-ecs-agent" || len(binding.Subjects) != 1 || binding.Subjects[0].Name != "kube-ecs-agent" {
		t.Errorf("the agent's RoleBinding: %+v %+v", binding.RoleRef, binding.Subjects)
	}
}

func agent(t *testing.T, set ...string) corev1.PodSpec {
	t.Helper()
	var ds appsv1.DaemonSet
	render(t, set...).get(t, "DaemonSet", "kube-ecs-agent", &ds)
	return ds.Spec.Template.Spec
}

func TestAgentContainer(t *testing.T) {
	spec := agent(t, "--set", "region=eu-west-1", "--set-string", "accountId=123456789012")
	c := spec.Containers[0]
	fields := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
			fields[e.Name] = e.ValueFrom.FieldRef.FieldPath
		}
	}
	// The node the agent heartbeats for, and the namespace of its Lease.
	if diff := cmp.Diff(map[string]string{"NODE_NAME": "spec.nodeName", "POD_NAMESPACE": "metadata.namespace"}, fields); diff != "" {
		t.Errorf("agent env from the downward API (-want +got):\n%s", diff)
	}
	// The ARNs of the metadata endpoint are the manager's.
	for _, arg := range []string{"--region=eu-west-1", "--account-id=123456789012", "--metadata-address=:51679"} {
		if !slices.Contains(c.Args, arg) {
			t.Errorf("agent args %v lack %s", c.Args, arg)
		}
	}
	// Tasks reach the metadata endpoint on their node's IP (ECS_CONTAINER_METADATA_URI_V4).
	want := corev1.ContainerPort{Name: "metadata", ContainerPort: 51679, HostPort: 51679, Protocol: corev1.ProtocolTCP}
	i := slices.IndexFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.Name == "metadata" })
	if i < 0 || c.Ports[i] != want {
		t.Errorf("agent ports %+v, want %+v", c.Ports, want)
	}
	// Enough to delete its Lease on SIGTERM, short enough to disconnect a stopped node at once.
	if spec.TerminationGracePeriodSeconds == nil || *spec.TerminationGracePeriodSeconds != 10 {
		t.Errorf("terminationGracePeriodSeconds %v, want 10", spec.TerminationGracePeriodSeconds)
	}
}

func TestAgentNodes(t *testing.T) {
	t.Run("default: nodes of EC2 capacity providers", func(t *testing.T) {
		spec := agent(t)
		want := &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: capacityPoolLabel, Operator: corev1.NodeSelectorOpDoesNotExist}},
			}}},
		}}
		if diff := cmp.Diff(want, spec.Affinity); diff != "" {
			t.Errorf("agent affinity (-want +got):\n%s", diff)
		}
		if len(spec.NodeSelector) > 0 {
			t.Errorf("unexpected nodeSelector %v", spec.NodeSelector)
		}
	})
	t.Run("agent.nodeSelector and tolerations", func(t *testing.T) {
		spec := agent(t, "--set", "agent.nodeSelector.pool=ec2", "--set", "agent.tolerations[0].operator=Exists")
		if diff := cmp.Diff(map[string]string{"pool": "ec2"}, spec.NodeSelector); diff != "" {
			t.Errorf("agent nodeSelector (-want +got):\n%s", diff)
		}
		if spec.Affinity != nil {
			t.Errorf("a nodeSelector replaces the default affinity, got %+v", spec.Affinity)
		}
		if diff := cmp.Diff([]corev1.Toleration{{Operator: corev1.TolerationOpExists}}, spec.Tolerations); diff != "" {
			t.Errorf("agent tolerations (-want +got):\n%s", diff)
		}
	})
}

func TestActivator(t *testing.T) {
	r := render(t, "--set", "activator.domain=apps.example.com", "--set", "activator.replicas=2",
		"--set", "activator.queueDepth=50", "--set", "activator.queueTimeout=2m")
	var d appsv1.Deployment
	r.get(t, "Deployment", "kube-ecs-activator", &d)
	if *d.Spec.Replicas != 2 {
		t.Errorf("activator replicas %d, want 2", *d.Spec.Replicas)
	}
	spec := d.Spec.Template.Spec
	c := spec.Containers[0]
	// The CA is the one the manager keeps in the release namespace.
	want := []string{
		"--domain=apps.example.com",
		"--ca-secret=" + namespace + "/kube-ecs-apprunner-ca",
		"--http-bind-address=:8080",
		"--https-bind-address=:8443",
		"--internal-http-bind-address=:8090",
		"--internal-https-bind-address=:8444",
		"--health-probe-bind-address=:8081",
		"--queue-depth=50",
		"--queue-timeout=2m",
	}
	if diff := cmp.Diff(want, c.Args); diff != "" {
		t.Errorf("activator args (-want +got):\n%s", diff)
	}
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if diff := cmp.Diff(map[string]int32{"http": 8080, "https": 8443, "internal-http": 8090, "internal-https": 8444, "health": 8081}, ports); diff != "" {
		t.Errorf("activator container ports (-want +got):\n%s", diff)
	}
	for _, probe := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe} {
		if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Path != "/healthz" || probe.HTTPGet.Port.String() != "health" {
			t.Errorf("want HTTP probes on health /healthz, got %+v", probe)
		}
	}

	var svc corev1.Service
	r.get(t, "Service", "kube-ecs-activator", &svc)
	got := map[string]string{}
	for _, p := range svc.Spec.Ports {
		got[p.Name] = fmt.Sprintf("%d->%s", p.Port, p.TargetPort.String())
	}
	if diff := cmp.Diff(map[string]string{"http": "80->http", "https": "443->https"}, got); diff != "" {
		t.Errorf("activator Service ports (-want +got):\n%s", diff)
	}
	if svc.Spec.Type != corev1.ServiceTypeClusterIP {
		t.Errorf("activator Service type %s, want the default ClusterIP", svc.Spec.Type)
	}
	if diff := cmp.Diff(d.Spec.Selector.MatchLabels, svc.Spec.Selector); diff != "" {
		t.Errorf("the activator Service does not select the activator's pods (-deployment +service):\n%s", diff)
	}
	// Private services are served on the internal ports only, which a ClusterIP Service
	// alone exposes, whatever the type of the public one.
	lbRender := render(t, "--set", "activator.service.type=LoadBalancer")
	var lb, internal corev1.Service
	lbRender.get(t, "Service", "kube-ecs-activator", &lb)
	if lb.Spec.Type != corev1.ServiceTypeLoadBalancer {
		t.Errorf("activator.service.type=LoadBalancer rendered %s", lb.Spec.Type)
	}
	lbRender.get(t, "Service", "kube-ecs-activator-internal", &internal)
	got = map[string]string{}
	for _, p := range internal.Spec.Ports {
		got[p.Name] = fmt.Sprintf("%d->%s", p.Port, p.TargetPort.String())
	}
	if diff := cmp.Diff(map[string]string{"http": "80->internal-http", "https": "443->internal-https"}, got); diff != "" {
		t.Errorf("internal activator Service ports (-want +got):\n%s", diff)
	}
	if internal.Spec.Type != corev1.ServiceTypeClusterIP {
		t.Errorf("internal activator Service type %s, want ClusterIP", internal.Spec.Type)
	}
	if diff := cmp.Diff(d.Spec.Selector.MatchLabels, internal.Spec.Selector); diff != "" {
		t.Errorf("the internal activator Service does not select the activator's pods (-deployment +service):\n%s", diff)
	}
	// The instances' ingress NetworkPolicy admits the activator's pods by these labels.
	for k, v := range map[string]string{"app.kubernetes.io/component": "activator", "app.kubernetes.io/part-of": "kube-ecs"} {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("activator pod label %s=%q, want %q (the instances' ingress NetworkPolicy selects it)", k, d.Spec.Template.Labels[k], v)
		}
	}
}

func TestActivatorRBAC(t *testing.T) {
	r := render(t)
	var d appsv1.Deployment
	r.get(t, "Deployment", "kube-ecs-activator", &d)
	var sa corev1.ServiceAccount
	r.get(t, "ServiceAccount", d.Spec.Template.Spec.ServiceAccountName, &sa)
	if sa.AutomountServiceAccountToken != nil && !*sa.AutomountServiceAccountToken {
		t.Error("the activator's service account mounts no token: it watches the API server")
	}
	// Read only: AppRunnerServices and EndpointSlices everywhere (the route table)...
	var role rbacv1.ClusterRole
	r.get(t, "ClusterRole", "kube-ecs-activator", &role)
	want := map[string][]string{
		"apprunner.kube-ecs.io/apprunnerservices": {"get", "list", "watch"},
		"discovery.k8s.io/endpointslices":         {"get", "list", "watch"},
	}
	if diff := cmp.Diff(want, rulesOf(role.Rules)); diff != "" {
		t.Errorf("activator cluster permissions (-want +got):\n%s", diff)
	}
	// ...and the CA Secret by name alone (a field-selector watch is authorized by resourceNames).
	var secrets rbacv1.Role
	r.get(t, "Role", "kube-ecs-activator", &secrets)
	if diff := cmp.Diff([]rbacv1.PolicyRule{{
		APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"kube-ecs-apprunner-ca"}, Verbs: []string{"get", "list", "watch"},
	}}, secrets.Rules); diff != "" {
		t.Errorf("activator namespace permissions (-want +got):\n%s", diff)
	}
	for kind, roleKind := range map[string]string{"ClusterRoleBinding": "ClusterRole", "RoleBinding": "Role"} {
		var b rbacv1.RoleBinding
		r.get(t, kind, "kube-ecs-activator", &b)
		if b.RoleRef.Kind != roleKind || b.RoleRef.Name != "kube-ecs-activator" || len(b.Subjects) != 1 ||
			b.Subjects[0].Kind != "ServiceAccount" || b.Subjects[0].Name != sa.Name || b.Subjects[0].Namespace != namespace {
			t.Errorf("%s: %+v %+v", kind, b.RoleRef, b.Subjects)
		}
	}
}

func TestImages(t *testing.T) {
	tests := []struct {
		name string
		set  []string
		want map[string]string
	}{
		{"defaults: appVersion, no registry", nil, map[string]string{
			"Deployment/kube-ecs-manager":   "kube-ecs-manager:0.1.0",
			"DaemonSet/kube-ecs-agent":      "kube-ecs-agent:0.1.0",
			"Deployment/kube-ecs-activator": "kube-ecs-activator:0.1.0",
		}},
		{"registry and tag", []string{"--set", "image.registry=registry.example.com/ecs/", "--set", "image.tag=v1.2.3"}, map[string]string{
			"Deployment/kube-ecs-manager":   "registry.example.com/ecs/kube-ecs-manager:v1.2.3",
			"DaemonSet/kube-ecs-agent":      "registry.example.com/ecs/kube-ecs-agent:v1.2.3",
			"Deployment/kube-ecs-activator": "registry.example.com/ecs/kube-ecs-activator:v1.2.3",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]string{}
			for id, spec := range render(t, tt.set...).podSpecs(t) {
				got[id] = spec.Containers[0].Image
				if p := spec.Containers[0].ImagePullPolicy; p != corev1.PullIfNotPresent {
					t.Errorf("%s: imagePullPolicy %s", id, p)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("images (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFargateConfigMap(t *testing.T) {
	var cm corev1.ConfigMap
	render(t, "--set", "fargate.runtimeClassName=gvisor", "--set", "fargateSpot.isolation=dedicated").get(t, "ConfigMap", "kube-ecs-config", &cm)
	// What the manager reads with --capacity-pools.
	got, err := capacity.LoadPools([]byte(cm.Data["capacity-pools.json"]))
	if err != nil {
		t.Fatalf("capacity-pools.json: %v\n%s", err, cm.Data["capacity-pools.json"])
	}
	mk := func(name, runtimeClass, isolation string) capacity.Pool {
		return capacity.Pool{
			NodeSelector: map[string]string{"ecs.kube-ecs.io/capacity-pool": name},
			Tolerations: []corev1.Toleration{{
				Key: "ecs.kube-ecs.io/capacity-pool", Operator: corev1.TolerationOpEqual, Value: name, Effect: corev1.TaintEffectNoSchedule,
			}},
			RuntimeClassName: runtimeClass,
			Isolation:        isolation,
		}
	}
	want := capacity.Pools{Fargate: mk("fargate", "gvisor", "shared"), FargateSpot: mk("fargate-spot", "", "dedicated")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("capacity pools (-want +got):\n%s", diff)
	}
	def, err := capacity.LoadPools([]byte(render(t).configMapData(t)))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(capacity.DefaultPools(), def); diff != "" {
		t.Errorf("the chart's default pools differ from the manager's built-in ones (-built-in +chart):\n%s", diff)
	}
}

func (r rendered) configMapData(t *testing.T) string {
	var cm corev1.ConfigMap
	r.get(t, "ConfigMap", "kube-ecs-config", &cm)
	return cm.Data["capacity-pools.json"]
}

func TestSchemaRejectsBadValues(t *testing.T) {
	tests := []struct {
		name string
		set  []string
		want string // in helm's error
	}{
		{"account id as a number", []string{"--set", "accountId=42"}, "/accountId"},
		{"account id of 2 digits", []string{"--set-string", "accountId=42"}, "/accountId"},
		{"log level", []string{"--set", "logLevel=loud"}, "/logLevel"},
		{"unknown top-level key", []string{"--set", "replicaCount=2"}, "replicaCount"},
		{"unknown manager key", []string{"--set", "manager.replicaCount=2"}, "replicaCount"},
		{"region", []string{"--set", "region=Europe"}, "/region"},
		{"isolation", []string{"--set", "fargate.isolation=private"}, "/fargate/isolation"},
		{"retention", []string{"--set", "stoppedTaskRetention=forever"}, "/stoppedTaskRetention"},
		{"autoscaling window", []string{"--set", "autoscaling.stableWindow=a minute"}, "/autoscaling/stableWindow"},
		{"spot interruption warning", []string{"--set", "fargateSpot.interruptionWarning=soon"}, "/fargateSpot/interruptionWarning"},
		{"interruption warning on the Fargate pool", []string{"--set", "fargate.interruptionWarning=1m"}, "interruptionWarning"},
		{"pull policy", []string{"--set", "image.pullPolicy=Sometimes"}, "/image/pullPolicy"},
		{"domain", []string{"--set", "activator.domain=Not_A_Domain"}, "/activator/domain"},
		{"queue depth", []string{"--set", "activator.queueDepth=-1"}, "/activator/queueDepth"},
		{"queue timeout", []string{"--set", "activator.queueTimeout=forever"}, "/activator/queueTimeout"},
		{"admission policies switch", []string{"--set-string", "admissionPolicies.enabled=yes"}, "/admissionPolicies/enabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := renderIn(t, namespace, tt.set...)
			if err == nil {
				t.Fatalf("helm template %v succeeded, want a schema error", tt.set)
			}
			if !strings.Contains(err.Error(), "schema") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("want a schema error naming %q, got: %v", tt.want, err)
			}
		})
	}
}

// TestAdmissionPolicies checks the chart installs config/admission/service-delete.yaml by
// default: the policy's spec as it is there (make manifests copies it), and a binding that
// denies, named after the release.
func TestAdmissionPolicies(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "config", "admission", "service-delete.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		policy  admissionregistrationv1.ValidatingAdmissionPolicy
		binding admissionregistrationv1.ValidatingAdmissionPolicyBinding
	}
	docs := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
	for {
		doc, err := docs.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			t.Fatal(err)
		}
		switch meta.Kind {
		case "ValidatingAdmissionPolicy":
			err = yaml.UnmarshalStrict(doc, &want.policy)
		case "ValidatingAdmissionPolicyBinding":
			err = yaml.UnmarshalStrict(doc, &want.binding)
		}
		if err != nil {
			t.Fatalf("config/admission/service-delete.yaml: %s: %v", meta.Kind, err)
		}
	}
	if len(want.policy.Spec.Validations) == 0 || want.binding.Spec.PolicyName != want.policy.Name {
		t.Fatal("config/admission/service-delete.yaml needs a policy with validations and its binding")
	}

	r := render(t)
	const name = "kube-ecs-service-delete" // <fullname>-service-delete
	var policy admissionregistrationv1.ValidatingAdmissionPolicy
	r.get(t, "ValidatingAdmissionPolicy", name, &policy)
	if diff := cmp.Diff(want.policy.Spec, policy.Spec); diff != "" {
		t.Errorf("the chart's policy drifted from config/admission/service-delete.yaml; run make manifests (-config +chart):\n%s", diff)
	}
	var binding admissionregistrationv1.ValidatingAdmissionPolicyBinding
	r.get(t, "ValidatingAdmissionPolicyBinding", name, &binding)
	wantBinding := want.binding.Spec
	wantBinding.PolicyName = name
	if diff := cmp.Diff(wantBinding, binding.Spec); diff != "" {
		t.Errorf("the chart's binding differs from config/admission/service-delete.yaml's (-config +chart):\n%s", diff)
	}

	for _, o := range render(t, "--set", "admissionPolicies.enabled=false").objects {
		if strings.HasPrefix(o.Kind, "ValidatingAdmissionPolicy") {
			t.Errorf("%s rendered although admissionPolicies.enabled=false", o.id())
		}
	}
}

// TestChartCRDsAreGenerated checks crds/ is config/crd/bases behind the generated header,
// file for file (make manifests copies them; make verify catches drift too).
func TestChartCRDsAreGenerated(t *testing.T) {
	root := repoRoot(t)
	bases, _ := filepath.Glob(filepath.Join(root, "config", "crd", "bases", "*.yaml"))
	chart, _ := filepath.Glob(filepath.Join(chartDir(t), "crds", "*.yaml"))
	names := func(paths []string) []string {
		var out []string
		for _, p := range paths {
			out = append(out, filepath.Base(p))
		}
		return out
	}
	if len(bases) == 0 {
		t.Fatal("config/crd/bases has no CRDs")
	}
	if diff := cmp.Diff(names(bases), names(chart)); diff != "" {
		t.Fatalf("charts/kube-ecs/crds differs from config/crd/bases; run make manifests (-bases +chart):\n%s", diff)
	}
	const header = "# Generated by make manifests from config/crd/bases; do not edit.\n"
	for _, b := range bases {
		want, _ := os.ReadFile(b)
		got, err := os.ReadFile(filepath.Join(chartDir(t), "crds", filepath.Base(b)))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != header+string(want) {
			t.Errorf("charts/kube-ecs/crds/%s is stale; run make manifests", filepath.Base(b))
		}
	}
}

// TestCertManager: with an issuer the manager writes Certificates and the activator serves
// cert-manager's Secrets, which it may then read in the release namespace (RBAC cannot
// restrict by label); without one, today's CA (TestActivator, TestActivatorRBAC).
func TestCertManager(t *testing.T) {
	tests := []struct {
		name       string
		set        []string
		wantIssuer string
	}{
		{"cluster issuer", []string{"--set", "activator.tls.certManager.issuerRef.name=letsencrypt"}, "ClusterIssuer/letsencrypt"},
		{"issuer", []string{"--set", "activator.tls.certManager.issuerRef.name=ca", "--set", "activator.tls.certManager.issuerRef.kind=Issuer"}, "Issuer/ca"},
		{"external issuer", []string{"--set", "activator.tls.certManager.issuerRef.name=pca", "--set", "activator.tls.certManager.issuerRef.kind=AWSPCAClusterIssuer",
			"--set", "activator.tls.certManager.issuerRef.group=awspca.cert-manager.io"}, "AWSPCAClusterIssuer.awspca.cert-manager.io/pca"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := render(t, tt.set...)
			if args := managerArgs(t, r); !slices.Contains(args, "--apprunner-cert-manager-issuer="+tt.wantIssuer) {
				t.Errorf("manager args %q lack --apprunner-cert-manager-issuer=%s", args, tt.wantIssuer)
			}
			var d appsv1.Deployment
			r.get(t, "Deployment", "kube-ecs-activator", &d)
			args := d.Spec.Template.Spec.Containers[0].Args
			for _, want := range []string{"--cert-source=cert-manager", "--cert-namespace=" + namespace} {
				if !slices.Contains(args, want) {
					t.Errorf("activator args %q lack %s", args, want)
				}
			}
			var secrets rbacv1.Role
			r.get(t, "Role", "kube-ecs-activator", &secrets)
			if diff := cmp.Diff([]rbacv1.PolicyRule{{
				APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "watch"},
			}}, secrets.Rules); diff != "" {
				t.Errorf("activator namespace permissions (-want +got):\n%s", diff)
			}
		})
	}
	r := render(t)
	if args := managerArgs(t, r); slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--apprunner-cert-manager-issuer") }) {
		t.Errorf("default manager args %q name an issuer", args)
	}
}
