package apprunner

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/log"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/apprunner"
)

// Auto-deploy (App Runner's autoDeploymentsEnabled): the controller resolves the image tag
// of each service with auto-deploy to a digest, pins the Deployment's image to it and
// resolves it again every ImagePollInterval; a new digest rolls the instances.
const (
	// DefaultImagePollInterval is how often image tags are resolved again.
	DefaultImagePollInterval = time.Minute
	// ImageResolveTimeout bounds one resolution, so that a registry that does not answer
	// holds a reconcile for no longer.
	ImageResolveTimeout = 10 * time.Second
	// imagePollJitter spreads the polls of many services over a tenth of the interval.
	imagePollJitter = 0.1
)

// ImageDigestUnresolvedEventReason is the reason of the Warning event recorded when an image
// tag cannot be resolved (once per distinct error).
const ImageDigestUnresolvedEventReason = apprunnerv1alpha1.ImageDigestUnresolvedReason

// ImageResolver resolves image tags to digests in their registries, anonymously: private
// registries that need credentials are not polled (their services report ImageResolved
// False and run the tag as written).
type ImageResolver struct {
	// InsecureRegistries may be reached over plain HTTP (hosts, with or without a port),
	// besides loopback hosts.
	InsecureRegistries []string
	// Transport of the registry requests (nil: go-containerregistry's default).
	Transport http.RoundTripper
}

// Resolve returns the digest ("sha256:...") the image's tag points at.
func (ir *ImageResolver) Resolve(ctx context.Context, image string) (string, error) {
	ref, err := name.ParseReference(image)
	if err != nil {
		return "", fmt.Errorf("parsing the image reference: %w", err)
	}
	host := ref.Context().RegistryStr()
	insecure := apprunner.InsecureRegistry(host, ir.InsecureRegistries)
	if insecure {
		if ref, err = name.ParseReference(image, name.Insecure); err != nil {
			return "", fmt.Errorf("parsing the image reference: %w", err)
		}
	}
	base := ir.Transport
	if base == nil {
		base = remote.DefaultTransport
	}
	ctx, cancel := context.WithTimeout(ctx, ImageResolveTimeout)
	defer cancel()
	opts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuth(authn.Anonymous),
		// go-containerregistry falls back to plain HTTP for private (RFC 1918) and .local
		// hosts too: only loopback and the listed hosts may.
		remote.WithTransport(&httpsOnly{base: base, insecure: func(h string) bool {
			return insecure && h == host
		}}),
	}
	desc, err := remote.Head(ref, opts...)
	if err != nil || desc.Digest.Hex == "" {
		// Some registries answer HEAD without Docker-Content-Digest: read the manifest.
		gdesc, gerr := remote.Get(ref, opts...)
		if gerr != nil {
			return "", gerr
		}
		return gdesc.Digest.String(), nil
	}
	return desc.Digest.String(), nil
}

// httpsOnly refuses plain-HTTP requests to hosts that are not insecure.
type httpsOnly struct {
	base     http.RoundTripper
	insecure func(host string) bool
}

func (t *httpsOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !t.insecure(req.URL.Host) {
		return nil, fmt.Errorf("plain HTTP to %s is not allowed: name the registry in --apprunner-insecure-registries", req.URL.Host)
	}
	return t.base.RoundTrip(req)
}

// imageCache remembers each service's last resolution, so that a reconcile caused by
// anything but the poll (a Deployment status change, the autoscaler) does not ask the
// registry again before the interval has passed.
type imageCache struct {
	mu      sync.Mutex
	entries map[types.NamespacedName]imageEntry
}

type imageEntry struct {
	image      string
	generation int64
	digest     string
	err        string
	at         time.Time
}

func (c *imageCache) get(key types.NamespacedName) (imageEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	return e, ok
}

func (c *imageCache) put(key types.NamespacedName, e imageEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[types.NamespacedName]imageEntry{}
	}
	c.entries[key] = e
}

func (c *imageCache) forget(key types.NamespacedName) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, key)
}

func (r *Reconciler) imagePollInterval() time.Duration {
	if r.ImagePollInterval > 0 {
		return r.ImagePollInterval
	}
	return DefaultImagePollInterval
}

// polled says the service's image tag is resolved again on a timer: auto-deploy on, an
// image given by tag, and not paused (App Runner deploys no new version while paused;
// resuming resolves the tag again and deploys its current version).
func polled(svc *apprunnerv1alpha1.AppRunnerService) bool {
	return apprunner.AutoDeploymentsEnabled(svc) && apprunner.DigestOf(apprunner.ImageIdentifier(svc)) == "" && !svc.Spec.Paused
}

// pinImage pins dep's image to the digest of its tag (auto-deploy) and records the
// resolution in the scope. cur is the Deployment as it is (nil: none yet). A resolution
// that fails keeps cur's pin, if it was pinned for the same image, or else leaves the image
// as written: the service never breaks for an unreachable registry.
func (r *Reconciler) pinImage(ctx context.Context, s *scope, dep, cur *appsv1.Deployment) {
	svc := s.svc
	image := apprunner.ImageIdentifier(svc)
	if !apprunner.AutoDeploymentsEnabled(svc) || apprunner.DigestOf(image) != "" {
		return // s.obs.Image.AutoDeploy stays false
	}
	res := apprunner.ImageResolution{AutoDeploy: true, Digest: apprunner.LastPinnedDigest(cur, image)}
	if polled(svc) {
		key := types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}
		now := r.Clock.Now()
		e, ok := r.images.get(key)
		if !ok || e.image != image || e.generation != svc.Generation || now.Sub(e.at) >= r.imagePollInterval() {
			digest, err := r.Images.Resolve(ctx, image)
			e = imageEntry{image: image, generation: svc.Generation, digest: digest, at: now}
			if err != nil {
				e.err = err.Error()
				log.FromContext(ctx).V(1).Info("Could not resolve the image tag", "image", image, "error", e.err)
			}
			r.images.put(key, e)
		}
		if e.err != "" {
			res.Error = e.err
		} else {
			res.Digest = e.digest
		}
	}
	apprunner.PinImage(dep, image, res.Digest)
	s.obs.Image = res
}

// imageRequeue is when the service's image tag is next resolved (0: never), jittered so
// that many services do not poll at once.
func (r *Reconciler) imageRequeue(svc *apprunnerv1alpha1.AppRunnerService) time.Duration {
	if !polled(svc) {
		return 0
	}
	d := r.imagePollInterval()
	return d + time.Duration(rand.Float64()*imagePollJitter*float64(d)) //nolint:gosec // jitter
}

// emitImage records a Warning event when the image tag could not be resolved, once per
// distinct error: only when ImageResolved turns False or its message changes.
func (r *Reconciler) emitImage(base, svc *apprunnerv1alpha1.AppRunnerService) {
	c := meta.FindStatusCondition(svc.Status.Conditions, apprunnerv1alpha1.ImageResolvedCondition)
	if c == nil || c.Status != metav1.ConditionFalse {
		return
	}
	if b := meta.FindStatusCondition(base.Status.Conditions, apprunnerv1alpha1.ImageResolvedCondition); b != nil && b.Status == c.Status && b.Message == c.Message {
		return
	}
	r.Recorder.Eventf(svc, nil, corev1.EventTypeWarning, ImageDigestUnresolvedEventReason, "ResolveImage", "%s", c.Message)
}
