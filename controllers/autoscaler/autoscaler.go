package autoscaler

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/apprunner"
)

// +kubebuilder:rbac:groups=apprunner.kube-ecs.io,resources=apprunnerservices,verbs=get;list;watch
// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get;list;watch
// +kubebuilder:rbac:groups=apps,resources=deployments/scale,verbs=get;update;patch
// +kubebuilder:rbac:groups=discovery.k8s.io,resources=endpointslices,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// ReasonScaled is the reason of the event on an AppRunnerService whose instances changed.
const ReasonScaled = "Scaled"

// Defaults of the Autoscaler's settings.
const (
	// DefaultInterval is how often the autoscaler polls the activators and decides.
	DefaultInterval = time.Second
	// DefaultStatsPort is the port of the activators' Stats.
	DefaultStatsPort = 8081
	// DefaultStatsTimeout bounds one poll of all the activators.
	DefaultStatsTimeout = 500 * time.Millisecond
)

// DefaultActivatorService is the Kubernetes Service of the activator pods that the Helm
// chart installs.
var DefaultActivatorService = types.NamespacedName{Namespace: "kube-ecs-system", Name: "kube-ecs-activator"}

// expectTimeout is how long a written replica count stands for a cached Deployment that does
// not show it yet.
const expectTimeout = 30 * time.Second

// Autoscaler sets the replicas of App Runner services' Deployments from the activators'
// concurrency (see the package documentation).
type Autoscaler struct {
	// Client reads AppRunnerServices, Deployments and EndpointSlices (the manager's cached
	// client) and writes the Deployments' scale.
	Client client.Client
	// Recorder records the Scaled events.
	Recorder events.EventRecorder
	// Clock ticks the loop and dates the samples (clock.RealClock when nil).
	Clock clock.WithTicker
	// Config are the windows of every service's Scaler.
	Config apprunner.ScalingConfig
	// Interval is the time between two polls (DefaultInterval when zero).
	Interval time.Duration
	// ActivatorService is the Kubernetes Service whose endpoints are the activator pods.
	ActivatorService types.NamespacedName
	// StatsPort is the port the activators serve their Stats on (DefaultStatsPort when 0).
	StatsPort int
	// StatsTimeout bounds one poll of the activators (DefaultStatsTimeout when zero).
	StatsTimeout time.Duration
	// HTTPClient polls the activators (http.DefaultClient when nil).
	HTTPClient *http.Client

	// services is what the loop remembers of each service.
	services map[types.NamespacedName]*serviceState
}

// serviceState is one service's Scaler and the last replicas written.
type serviceState struct {
	uid    types.UID
	scaler *apprunner.Scaler
	// expect is the replicas last written, until the cache shows them.
	expect *expectation
}

type expectation struct {
	replicas int32
	at       time.Time
}

var (
	_ manager.Runnable               = &Autoscaler{}
	_ manager.LeaderElectionRunnable = &Autoscaler{}
)

// SetupWithManager adds the autoscaler to mgr; it runs on the leader only. An unset
// Recorder records as "kube-ecs"; an unset ActivatorService is DefaultActivatorService.
func (a *Autoscaler) SetupWithManager(mgr ctrl.Manager) error {
	if err := a.Config.Validate(); err != nil {
		return fmt.Errorf("autoscaler: %w", err)
	}
	if a.ActivatorService.Name == "" {
		a.ActivatorService = DefaultActivatorService
	}
	if a.Recorder == nil {
		a.Recorder = mgr.GetEventRecorder("kube-ecs")
	}
	return mgr.Add(a)
}

// NeedLeaderElection is true: two managers would write the same replicas.
func (a *Autoscaler) NeedLeaderElection() bool { return true }

// Start runs the loop until ctx ends.
func (a *Autoscaler) Start(ctx context.Context) error {
	logger := ctrl.Log.WithName("autoscaler")
	ctx = log.IntoContext(ctx, logger)
	logger.Info("Starting the App Runner autoscaler", "activatorService", a.ActivatorService, "statsPort", a.statsPort(), "interval", a.interval())
	ticker := a.clock().NewTicker(a.interval())
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C():
			a.tick(ctx)
		}
	}
}

