//go:build envtest

package apprunner_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
	apprunnerctrl "github.com/kube-ecs/kube-ecs/controllers/apprunner"
	"github.com/kube-ecs/kube-ecs/internal/apprunner"
	"github.com/kube-ecs/kube-ecs/internal/scheme"
	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

// startCertificates runs a certificate controller with issuer, in a manager of its own that
// sees the services of ns only (the suite's manager runs without an issuer), with ns as the
// activators' namespace too.
func startCertificates(t *testing.T, ns string, retry time.Duration) {
	t.Helper()
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{
		Scheme:                 scheme.New(),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  cache.Options{DefaultNamespaces: map[string]cache.Config{ns: {}}},
		Controller:             config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := (&apprunnerctrl.CertificateReconciler{
		Client: mgr.GetClient(), Issuer: &apprunner.IssuerRef{Name: "letsencrypt", Kind: "ClusterIssuer"},
		Namespace: ns, Domain: domain, Recorder: mgr.GetEventRecorder("kube-ecs"), RetryInterval: retry,
	}).SetupWithManager(mgr); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the certificate controller's manager: %v", err)
		}
	})
}

func certificateCondition(svc *apprunnerv1alpha1.AppRunnerService, status metav1.ConditionStatus, reason string) error {
	c := meta.FindStatusCondition(svc.Status.Conditions, apprunnerv1alpha1.CertificateConfiguredCondition)
	if c == nil || c.Status != status || c.Reason != reason {
		return fmt.Errorf("condition %s is %+v, want %s %s", apprunnerv1alpha1.CertificateConfiguredCondition, c, status, reason)
	}
	return nil
}

// TestCertificates runs in two steps, in this order: without cert-manager's CRD, then with it
// (the suite's API server keeps it afterwards).
func TestCertificates(t *testing.T) {
	ns := env.NewNamespace(t, "ar-cert")
	retry := 300 * time.Millisecond
	startCertificates(t, ns, retry)
	svc := newService(ns, "webapp")
	name := apprunner.CertificateName(ns, "webapp")
	cert := &unstructured.Unstructured{}
	cert.SetGroupVersionKind(apprunner.CertificateGVK)

	// Without the CRD: a condition and one Warning, no error loop; the service keeps working.
	env.Create(t, svc)
	waitObject(t, ns, "webapp", &apprunnerv1alpha1.AppRunnerService{}, func(s *apprunnerv1alpha1.AppRunnerService) error {
		return certificateCondition(s, metav1.ConditionFalse, apprunnerv1alpha1.CertManagerMissingReason)
	})
	time.Sleep(5 * retry) // several retries: they must not add events
	// One event, not repeated (the events API would count repeats in a series).
	testenv.Eventually(t, timeout, func() error {
		list := &eventsv1.EventList{}
		if err := env.Client.List(ctx, list, client.InNamespace(ns)); err != nil {
			return err
		}
		n := 0
		for _, e := range list.Items {
			if e.Reason == apprunnerv1alpha1.CertManagerMissingReason && e.Regarding.Name == "webapp" {
				if e.Series != nil {
					return fmt.Errorf("the %s event repeats: %+v", e.Reason, e.Series)
				}
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("%d %s events, want 1", n, apprunnerv1alpha1.CertManagerMissingReason)
		}
		return nil
	})

	// cert-manager installed: the Certificate appears at the next retry.
	if _, err := envtest.InstallCRDs(env.Config, envtest.CRDInstallOptions{
		Paths: []string{filepath.Join("testdata", "certmanager-certificate-crd.yaml")}, ErrorIfPathMissing: true,
	}); err != nil {
		t.Fatal(err)
	}
	waitObject(t, ns, name, cert, nil)
	want := apprunner.MakeCertificate(svc, domain, ns, apprunner.IssuerRef{Name: "letsencrypt"})
	for _, f := range [][]string{{"spec", "dnsNames"}, {"spec", "issuerRef"}, {"spec", "secretName"}, {"spec", "secretTemplate"}, {"metadata", "labels"}} {
		got, _, _ := unstructured.NestedFieldCopy(cert.Object, f...)
		w, _, _ := unstructured.NestedFieldCopy(want.Object, f...)
		if fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("Certificate %v = %v, want %v", f, got, w)
		}
	}
	if hosts, _, _ := unstructured.NestedStringSlice(cert.Object, "spec", "dnsNames"); len(hosts) != 1 || hosts[0] != "webapp."+ns+"."+domain {
		t.Errorf("dnsNames %q", hosts)
	}
	cur := waitObject(t, ns, "webapp", &apprunnerv1alpha1.AppRunnerService{}, func(s *apprunnerv1alpha1.AppRunnerService) error {
		return certificateCondition(s, metav1.ConditionTrue, apprunnerv1alpha1.CertificateAppliedReason)
	})
	if !slices.Contains(cur.Finalizers, apprunner.CertificateFinalizer) {
		t.Errorf("finalizers %q, want %s", cur.Finalizers, apprunner.CertificateFinalizer)
	}

	// The Secret cert-manager would write; deleting the service deletes both.
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{apprunner.CertificateLabel: "true"}},
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{corev1.TLSCertKey: []byte("x"), corev1.TLSPrivateKeyKey: []byte("y")},
	}
	env.Create(t, secret)
	if err := env.Client.Delete(ctx, svc); err != nil {
		t.Fatal(err)
	}
	env.WaitGone(t, timeout, svc)
	for _, o := range []client.Object{cert, secret} {
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(o), o); !apierrors.IsNotFound(err) {
			t.Errorf("%T %s after the service's deletion: %v, want NotFound", o, name, err)
		}
	}
}
