package apprunner

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/capacity"
)

const testDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestImageReferences(t *testing.T) {
	tests := []struct {
		image, digest, repository, pinned string
	}{
		{"registry.example/web:1", "", "registry.example/web", "registry.example/web@" + testDigest},
		{"nginx", "", "nginx", "nginx@" + testDigest},
		{"127.0.0.1:5000/app", "", "127.0.0.1:5000/app", "127.0.0.1:5000/app@" + testDigest},
		{"127.0.0.1:5000/team/app:latest", "", "127.0.0.1:5000/team/app", "127.0.0.1:5000/team/app@" + testDigest},
		{"[::1]:5000/app:v2", "", "[::1]:5000/app", "[::1]:5000/app@" + testDigest},
		{"registry.example/web@sha256:aaaa", "sha256:aaaa", "registry.example/web", "registry.example/web@" + testDigest},
		{"registry.example:443/web:1@sha256:aaaa", "sha256:aaaa", "registry.example:443/web", "registry.example:443/web@" + testDigest},
	}
	for _, tt := range tests {
		t.Run(tt.image, func(t *testing.T) {
			if got := DigestOf(tt.image); got != tt.digest {
				t.Errorf("DigestOf = %q, want %q", got, tt.digest)
			}
			if got := RepositoryOf(tt.image); got != tt.repository {
				t.Errorf("RepositoryOf = %q, want %q", got, tt.repository)
			}
			if got := PinnedImage(tt.image, testDigest); got != tt.pinned {
				t.Errorf("PinnedImage = %q, want %q", got, tt.pinned)
			}
		})
	}
}

