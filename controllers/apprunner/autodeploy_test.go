//go:build envtest

package apprunner_test

import (
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	appsv1 "k8s.io/api/apps/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/apprunner"
	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

// testRegistry is an in-process registry on 127.0.0.1, over plain HTTP.
type testRegistry struct {
	srv  *httptest.Server
	host string
}

func newRegistry(t *testing.T) *testRegistry {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return &testRegistry{srv: srv, host: strings.TrimPrefix(srv.URL, "http://")}
}

// push pushes a new random image to repo:tag and returns its digest.
func (r *testRegistry) push(t *testing.T, repoTag string) string {
	t.Helper()
	img, err := random.Image(128, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(r.host+"/"+repoTag, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithContext(ctx)); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func waitImage(t *testing.T, ns, name, want string) *appsv1.Deployment {
	t.Helper()
	return waitObject(t, ns, name, &appsv1.Deployment{}, func(d *appsv1.Deployment) error {
		if got := d.Spec.Template.Spec.Containers[0].Image; got != want {
			return fmt.Errorf("image %s, want %s", got, want)
		}
		return nil
	})
}

// unresolvedEvents are the ImageDigestUnresolved events of a service; repeated counts an
// event recorded again (a series).
func unresolvedEvents(ns, name string) (n int, repeated bool, err error) {
	list := &eventsv1.EventList{}
	if err := env.Client.List(ctx, list, client.InNamespace(ns)); err != nil {
		return 0, false, err
	}
	for _, e := range list.Items {
		if e.Regarding.Name == name && e.Reason == apprunnerv1alpha1.ImageDigestUnresolvedReason {
			n++
			repeated = repeated || e.Series != nil
		}
	}
	return n, repeated, nil
}

// TestAutoDeploy: with autoDeploymentsEnabled the Deployment runs the tag's digest; a new
// image pushed to the tag deploys it as START_DEPLOYMENT; a registry that goes down leaves
// the running version alone and says so once.
func TestAutoDeploy(t *testing.T) {
	reg := newRegistry(t)
	digest1 := reg.push(t, "app:latest")
	ns := env.NewNamespace(t, "ar-autodeploy")
	svc := newService(ns, "auto-app")
	svc.Spec.SourceConfiguration.ImageRepository.ImageIdentifier = reg.host + "/app:latest"
	svc.Spec.SourceConfiguration.AutoDeploymentsEnabled = ptr.To(true)
	env.Create(t, svc)

	d := waitImage(t, ns, svc.Name, reg.host+"/app@"+digest1)
	if got := d.Spec.Template.Annotations[apprunner.ImageDigestAnnotation]; got != digest1 {
		t.Errorf("pod template %s = %q, want %s", apprunner.ImageDigestAnnotation, got, digest1)
	}
	rolledOut(t, ns, svc.Name)
	got := waitStatus(t, svc, apprunnerv1alpha1.StatusRunning, apprunnerv1alpha1.OperationCreateService, apprunnerv1alpha1.OperationSucceeded)
	if got.Status.ImageDigest != digest1 || !meta.IsStatusConditionTrue(got.Status.Conditions, apprunnerv1alpha1.ImageResolvedCondition) {
		t.Errorf("imageDigest %q (want %s), conditions %+v", got.Status.ImageDigest, digest1, got.Status.Conditions)
	}
	created := got.Status.CurrentOperation.ID

	// A new version pushed to the tag is deployed within a few polls.
	digest2 := reg.push(t, "app:latest")
	waitImage(t, ns, svc.Name, reg.host+"/app@"+digest2)
	got = waitStatus(t, svc, apprunnerv1alpha1.StatusOperationInProgress, apprunnerv1alpha1.OperationStartDeployment, apprunnerv1alpha1.OperationInProgress)
	if got.Status.CurrentOperation.ID == created || got.Status.ImageDigest != digest2 {
		t.Errorf("operation %+v, imageDigest %q (want %s)", got.Status.CurrentOperation, got.Status.ImageDigest, digest2)
	}
	rolledOut(t, ns, svc.Name)
	waitStatus(t, svc, apprunnerv1alpha1.StatusRunning, apprunnerv1alpha1.OperationStartDeployment, apprunnerv1alpha1.OperationSucceeded)

	// The registry goes down: the instances keep the last version, and the warning is
	// recorded once however many polls fail.
	reg.srv.Close()
	got = waitObject(t, ns, svc.Name, &apprunnerv1alpha1.AppRunnerService{}, func(s *apprunnerv1alpha1.AppRunnerService) error {
		c := meta.FindStatusCondition(s.Status.Conditions, apprunnerv1alpha1.ImageResolvedCondition)
		if c == nil || c.Reason != apprunnerv1alpha1.ImageDigestUnresolvedReason {
			return fmt.Errorf("ImageResolved %+v", c)
		}
		return nil
	})
	if c := meta.FindStatusCondition(got.Status.Conditions, apprunnerv1alpha1.ImageResolvedCondition); !strings.Contains(c.Message, digest2) {
		t.Errorf("ImageResolved message %q does not name the version kept", c.Message)
	}
	if got.Status.Status != apprunnerv1alpha1.StatusRunning || !meta.IsStatusConditionTrue(got.Status.Conditions, apprunnerv1alpha1.ReadyCondition) {
		t.Errorf("an unreachable registry changed the service: %s, %+v", got.Status.Status, got.Status.Conditions)
	}
	testenv.Eventually(t, timeout, func() error {
		if n, _, err := unresolvedEvents(ns, svc.Name); err != nil || n == 0 {
			return fmt.Errorf("no %s event (%v)", apprunnerv1alpha1.ImageDigestUnresolvedReason, err)
		}
		return nil
	})
	for deadline := time.Now().Add(8 * imagePoll); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		n, repeated, err := unresolvedEvents(ns, svc.Name)
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 || repeated {
			t.Fatalf("%d %s events (repeated: %v), want 1", n, apprunnerv1alpha1.ImageDigestUnresolvedReason, repeated)
		}
		if d := waitImage(t, ns, svc.Name, reg.host+"/app@"+digest2); d == nil {
			t.Fatal("no deployment")
		}
	}
}

// TestAutoDeployOff: without auto-deploy (autoDeploymentsEnabled false, or an ECR_PUBLIC
// image by default) the Deployment runs the tag as written and the tag is not polled.
func TestAutoDeployOff(t *testing.T) {
	reg := newRegistry(t)
	reg.push(t, "app:latest")
	ns := env.NewNamespace(t, "ar-autodeploy-off")
	off := newService(ns, "manual-app")
	off.Spec.SourceConfiguration.ImageRepository.ImageIdentifier = reg.host + "/app:latest"
	off.Spec.SourceConfiguration.AutoDeploymentsEnabled = ptr.To(false)
	public := newService(ns, "public-app")
	public.Spec.SourceConfiguration.ImageRepository.ImageIdentifier = reg.host + "/app:latest"
	public.Spec.SourceConfiguration.ImageRepository.ImageRepositoryType = apprunner.ImageRepositoryTypeECRPublic
	env.Create(t, off, public)

	for _, svc := range []*apprunnerv1alpha1.AppRunnerService{off, public} {
		d := waitImage(t, ns, svc.Name, reg.host+"/app:latest")
		if v, ok := d.Spec.Template.Annotations[apprunner.ImageDigestAnnotation]; ok {
			t.Errorf("%s: pinned to %s", svc.Name, v)
		}
		rolledOut(t, ns, svc.Name)
		got := waitStatus(t, svc, apprunnerv1alpha1.StatusRunning, apprunnerv1alpha1.OperationCreateService, apprunnerv1alpha1.OperationSucceeded)
		if c := meta.FindStatusCondition(got.Status.Conditions, apprunnerv1alpha1.ImageResolvedCondition); c != nil {
			t.Errorf("%s: ImageResolved %+v without auto-deploy", svc.Name, c)
		}
	}
	reg.push(t, "app:latest")
	time.Sleep(4 * imagePoll) // a poll would have found the new version by now
	for _, svc := range []*apprunnerv1alpha1.AppRunnerService{off, public} {
		waitImage(t, ns, svc.Name, reg.host+"/app:latest")
		waitStatus(t, svc, apprunnerv1alpha1.StatusRunning, apprunnerv1alpha1.OperationCreateService, apprunnerv1alpha1.OperationSucceeded)
	}
}