// tick polls the activators once and scales every service.
func (a *Autoscaler) tick(ctx context.Context) {
	logger := log.FromContext(ctx)
	services := &apprunnerv1alpha1.AppRunnerServiceList{}
	if err := a.Client.List(ctx, services); err != nil {
		logger.Error(err, "Cannot list App Runner services")
		return
	}
	sums, known := a.collect(ctx)
	now := a.clock().Now()
	if a.services == nil {
		a.services = map[types.NamespacedName]*serviceState{}
	}
	seen := map[types.NamespacedName]bool{}
	for i := range services.Items {
		svc := &services.Items[i]
		// kube-ecs builds no code: a code repository service has no Deployment to scale.
		if svc.DeletionTimestamp != nil || svc.Spec.SourceConfiguration.CodeRepository != nil {
			continue
		}
		key := client.ObjectKeyFromObject(svc)
		seen[key] = true
		st := a.services[key]
		if st == nil || st.uid != svc.UID {
			st = &serviceState{uid: svc.UID, scaler: apprunner.NewScaler(a.Config)}
			a.services[key] = st
		}
		if known {
			st.scaler.Record(now, sums[key])
		}
		if err := a.reconcileReplicas(ctx, svc, st, now, !known); err != nil {
			logger.Error(err, "Cannot scale an App Runner service", "service", klog.KObj(svc))
		}
	}
	for key := range a.services {
		if !seen[key] {
			delete(a.services, key)
		}
	}
}

// reconcileReplicas sets the replicas of svc's Deployment to the Scaler's decision.
func (a *Autoscaler) reconcileReplicas(ctx context.Context, svc *apprunnerv1alpha1.AppRunnerService, st *serviceState, now time.Time, noMetrics bool) error {
	logger := log.FromContext(ctx).WithValues("service", klog.KObj(svc))
	dep := &appsv1.Deployment{}
	// The controller names the Deployment after the service.
	if err := a.Client.Get(ctx, client.ObjectKeyFromObject(svc), dep); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("getting the deployment: %w", err)
	}
	if !metav1.IsControlledBy(dep, svc) {
		logger.V(1).Info("Deployment not controlled by the service: not scaled", "deployment", klog.KObj(dep))
		return nil
	}
	current := int32(1)
	if dep.Spec.Replicas != nil {
		current = *dep.Spec.Replicas
	}
	// The cache may not show the last write yet: trust the write for a while.
	if e := st.expect; e != nil {
		if current == e.replicas || now.Sub(e.at) > expectTimeout {
			st.expect = nil
		} else {
			current = e.replicas
		}
	}
	minSize, maxSize, maxConcurrency := apprunner.ScalingBounds(svc.Spec.AutoScalingConfiguration)
	d := st.scaler.Decide(now, apprunner.ScaleInput{
		Current: current, Ready: dep.Status.ReadyReplicas,
		MinSize: minSize, MaxSize: maxSize, MaxConcurrency: maxConcurrency,
		Paused: svc.Spec.Paused, NoMetrics: noMetrics,
	})
	if d.Replicas == current {
		return nil
	}
	// An unconditional update of the scale subresource: the autoscaler is the only writer of
	// replicas, and the Deployment's other fields may change meanwhile.
	scale := &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Namespace: dep.Namespace, Name: dep.Name},
		Spec:       autoscalingv1.ScaleSpec{Replicas: d.Replicas},
	}
	if err := a.Client.SubResource("scale").Update(ctx, dep,
		client.WithSubResourceBody(scale), client.FieldOwner(apprunner.AutoscalerFieldManager)); err != nil {
		return fmt.Errorf("scaling the deployment from %d to %d replicas: %w", current, d.Replicas, err)
	}
	st.expect = &expectation{replicas: d.Replicas, at: now}
	concurrency := formatConcurrency(d.Concurrency())
	logger.Info("Scaled", "deployment", klog.KObj(dep), "from", current, "to", d.Replicas,
		"concurrency", concurrency, "panic", d.Panic, "reason", d.Reason)
	if a.Recorder != nil {
		a.Recorder.Eventf(svc, dep, corev1.EventTypeNormal, ReasonScaled, "Scale",
			"scaled from %d to %d instances (concurrency %s, panic %t)", current, d.Replicas, concurrency, d.Panic)
	}
	return nil
}

// formatConcurrency rounds an average concurrency to a tenth.
func formatConcurrency(c float64) string {
	return strconv.FormatFloat(math.Round(c*10)/10, 'f', -1, 64)
}

func (a *Autoscaler) clock() clock.WithTicker {
	if a.Clock != nil {
		return a.Clock
	}
	return clock.RealClock{}
}

func (a *Autoscaler) interval() time.Duration {
	if a.Interval > 0 {
		return a.Interval
	}
	return DefaultInterval
}

func (a *Autoscaler) statsPort() int {
	if a.StatsPort > 0 {
		return a.StatsPort
	}
	return DefaultStatsPort
}

func (a *Autoscaler) statsTimeout() time.Duration {
	if a.StatsTimeout > 0 {
		return a.StatsTimeout
	}
	return DefaultStatsTimeout
}

func (a *Autoscaler) httpClient() *http.Client {
	if a.HTTPClient != nil {
		return a.HTTPClient
	}
	return http.DefaultClient
}
