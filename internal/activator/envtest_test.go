//go:build envtest

package activator_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/activator"
	"github.com/kube-ecs/kube-ecs/internal/apprunner"
	"github.com/kube-ecs/kube-ecs/internal/scheme"
	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

const domain = "apps.example.com"

// TestWatchOnAPIServer runs the activator's watches against a real API server, as the
// chart's service account (the same rules as charts/kube-ecs/templates/activator-rbac.yaml,
// which test/chart checks): the route table follows an AppRunnerService and its
// EndpointSlice (added, instance ready and not, paused, deleted), and the CA comes from its
// Secret, read with a Role limited to that Secret's name.
func TestWatchOnAPIServer(t *testing.T) {
	env, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping envtest: %v", err)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	system := env.NewNamespace(t, "kube-ecs-system")
	ns := env.NewNamespace(t, "team")
	caKey := types.NamespacedName{Namespace: system, Name: "kube-ecs-apprunner-ca"}
	cfg := asActivator(t, env, caKey)

	c, err := activator.NewCache(cfg, scheme.New(), activator.CASecretCache(caKey))
	if err != nil {
		t.Fatal(err)
	}
	router := activator.NewRouter(10, time.Minute, clock.RealClock{})
	routes := &activator.RouteWatcher{Cache: c, Router: router, Domain: domain, Log: logr.Discard()}
	if err := routes.Register(ctx); err != nil {
		t.Fatal(err)
	}
	certs := &activator.Certificates{Known: router.Known, Clock: clock.RealClock{}}
	if err := activator.WatchCA(ctx, c, caKey, certs, logr.Discard()); err != nil {
		t.Fatal(err)
	}
	go func() { _ = c.Start(ctx) }()
	go func() { _ = routes.Run(ctx) }()
	testenv.Eventually(t, 30*time.Second, func() error {
		if !routes.Synced() {
			return fmt.Errorf("the route table is not synced")
		}
		return nil
	})

	host := apprunner.Host("webapp", ns, domain)
	expect := func(want activator.Route, wantOK bool) {
		t.Helper()
		testenv.Eventually(t, 10*time.Second, func() error {
			got, ok := router.Lookup(host)
			if ok != wantOK || !cmp.Equal(want, got) {
				return fmt.Errorf("route of %s: %+v %t, want %+v %t", host, got, ok, want, wantOK)
			}
			return nil
		})
	}
	key := types.NamespacedName{Namespace: ns, Name: "webapp"}

	svc := &apprunnerv1alpha1.AppRunnerService{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "webapp"},
		Spec: apprunnerv1alpha1.AppRunnerServiceSpec{SourceConfiguration: apprunnerv1alpha1.SourceConfiguration{
			ImageRepository: &apprunnerv1alpha1.ImageRepository{ImageIdentifier: "public.ecr.aws/x/web:1", ImageRepositoryType: "ECR_PUBLIC"},
		}},
	}
	env.Create(t, svc)
	expect(activator.Route{Service: key}, true)

	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: ns, Name: "webapp-abcde", Labels: map[string]string{discoveryv1.LabelServiceName: "webapp"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080)}},
		Endpoints: []discoveryv1.Endpoint{
			{Addresses: []string{"10.0.0.1"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}},
			{Addresses: []string{"10.0.0.2"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(false)}},
		},
	}
	other := slice.DeepCopy()
	other.Name, other.Labels[discoveryv1.LabelServiceName] = "unrelated-abcde", "unrelated"
	env.Create(t, slice, other)
	expect(activator.Route{Service: key, Backends: []string{"10.0.0.1:8080"}}, true)

	update := func(obj client.Object, change func()) {
		t.Helper()
		testenv.Eventually(t, 10*time.Second, func() error {
			if err := env.Client.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
				return err
			}
			change()
			return env.Client.Update(ctx, obj)
		})
	}
	update(slice, func() { slice.Endpoints[0].Conditions.Ready = ptr.To(false) })
	expect(activator.Route{Service: key}, true)
	update(slice, func() { slice.Endpoints[0].Conditions.Ready, slice.Endpoints[1].Conditions.Ready = nil, ptr.To(true) })
	expect(activator.Route{Service: key, Backends: []string{"10.0.0.1:8080", "10.0.0.2:8080"}}, true)
	update(svc, func() { svc.Spec.Paused = true })
	expect(activator.Route{Service: key, Paused: true, Backends: []string{"10.0.0.1:8080", "10.0.0.2:8080"}}, true)

	// The CA may appear after the activator started.
	hello := &tls.ClientHelloInfo{ServerName: host}
	if _, err := certs.GetCertificate(hello); err == nil {
		t.Fatal("a certificate before the CA secret exists")
	}
	env.Create(t, caSecret(t, caKey))
	testenv.Eventually(t, 10*time.Second, func() error {
		_, err := certs.GetCertificate(hello)
		return err
	})

	if err := env.Client.Delete(ctx, svc); err != nil {
		t.Fatal(err)
	}
	expect(activator.Route{}, false)
}

// asActivator is cfg impersonating the activator's service account, bound to the chart's rules.
func asActivator(t *testing.T, env *testenv.Env, caKey types.NamespacedName) *rest.Config {
	t.Helper()
	const sa = "kube-ecs-activator"
	subject := rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: caKey.Namespace, Name: sa}
	name := "activator-" + caKey.Namespace
	env.Create(t,
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{apprunnerv1alpha1.GroupVersion.Group}, Resources: []string{"apprunnerservices"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{discoveryv1.GroupName}, Resources: []string{"endpointslices"}, Verbs: []string{"get", "list", "watch"}},
		}},
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name}, Subjects: []rbacv1.Subject{subject},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name}},
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: caKey.Namespace, Name: sa}, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{caKey.Name}, Verbs: []string{"get", "list", "watch"}},
		}},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: caKey.Namespace, Name: sa}, Subjects: []rbacv1.Subject{subject},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: sa}},
	)
	cfg := rest.CopyConfig(env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + caKey.Namespace + ":" + sa}
	return cfg
}

// caSecret is a CA as the manager writes it (apprunner.NewCA and CASecretData).
func caSecret(t *testing.T, key types.NamespacedName) *corev1.Secret {
	t.Helper()
	crt, priv, err := apprunner.NewCA(rand.Reader, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name},
		Type:       corev1.SecretTypeTLS,
		Data:       apprunner.CASecretData(crt, priv),
	}
}
