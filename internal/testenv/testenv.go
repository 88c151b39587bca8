// Package testenv starts a real kube-apiserver and etcd (controller-runtime's envtest, with
// the binaries hack/tools.sh builds from source) with the kube-ecs CRDs and admission
// policies installed, for the integration suites. It never downloads anything.
package testenv

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/kube-ecs/kube-ecs/controllers/admission"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/scheme"
)

// Env is a running API server with the kube-ecs CRDs and admission policies.
type Env struct {
	// Config reaches the API server as a cluster admin.
	Config *rest.Config
	// Client is a controller-runtime client with the kube-ecs scheme.
	Client client.Client
	// Kubeconfig is the path of a kubeconfig file for kubectl.
	Kubeconfig string
	// Root is the repository root.
	Root string

	env *envtest.Environment
	dir string
}

// Root returns the repository root (the folder holding go.mod).
func Root() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("cannot locate the testenv package source")
	}
	dir := filepath.Dir(file)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above " + filepath.Dir(file))
		}
		dir = parent
	}
}

// Start starts etcd and kube-apiserver, installs the CRDs from config/crd/bases and the
// admission policies from config/admission, and returns once the policies are enforced.
// The binaries come from $KUBEBUILDER_ASSETS, else bin/k8s (make envtest-assets).
func Start() (*Env, error) {
	root, err := Root()
	if err != nil {
		return nil, err
	}
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		assets = filepath.Join(root, "bin", "k8s")
	}
	for _, b := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(assets, b)); err != nil {
			return nil, fmt.Errorf("%s not found in %s: run `make envtest-assets` (it builds the control plane from source): %w", b, assets, err)
		}
	}
	e := &Env{Root: root, env: &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		Scheme:                scheme.New(),
		// The manager's validating webhook (config/webhook), served by StartManager.
		WebhookInstallOptions: envtest.WebhookInstallOptions{Paths: []string{filepath.Join(root, "config", "webhook")}},
	}}
	cfg, err := e.env.Start()
	if err != nil {
		// Start may fail after etcd and kube-apiserver run (a CRD the server refuses, say):
		// stop them so that no process outlives the test.
		_ = e.env.Stop()
		return nil, fmt.Errorf("starting envtest: %w", err)
	}
	e.Config = cfg
	if e.Client, err = client.New(cfg, client.Options{Scheme: e.env.Scheme}); err != nil {
		_ = e.Stop()
		return nil, fmt.Errorf("creating a client: %w", err)
	}
	if err := e.installAdmissionPolicies(); err != nil {
		_ = e.Stop()
		return nil, err
	}
	if err := e.writeKubeconfig(); err != nil {
		_ = e.Stop()
		return nil, err
	}
	return e, nil
}

// installAdmissionPolicies creates every object of config/admission (envtest.Environment
// installs CRDs only) and waits until the API server enforces them.
func (e *Env) installAdmissionPolicies() error {
	ctx := context.Background()
	files, err := filepath.Glob(filepath.Join(e.Root, "config", "admission", "*.yaml"))
	if err != nil {
		return err
	}
	n := 0
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			obj := &unstructured.Unstructured{}
			if err := dec.Decode(&obj.Object); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return fmt.Errorf("decoding %s: %w", f, err)
			}
			if len(obj.Object) == 0 {
				continue
			}
			if err := e.Client.Create(ctx, obj); err != nil {
				return fmt.Errorf("creating %s %s from %s: %w", obj.GetKind(), obj.GetName(), f, err)
			}
			n++
		}
	}
	if n == 0 {
		return errors.New("config/admission holds no admission policies")
	}
	return e.waitForServiceDeletePolicy(ctx)
}

// waitForServiceDeletePolicy returns once the API server refuses to delete a service scaled
// above 0. A policy and its binding take effect a moment after they are created (the
// admission plugin loads them from an informer and type-checks them), and nothing in their
// status says when: so it asks the plugin itself, with a dry-run delete of a probe service,
// which it then deletes with the force annotation, and its namespace with it.
func (e *Env) waitForServiceDeletePolicy(ctx context.Context) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "testenv-admission-"}}
	if err := e.Client.Create(ctx, ns); err != nil {
		return fmt.Errorf("creating the admission probe namespace: %w", err)
	}
	svc := &ecsv1alpha1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "probe", Namespace: ns.Name},
		Spec:       ecsv1alpha1.ServiceSpec{TaskDefinition: "probe", DesiredCount: ptr.To[int32](2)},
	}
	if err := e.Client.Create(ctx, svc); err != nil {
		return fmt.Errorf("creating the admission probe service: %w", err)
	}
	var last error
	if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		last = e.Client.Delete(ctx, svc, client.DryRunAll)
		return apierrors.IsForbidden(last), nil
	}); err != nil {
		return fmt.Errorf("the service delete policy of config/admission is not enforced after 30s (a dry-run delete of a service scaled to 2 returned %v): %w", last, err)
	}
	force := fmt.Sprintf(`{"metadata":{"annotations":{%q:"true"}}}`, ecsv1alpha1.ForceDeleteAnnotation)
	if err := e.Client.Patch(ctx, svc, client.RawPatch(types.MergePatchType, []byte(force))); err != nil {
		return fmt.Errorf("annotating the admission probe service: %w", err)
	}
	if err := e.Client.Delete(ctx, svc); err != nil {
		return fmt.Errorf("deleting the admission probe service: %w", err)
	}
	// Without a namespace controller the namespace stays Terminating, empty.
	if err := e.Client.Delete(ctx, ns); err != nil {
		return fmt.Errorf("deleting the admission probe namespace: %w", err)
	}
	return nil
}

