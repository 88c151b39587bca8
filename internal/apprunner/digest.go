package apprunner

import (
	"fmt"
	"net"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
)

// Annotations of auto-deploy (App Runner's autoDeploymentsEnabled).
const (
	// ImageDigestAnnotation on the pod template is the digest the controller pinned the
	// image to: a new value is a new image version, which the controller reports as
	// START_DEPLOYMENT (App Runner's automatic deployments).
	ImageDigestAnnotation = "apprunner.kube-ecs.io/image-digest"
	// PinnedImageAnnotation on the Deployment is the imageIdentifier, as written, whose
	// digest the image is pinned to: the controller keeps that pin while the registry
	// cannot be reached, and only for the same imageIdentifier.
	PinnedImageAnnotation = "apprunner.kube-ecs.io/pinned-image"
)

// ImageRepositoryTypeECRPublic is the imageRepositoryType whose services do not deploy new
// image versions unless autoDeploymentsEnabled says so.
const ImageRepositoryTypeECRPublic = "ECR_PUBLIC"

// AutoDeploymentsEnabled says each new version of the service's image tag is deployed:
// sourceConfiguration.autoDeploymentsEnabled, which defaults to true except for ECR_PUBLIC
// images (App Runner's defaults). Never for a code repository.
func AutoDeploymentsEnabled(svc *apprunnerv1alpha1.AppRunnerService) bool {
	sc := svc.Spec.SourceConfiguration
	if sc.ImageRepository == nil {
		return false
	}
	if sc.AutoDeploymentsEnabled != nil {
		return *sc.AutoDeploymentsEnabled
	}
	return sc.ImageRepository.ImageRepositoryType != ImageRepositoryTypeECRPublic
}

// ImageIdentifier is the service's image as written ("" for a code repository).
func ImageIdentifier(svc *apprunnerv1alpha1.AppRunnerService) string {
	if r := svc.Spec.SourceConfiguration.ImageRepository; r != nil {
		return r.ImageIdentifier
	}
	return ""
}

// DigestOf is the digest of an image given by digest ("repo@sha256:..." or
// "repo:tag@sha256:..."), or "" for an image given by tag.
func DigestOf(image string) string {
	if i := strings.LastIndex(image, "@"); i >= 0 {
		return image[i+1:]
	}
	return ""
}

// RepositoryOf is the image without its tag or digest, as written ("registry:5000/app:1"
// is "registry:5000/app").
func RepositoryOf(image string) string {
	if i := strings.Index(image, "@"); i >= 0 {
		image = image[:i]
	}
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		image = image[:i]
	}
	return image
}

// PinnedImage is the image's repository at digest: every instance runs that version.
func PinnedImage(image, digest string) string {
	return RepositoryOf(image) + "@" + digest
}

// InsecureRegistry says the registry host (with its port, if any) may be reached over plain
// HTTP: a loopback host (localhost, 127.0.0.0/8, ::1), or one the manager's
// --apprunner-insecure-registries names (with or without the port).
func InsecureRegistry(host string, insecure []string) bool {
	hostname := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		hostname = h
	}
	hostname = strings.Trim(hostname, "[]")
	if strings.EqualFold(hostname, "localhost") {
		return true
	}
	if ip := net.ParseIP(hostname); ip != nil && ip.IsLoopback() {
		return true
	}
	return slices.ContainsFunc(insecure, func(h string) bool {
		return strings.EqualFold(h, host) || strings.EqualFold(h, hostname)
	})
}

// ImageResolution is what auto-deploy found of the service's image in one reconcile.
type ImageResolution struct {
	// AutoDeploy: the service deploys new versions of its image tag (an image given by
	// digest has none).
	AutoDeploy bool
	// Digest the Deployment's image is pinned to ("" when it runs the tag as written).
	Digest string
	// Error is why the tag could not be resolved to a digest ("" when it was).
	Error string
}

// PinImage pins the container image of a Deployment built by MakeDeployment to digest
// and records the pin in its annotations. A digest of "" leaves it as written.
func PinImage(dep *appsv1.Deployment, image, digest string) {
	if digest == "" {
		return
	}
	tmpl := &dep.Spec.Template
	for i := range tmpl.Spec.Containers {
		if tmpl.Spec.Containers[i].Name == ContainerName {
			tmpl.Spec.Containers[i].Image = PinnedImage(image, digest)
		}
	}
	if tmpl.Annotations == nil {
		tmpl.Annotations = map[string]string{}
	}
	tmpl.Annotations[ImageDigestAnnotation] = digest
	if dep.Annotations == nil {
		dep.Annotations = map[string]string{}
	}
	dep.Annotations[PinnedImageAnnotation] = image
}

// LastPinnedDigest is the digest a Deployment's image is pinned to for image, or "" when
// it is not pinned or was pinned for another imageIdentifier.
func LastPinnedDigest(dep *appsv1.Deployment, image string) string {
	if dep == nil || dep.Annotations[PinnedImageAnnotation] != image {
		return ""
	}
	return dep.Spec.Template.Annotations[ImageDigestAnnotation]
}

// setImageCondition sets ImageResolved for a service with auto-deploy, and removes it
// otherwise.
func setImageCondition(svc *apprunnerv1alpha1.AppRunnerService, r ImageResolution) {
	st := &svc.Status
	if !r.AutoDeploy || IsCodeRepository(svc) {
		meta.RemoveStatusCondition(&st.Conditions, apprunnerv1alpha1.ImageResolvedCondition)
		return
	}
	image := ImageIdentifier(svc)
	c := metav1.Condition{Type: apprunnerv1alpha1.ImageResolvedCondition, ObservedGeneration: svc.Generation}
	switch {
	case r.Error != "":
		c.Status, c.Reason = metav1.ConditionFalse, apprunnerv1alpha1.ImageDigestUnresolvedReason
		running := "the image as written"
		if r.Digest != "" {
			running = "the last resolved version " + r.Digest
		}
		c.Message = fmt.Sprintf("resolving %s: %s; the service keeps %s", image, r.Error, running)
	case r.Digest != "":
		c.Status, c.Reason = metav1.ConditionTrue, apprunnerv1alpha1.ImageDigestResolvedReason
		c.Message = fmt.Sprintf("%s is %s; a new version pushed to the tag deploys automatically", image, r.Digest)
	default:
		return // paused before the tag was ever resolved: nothing to say yet
	}
	meta.SetStatusCondition(&st.Conditions, c)
}
