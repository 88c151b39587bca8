package chart_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

// TestTenantRole installs the chart's kube-ecs-tenant ClusterRole, binds it in one namespace
// and asks the API server (SubjectAccessReview) what a tenant may do: everything with kube-ecs
// objects and its pods' logs and exec there, nothing elsewhere and nothing with nodes.
func TestTenantRole(t *testing.T) {
	helmBin(t)
	env, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping envtest: %v", err)
		}
	})
	ctx := context.Background()
	ns := env.NewNamespace(t, "team-a")
	other := env.NewNamespace(t, "team-b")
	r := render(t)
	role, ok := r.find("ClusterRole", "kube-ecs-tenant")
	if !ok {
		t.Fatal("the chart renders no ClusterRole kube-ecs-tenant")
	}
	file := filepath.Join(t.TempDir(), "role.yaml")
	if err := os.WriteFile(file, role.raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(env.Kubectl(), "--kubeconfig", env.Kubeconfig, "apply", "-f", file).CombinedOutput(); err != nil {
		t.Fatalf("kubectl apply: %v\n%s", err, out)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "team-a", Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "kube-ecs-tenant"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice"}},
	}
	if err := env.Client.Create(ctx, binding); err != nil {
		t.Fatal(err)
	}
	// The API server's authorizer sees the role and the binding through its informers, a
	// moment after they are created.
	testenv.Eventually(t, 30*time.Second, func() error {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User:               "alice",
			ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Group: "ecs.kube-ecs.io", Resource: "tasks", Verb: "create"},
		}}
		if err := env.Client.Create(ctx, sar); err != nil {
			return err
		}
		if !sar.Status.Allowed {
			return fmt.Errorf("the binding does not apply yet: %s", sar.Status.Reason)
		}
		return nil
	})
	tests := []struct {
		namespace, group, resource, subresource, verb string
		allowed                                       bool
	}{
		{ns, "ecs.kube-ecs.io", "tasks", "", "create", true},
		{ns, "ecs.kube-ecs.io", "services", "", "delete", true},
		{ns, "ecs.kube-ecs.io", "taskdefinitions", "", "update", true},
		{ns, "ecs.kube-ecs.io", "containerinstances", "", "list", true},
		{ns, "ecs.kube-ecs.io", "containerinstances", "", "create", false},
		{ns, "apprunner.kube-ecs.io", "apprunnerservices", "", "create", true},
		{ns, "", "pods", "log", "get", true},
		{ns, "", "pods", "exec", "create", true},
		{ns, "", "pods", "", "list", true},
		{ns, "", "pods", "", "create", false},
		{ns, "", "secrets", "", "create", true},
		{other, "ecs.kube-ecs.io", "tasks", "", "create", false},
		{other, "", "pods", "log", "get", false},
		{"", "", "nodes", "", "list", false},
		{"", "", "nodes", "", "get", false},
		{"", "ecs.kube-ecs.io", "containerinstances", "", "list", false},
	}
	for _, tt := range tests {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: "alice",
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Namespace: tt.namespace, Group: tt.group, Resource: tt.resource, Subresource: tt.subresource, Verb: tt.verb,
			},
		}}
		if err := env.Client.Create(ctx, sar); err != nil {
			t.Fatal(err)
		}
		if sar.Status.Allowed != tt.allowed {
			where := tt.namespace
			if where == "" {
				where = "cluster-wide"
			}
			t.Errorf("alice %s %s/%s %s (%s): allowed %t, want %t", tt.verb, tt.resource, tt.subresource, tt.group, where, sar.Status.Allowed, tt.allowed)
		}
	}
}