func (e *Env) writeKubeconfig() error {
	user, err := e.env.AddUser(envtest.User{Name: "test-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fmt.Errorf("adding a kubeconfig user: %w", err)
	}
	data, err := user.KubeConfig()
	if err != nil {
		return fmt.Errorf("rendering the kubeconfig: %w", err)
	}
	if e.dir, err = os.MkdirTemp("", "kube-ecs-envtest-"); err != nil {
		return err
	}
	e.Kubeconfig = filepath.Join(e.dir, "kubeconfig")
	return os.WriteFile(e.Kubeconfig, data, 0o600)
}

// Kubectl returns the path of the kubectl to drive the API server with: bin/kubectl
// (built by hack/tools.sh), else the one on PATH.
func (e *Env) Kubectl() string {
	p := filepath.Join(e.Root, "bin", "kubectl")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return "kubectl"
}

// Stop stops the API server and etcd and removes the kubeconfig.
func (e *Env) Stop() error {
	if e.dir != "" {
		_ = os.RemoveAll(e.dir)
	}
	return e.env.Stop()
}

// Eventually calls check until it returns nil or timeout passes, then fails the test with
// check's last error. Suites use it instead of sleeps.
func Eventually(t testing.TB, timeout time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s: %v", timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// StartManager runs a controller manager against the API server with the controllers that
// setup registers (none when setup is nil) and the validating webhook (metrics and health
// endpoints off). The returned stop cancels it and
// waits for it to return.
func (e *Env) StartManager(setup func(ctx context.Context, mgr ctrl.Manager) error) (stop func() error, err error) {
	ctrl.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	wh := e.env.WebhookInstallOptions
	mgr, err := ctrl.NewManager(e.Config, ctrl.Options{
		Scheme:                 e.env.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		WebhookServer:          webhook.NewServer(webhook.Options{Host: wh.LocalServingHost, Port: wh.LocalServingPort, CertDir: wh.LocalServingCertDir}),
	})
	if err != nil {
		return nil, fmt.Errorf("creating a manager: %w", err)
	}
	admission.Register(mgr.GetWebhookServer(), e.env.Scheme, mgr.GetAPIReader())
	ctx, cancel := context.WithCancel(context.Background())
	if setup != nil {
		if err := setup(ctx, mgr); err != nil {
			cancel()
			return nil, err
		}
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	stop = func() error { cancel(); return <-done }
	// The webhook fails open (failurePolicy Ignore): wait until it listens, so that tests
	// do not race it.
	addr := net.JoinHostPort(wh.LocalServingHost, strconv.Itoa(wh.LocalServingPort))
	deadline := time.Now().Add(30 * time.Second)
	for {
		// A whole TLS handshake: a bare TCP probe makes the server log a handshake error.
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // a liveness probe of a local test server
		if err == nil {
			_ = conn.Close()
			return stop, nil
		}
		if time.Now().After(deadline) {
			_ = stop()
			return nil, fmt.Errorf("the webhook server does not listen on %s: %w", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Create creates objects, failing the test on the first error.
func (e *Env) Create(t testing.TB, objs ...client.Object) {
	t.Helper()
	for _, o := range objs {
		if err := e.Client.Create(context.Background(), o); err != nil {
			t.Fatalf("creating %T %s: %v", o, o.GetName(), err)
		}
	}
}

// WaitGone waits until obj no longer exists (its finalizers done).
func (e *Env) WaitGone(t testing.TB, timeout time.Duration, obj client.Object) {
	t.Helper()
	Eventually(t, timeout, func() error {
		err := e.Client.Get(context.Background(), client.ObjectKeyFromObject(obj), obj.DeepCopyObject().(client.Object))
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("%T %s still exists (get: %v)", obj, obj.GetName(), err)
	})
}

// NewNamespace creates a namespace of its own for one test and deletes it afterwards.
func (e *Env) NewNamespace(t testing.TB, prefix string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"}}
	if err := e.Client.Create(context.Background(), ns); err != nil {
		t.Fatalf("creating a namespace: %v", err)
	}
	t.Cleanup(func() { _ = e.Client.Delete(context.Background(), ns) })
	return ns.Name
}

// Main is a suite's TestMain: it starts the API server, a manager with the controllers setup
// registers (none when setup is nil) and the webhook, runs the tests, stops everything and
// exits.
func Main(m *testing.M, env **Env, setup func(ctx context.Context, mgr ctrl.Manager) error) {
	e, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*env = e
	// A manager runs even without controllers: it serves the validating webhook.
	stop, err := e.StartManager(setup)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		_ = e.Stop()
		os.Exit(1)
	}
	code := m.Run()
	if err := stop(); err != nil {
		fmt.Fprintln(os.Stderr, "manager:", err)
	}
	if err := e.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping envtest:", err)
	}
	os.Exit(code)
}

// WaitObject waits until c reads the object key into obj and check (if not nil) accepts it,
// and returns obj.
func WaitObject[T client.Object](t testing.TB, c client.Reader, timeout time.Duration, key client.ObjectKey, obj T, check func(T) error) T {
	t.Helper()
	Eventually(t, timeout, func() error {
		if err := c.Get(context.Background(), key, obj); err != nil {
			return err
		}
		if check == nil {
			return nil
		}
		return check(obj)
	})
	return obj
}
