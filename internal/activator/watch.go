package activator

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
)

// sliceServiceIndex indexes EndpointSlices by "<namespace>/<service name>".
const sliceServiceIndex = "activator.kube-ecs.io/service"

// NewCache is the activator's view of the API: AppRunnerServices and the EndpointSlices
// of Services in every namespace, and the Secrets of its certificates: secrets is
// CASecretCache (the CA Secret alone) or CertificateSecretsCache. Start it after
// WatchRoutes and WatchCA or WatchCertificateSecrets registered their handlers.
func NewCache(cfg *rest.Config, scheme *runtime.Scheme, secrets cache.ByObject) (cache.Cache, error) {
	ofService, err := labels.NewRequirement(discoveryv1.LabelServiceName, selection.Exists, nil)
	if err != nil {
		return nil, err
	}
	c, err := cache.New(cfg, cache.Options{
		Scheme:           scheme,
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&discoveryv1.EndpointSlice{}: {Label: labels.NewSelector().Add(*ofService)},
			&corev1.Secret{}:             secrets,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("creating the activator's cache: %w", err)
	}
	return c, nil
}

// RouteWatcher keeps a Router's table in step with the AppRunnerServices and EndpointSlices
// of a cache made by NewCache: any change of a service or of one of its slices rebuilds the
// table (BuildTable), bursts of changes coalesced into one rebuild.
type RouteWatcher struct {
	Cache  cache.Cache
	Router *Router
	Domain string
	Log    logr.Logger

	dirty  chan struct{}
	synced atomic.Bool
}

// Synced says whether the table was built from a synced cache at least once.
func (w *RouteWatcher) Synced() bool { return w.synced.Load() }

// Register indexes and watches the objects; call it before the cache starts.
func (w *RouteWatcher) Register(ctx context.Context) error {
	w.dirty = make(chan struct{}, 1)
	err := w.Cache.IndexField(ctx, &discoveryv1.EndpointSlice{}, sliceServiceIndex, func(o client.Object) []string {
		if name := o.GetLabels()[discoveryv1.LabelServiceName]; name != "" {
			return []string{o.GetNamespace() + "/" + name}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("indexing EndpointSlices by service: %w", err)
	}
	services, err := w.Cache.GetInformer(ctx, &apprunnerv1alpha1.AppRunnerService{})
	if err != nil {
		return fmt.Errorf("watching AppRunnerServices: %w", err)
	}
	if _, err := services.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { w.kick() },
		UpdateFunc: func(any, any) { w.kick() },
		DeleteFunc: func(any) { w.kick() },
	}); err != nil {
		return err
	}
	slices, err := w.Cache.GetInformer(ctx, &discoveryv1.EndpointSlice{})
	if err != nil {
		return fmt.Errorf("watching EndpointSlices: %w", err)
	}
	_, err = slices.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { w.sliceChanged(ctx, o) },
		UpdateFunc: func(old, o any) { w.sliceChanged(ctx, old); w.sliceChanged(ctx, o) },
		DeleteFunc: func(o any) { w.sliceChanged(ctx, o) },
	})
	return err
}

// sliceChanged rebuilds when the slice belongs to an AppRunnerService: most Services of a
// cluster are not App Runner services.
func (w *RouteWatcher) sliceChanged(ctx context.Context, o any) {
	if t, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
		o = t.Obj
	}
	s, ok := o.(*discoveryv1.EndpointSlice)
	if !ok {
		return
	}
	name := s.Labels[discoveryv1.LabelServiceName]
	if name == "" {
		return
	}
	err := w.Cache.Get(ctx, types.NamespacedName{Namespace: s.Namespace, Name: name}, &apprunnerv1alpha1.AppRunnerService{})
	if apierrors.IsNotFound(err) {
		return
	}
	w.kick()
}

func (w *RouteWatcher) kick() {
	select {
	case w.dirty <- struct{}{}:
	default: // a rebuild is already due
	}
}

// Run builds the table once the cache synced, then again after each change, until ctx ends.
func (w *RouteWatcher) Run(ctx context.Context) error {
	if !w.Cache.WaitForCacheSync(ctx) {
		return fmt.Errorf("the cache of AppRunnerServices and EndpointSlices did not sync")
	}
	for {
		if err := w.rebuild(ctx); err != nil {
			w.Log.Error(err, "Building the route table failed")
		} else if !w.synced.Swap(true) {
			w.Log.Info("Route table synced", "routes", len(w.Router.Stats().Services))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-w.dirty:
		}
	}
}

func (w *RouteWatcher) rebuild(ctx context.Context) error {
	var services apprunnerv1alpha1.AppRunnerServiceList
	if err := w.Cache.List(ctx, &services, client.UnsafeDisableDeepCopy); err != nil {
		return fmt.Errorf("listing AppRunnerServices: %w", err)
	}
	var slices []discoveryv1.EndpointSlice
	for _, s := range services.Items {
		var l discoveryv1.EndpointSliceList
		if err := w.Cache.List(ctx, &l, client.MatchingFields{sliceServiceIndex: s.Namespace + "/" + s.Name}, client.UnsafeDisableDeepCopy); err != nil {
			return fmt.Errorf("listing the EndpointSlices of %s/%s: %w", s.Namespace, s.Name, err)
		}
		slices = append(slices, l.Items...)
	}
	w.Router.SetTable(BuildTable(w.Domain, services.Items, slices))
	return nil
}

// WatchCA keeps certs' CA in step with the CA Secret in a cache made by NewCache. A Secret
// that does not parse, or is deleted, leaves the last good CA in place: the manager writes
// a new one.
func WatchCA(ctx context.Context, c cache.Cache, key types.NamespacedName, certs *Certificates, log logr.Logger) error {
	inf, err := c.GetInformer(ctx, &corev1.Secret{})
	if err != nil {
		return fmt.Errorf("watching the CA secret %s: %w", key, err)
	}
	set := func(o any) {
		s, ok := o.(*corev1.Secret)
		if !ok || s.Namespace != key.Namespace || s.Name != key.Name {
			return
		}
		ca, err := ParseCASecret(s)
		if err != nil {
			log.Error(err, "Ignoring the CA secret")
			return
		}
		if certs.SetCA(ca) {
			log.Info("Signing service certificates with the CA", "secret", key, "subject", ca.Cert.Subject.String(), "notAfter", ca.Cert.NotAfter)
		}
	}
	_, err = inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    set,
		UpdateFunc: func(_, o any) { set(o) },
		DeleteFunc: func(any) {
			log.Info("The CA secret was deleted; keeping its last CA until the manager writes a new one", "secret", key)
		},
	})
	return err
}

func fieldsName(name string) fields.Selector {
	return fields.OneTermEqualSelector("metadata.name", name)
}