func TestInsecureRegistry(t *testing.T) {
	listed := []string{"registry.internal:5000", "mirror.lan"}
	tests := []struct {
		host string
		want bool
	}{
		{"localhost", true},
		{"localhost:5000", true},
		{"LOCALHOST:5000", true},
		{"127.0.0.1:5000", true},
		{"127.1.2.3", true},
		{"[::1]:5000", true},
		{"registry.internal:5000", true},
		{"registry.internal:5001", false}, // listed with another port
		{"mirror.lan", true},
		{"mirror.lan:8080", true}, // listed without a port: any port
		{"10.0.0.5:5000", false},  // private, but neither loopback nor listed
		{"registry.local", false},
		{"index.docker.io", false},
		{"localhost.example.com", false},
	}
	for _, tt := range tests {
		if got := InsecureRegistry(tt.host, listed); got != tt.want {
			t.Errorf("InsecureRegistry(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}

func TestAutoDeploymentsEnabled(t *testing.T) {
	tests := []struct {
		name     string
		repoType string
		enabled  *bool
		code     bool
		want     bool
	}{
		{name: "ECR default", repoType: "ECR", want: true},
		{name: "ECR_PUBLIC default", repoType: ImageRepositoryTypeECRPublic, want: false},
		{name: "ECR_PUBLIC on", repoType: ImageRepositoryTypeECRPublic, enabled: ptr.To(true), want: true},
		{name: "ECR off", repoType: "ECR", enabled: ptr.To(false), want: false},
		{name: "code repository", code: true, enabled: ptr.To(true), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := newService()
			svc.Spec.SourceConfiguration.AutoDeploymentsEnabled = tt.enabled
			svc.Spec.SourceConfiguration.ImageRepository.ImageRepositoryType = tt.repoType
			if tt.code {
				svc.Spec.SourceConfiguration.ImageRepository = nil
			}
			if got := AutoDeploymentsEnabled(svc); got != tt.want {
				t.Errorf("AutoDeploymentsEnabled = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPinImage(t *testing.T) {
	svc := newService()
	image := svc.Spec.SourceConfiguration.ImageRepository.ImageIdentifier
	dep, _ := MakeDeployment(svc, capacity.DefaultPools())
	unpinned := dep.DeepCopy()
	PinImage(dep, image, "")
	if diff := cmp.Diff(unpinned, dep); diff != "" {
		t.Errorf("no digest changed the Deployment (-want +got):\n%s", diff)
	}
	if LastPinnedDigest(dep, image) != "" || LastPinnedDigest(nil, image) != "" {
		t.Error("an unpinned Deployment has a pinned digest")
	}

	PinImage(dep, image, testDigest)
	if got, want := dep.Spec.Template.Spec.Containers[0].Image, RepositoryOf(image)+"@"+testDigest; got != want {
		t.Errorf("image = %q, want %q", got, want)
	}
	if got := dep.Spec.Template.Annotations[ImageDigestAnnotation]; got != testDigest {
		t.Errorf("pod template %s = %q", ImageDigestAnnotation, got)
	}
	if got := LastPinnedDigest(dep, image); got != testDigest {
		t.Errorf("LastPinnedDigest = %q, want %q", got, testDigest)
	}
	if got := LastPinnedDigest(dep, "registry.example/web:2"); got != "" {
		t.Errorf("the pin of another imageIdentifier was kept: %q", got)
	}
	// The annotations MakeDeployment set are kept.
	if dep.Annotations[PausedAnnotation] != "false" || dep.Spec.Template.Annotations[ecsv1alpha1.CapacityProvisionedAnnotation] == "" {
		t.Errorf("annotations lost: %v, %v", dep.Annotations, dep.Spec.Template.Annotations)
	}
}

func TestNextOperationOfANewDigest(t *testing.T) {
	svc := newService()
	svc.Generation, svc.Status.ObservedGeneration = 1, 1
	svc.Status.CurrentOperation = &apprunnerv1alpha1.Operation{
		ID: OperationID(svc, apprunnerv1alpha1.OperationCreateService, testDigest), Type: apprunnerv1alpha1.OperationCreateService,
	}
	previous := &appsv1.Deployment{}
	PinImage(previous, "registry.example/web:1", testDigest)
	previous.Annotations[PausedAnnotation] = "false"

	if got := NextOperation(svc, previous, testDigest); got != "" {
		t.Errorf("same digest: operation %q, want none", got)
	}
	next := "sha256:" + "f" + testDigest[len("sha256:")+1:]
	if got := NextOperation(svc, previous, next); got != apprunnerv1alpha1.OperationStartDeployment {
		t.Errorf("new digest: operation %q, want START_DEPLOYMENT", got)
	}
	if OperationID(svc, apprunnerv1alpha1.OperationStartDeployment, next) == OperationID(svc, apprunnerv1alpha1.OperationStartDeployment, testDigest) {
		t.Error("two digests have the same START_DEPLOYMENT id")
	}
	// A new generation with a new digest is an update.
	svc.Generation = 2
	if got := NextOperation(svc, previous, next); got != apprunnerv1alpha1.OperationUpdateService {
		t.Errorf("new generation: operation %q, want UPDATE_SERVICE", got)
	}
}

func TestImageCondition(t *testing.T) {
	svc := newService()
	cond := func() *metav1.Condition {
		return meta.FindStatusCondition(svc.Status.Conditions, apprunnerv1alpha1.ImageResolvedCondition)
	}
	setImageCondition(svc, ImageResolution{AutoDeploy: true, Digest: testDigest})
	if c := cond(); c == nil || c.Status != metav1.ConditionTrue || c.Reason != apprunnerv1alpha1.ImageDigestResolvedReason {
		t.Errorf("resolved: %+v", c)
	}
	setImageCondition(svc, ImageResolution{AutoDeploy: true, Digest: testDigest, Error: "connection refused"})
	if c := cond(); c == nil || c.Status != metav1.ConditionFalse || c.Reason != apprunnerv1alpha1.ImageDigestUnresolvedReason ||
		c.Message != "resolving registry.example/web:1: connection refused; the service keeps the last resolved version "+testDigest {
		t.Errorf("unresolved: %+v", c)
	}
	setImageCondition(svc, ImageResolution{})
	if c := cond(); c != nil {
		t.Errorf("auto-deploy off: %+v", c)
	}
}
