// Command manager runs the kube-ecs controllers, the ECS placement scheduler and the App
// Runner autoscaler, with leader election, metrics and health endpoints.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/kube-ecs/kube-ecs/controllers/admission"
	apprunnerctrl "github.com/kube-ecs/kube-ecs/controllers/apprunner"
	"github.com/kube-ecs/kube-ecs/controllers/autoscaler"
	"github.com/kube-ecs/kube-ecs/controllers/spot"
	"github.com/kube-ecs/kube-ecs/controllers/task"
	"github.com/kube-ecs/kube-ecs/internal/apicheck"
	"github.com/kube-ecs/kube-ecs/internal/apprunner"
	"github.com/kube-ecs/kube-ecs/internal/arn"
	"github.com/kube-ecs/kube-ecs/internal/cmdutil"
	"github.com/kube-ecs/kube-ecs/internal/scheme"
	"github.com/kube-ecs/kube-ecs/internal/version"
)

// The App Runner CA Secret and the activators' Service of the chart's default release.
const (
	defaultCASecret         = "kube-ecs-system/kube-ecs-apprunner-ca"
	defaultActivatorService = "kube-ecs-system/kube-ecs-activator"
)

type options struct {
	metricsAddr     string
	probeAddr       string
	pprofAddr       string
	leaderElect     bool
	leaderElectNS   string
	scope           arn.Scope
	skipCRDCheck    bool
	showVersionOnly bool
	taskRetention   time.Duration
	requireAgent    bool
	agentNamespace  string
	webhookCertDir  string
	webhookPort     int
	capacityPools   string
	spotWarning     time.Duration
	appRunner       appRunnerOptions
}

// appRunnerOptions configure the App Runner controller and autoscaler.
type appRunnerOptions struct {
	domain    string
	caSecret  types.NamespacedName
	scaling   apprunner.ScalingConfig
	activator types.NamespacedName
	statsPort int
	// imagePoll is how often auto-deploy resolves image tags again.
	imagePoll time.Duration
	// insecureRegistries may be reached over plain HTTP.
	insecureRegistries []string
	// issuer has cert-manager issue the service certificates (nil: the activators mint
	// them from the CA).
	issuer *apprunner.IssuerRef
}

func parseFlags(args []string) (options, *zap.Options, error) {
	var o options
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	fs.StringVar(&o.metricsAddr, "metrics-bind-address", ":8080", "Address the metrics endpoint binds to; 0 turns it off.")
	fs.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "Address the /healthz and /readyz endpoints bind to.")
	fs.StringVar(&o.pprofAddr, "pprof-bind-address", "0", "Address Go's /debug/pprof endpoints bind to, for profiling (127.0.0.1:<port>); 0 turns them off.")
	fs.BoolVar(&o.leaderElect, "leader-elect", false, "Elect a leader so that only one manager replica reconciles at a time.")
	fs.StringVar(&o.leaderElectNS, "leader-election-namespace", "", "Namespace of the leader election lease (default: the pod's namespace).")
	fs.StringVar(&o.scope.Region, "region", arn.DefaultRegion, "Region used in the ARNs kube-ecs reports.")
	fs.StringVar(&o.scope.Account, "account-id", arn.DefaultAccount, "12-digit account id used in the ARNs kube-ecs reports.")
	fs.DurationVar(&o.taskRetention, "stopped-task-retention", task.DefaultRetention, "How long a STOPPED task stays visible before it is deleted.")
	fs.BoolVar(&o.requireAgent, "require-agent", true, "A container instance accepts tasks only while its agent heartbeats; false counts a Ready node as connected (clusters without agents, such as kwok).")
	fs.StringVar(&o.agentNamespace, "agent-namespace", "kube-ecs-system", "Namespace of the agents' heartbeat Leases.")
	fs.StringVar(&o.webhookCertDir, "webhook-cert-dir", "", "Folder with tls.crt and tls.key of the validating webhook; empty: no webhook is served.")
	fs.IntVar(&o.webhookPort, "webhook-port", 9443, "Port of the validating webhook.")
	fs.StringVar(&o.capacityPools, "capacity-pools", "", "JSON file of the Fargate capacity pools (the chart's ConfigMap); empty: nodes labelled and tainted ecs.kube-ecs.io/capacity-pool=fargate|fargate-spot.")
	fs.DurationVar(&o.spotWarning, "spot-interruption-warning", spot.DefaultWarning, "How long FARGATE_SPOT tasks have between the interruption notice (SIGTERM) and the reclaim of their capacity.")
	fs.StringVar(&o.appRunner.domain, "apprunner-domain", apprunner.DefaultDomain, "Domain of App Runner service hosts (<service>.<namespace>.<domain>): the activator's, so serviceUrl reaches it.")
	caSecret := fs.String("apprunner-ca-secret", defaultCASecret, "<namespace>/<name> of the Secret of the App Runner CA, which the manager creates when missing and the activator signs service certificates with.")
	fs.DurationVar(&o.appRunner.scaling.StableWindow, "apprunner-stable-window", apprunner.DefaultScalingConfig().StableWindow, "The autoscaler's stable window: App Runner services scale on the average concurrency over it.")
	fs.DurationVar(&o.appRunner.scaling.PanicWindow, "apprunner-panic-window", 0, "The autoscaler's panic window, for bursts (default: a tenth of the stable window, at most 6s).")
	fs.DurationVar(&o.appRunner.scaling.ScaleToZeroGrace, "apprunner-scale-to-zero-grace", apprunner.DefaultScalingConfig().ScaleToZeroGrace, "How long past the stable window without requests a service with minSize 0 waits before it scales to zero.")
	activator := fs.String("activator-service", defaultActivatorService, "<namespace>/<name> of the activators' Kubernetes Service, whose endpoints the autoscaler reads statistics from.")
	fs.DurationVar(&o.appRunner.imagePoll, "apprunner-image-poll-interval", apprunnerctrl.DefaultImagePollInterval, "How often the image tags of App Runner services with autoDeploymentsEnabled are resolved again; a new digest deploys it.")
	insecureRegistries := fs.String("apprunner-insecure-registries", "", "Comma-separated registry hosts (host or host:port) that auto-deploy may reach over plain HTTP, besides localhost and loopback addresses.")
	issuer := fs.String("apprunner-cert-manager-issuer", "", "cert-manager issuer of the App Runner service certificates, <kind>/<name> (kind Issuer, in the activators' namespace, or ClusterIssuer) or <kind>.<group>/<name> for an issuer outside cert-manager.io; the manager then writes a Certificate per service in the activators' namespace. Empty: the activators sign them with the App Runner CA.")
	fs.IntVar(&o.appRunner.statsPort, "activator-stats-port", autoscaler.DefaultStatsPort, "Port of the activators' statistics (their health port).")
	fs.BoolVar(&o.skipCRDCheck, "skip-crd-check", false, "Start even when the API server does not serve the kube-ecs CRDs.")
	fs.BoolVar(&o.showVersionOnly, "version", false, "Print the version and exit.")
	// --kubeconfig is registered on the global flag set by controller-runtime.
	if f := flag.CommandLine.Lookup("kubeconfig"); f != nil {
		fs.Var(f.Value, f.Name, f.Usage)
	}
	zo := &zap.Options{}
	zo.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return o, nil, err
	}
	if fs.NArg() > 0 {
		return o, nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if err := o.scope.Validate(); err != nil {
		return o, nil, err
	}
	ns, name, ok := strings.Cut(*caSecret, "/")
	if !ok || len(validation.IsDNS1123Label(ns)) > 0 || len(validation.IsDNS1123Subdomain(name)) > 0 {
		return o, nil, fmt.Errorf("--apprunner-ca-secret must be <namespace>/<name>, not %q", *caSecret)
	}
	o.appRunner.caSecret = types.NamespacedName{Namespace: ns, Name: name}
	ns, name, ok = strings.Cut(*activator, "/")
	if !ok || len(validation.IsDNS1123Label(ns)) > 0 || len(validation.IsDNS1123Label(name)) > 0 {
		return o, nil, fmt.Errorf("--activator-service must be <namespace>/<name>, not %q", *activator)
	}
	o.appRunner.activator = types.NamespacedName{Namespace: ns, Name: name}
	if *issuer != "" {
		ref, err := apprunner.ParseIssuerRef(*issuer)
		if err != nil {
			return o, nil, fmt.Errorf("--apprunner-cert-manager-issuer: %w", err)
		}
		o.appRunner.issuer = &ref
	}
	if err := o.appRunner.scaling.Validate(); err != nil {
		return o, nil, err
	}
	if errs := validation.IsDNS1123Subdomain(o.appRunner.domain); len(errs) > 0 {
		return o, nil, fmt.Errorf("--apprunner-domain %q is not a DNS name: %s", o.appRunner.domain, strings.Join(errs, "; "))
	}
	if o.appRunner.imagePoll <= 0 {
		return o, nil, fmt.Errorf("--apprunner-image-poll-interval must be positive, not %s", o.appRunner.imagePoll)
	}
	for h := range strings.SplitSeq(*insecureRegistries, ",") {
		if h = strings.TrimSpace(h); h != "" {
			o.appRunner.insecureRegistries = append(o.appRunner.insecureRegistries, h)
		}
	}
	if o.spotWarning <= 0 {
		return o, nil, fmt.Errorf("--spot-interruption-warning must be positive, not %s", o.spotWarning)
	}
	if o.taskRetention <= 0 {
		return o, nil, fmt.Errorf("--stopped-task-retention must be positive, not %s", o.taskRetention)
	}
	return o, zo, nil
}

func main() {
	o, zo, err := parseFlags(os.Args[1:])
	cmdutil.ExitOnFlagError("manager", err)
	if o.showVersionOnly {
		fmt.Println(version.Version)
		return
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(zo)))
	klog.SetLogger(ctrl.Log)
	log := ctrl.Log.WithName("setup")

	if err := run(o); err != nil {
		log.Error(err, "manager stopped")
		os.Exit(1)
	}
}

func run(o options) error {
	log := ctrl.Log.WithName("setup")
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("loading the kubeconfig (set --kubeconfig or KUBECONFIG, or run in a pod): %w", err)
	}
	if !o.skipCRDCheck {
		if err := apicheck.CRDsInstalled(cfg); err != nil {
			return err
		}
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  scheme.New(),
		Metrics:                 metricsserver.Options{BindAddress: o.metricsAddr},
		HealthProbeBindAddress:  o.probeAddr,
		PprofBindAddress:        o.pprofAddr,
		LeaderElection:          o.leaderElect,
		LeaderElectionID:        "kube-ecs-manager.kube-ecs.io",
		LeaderElectionNamespace: o.leaderElectNS,
		// The manager exits when it loses the lease so that a replacement starts clean.
		LeaderElectionReleaseOnCancel: true,
		WebhookServer:                 webhook.NewServer(webhook.Options{Port: o.webhookPort, CertDir: o.webhookCertDir}),
		// Only VPC connector ConfigMaps are cached.
		Cache: cache.Options{ByObject: apprunnerctrl.CacheByObject()},
	})
	if err != nil {
		return fmt.Errorf("creating the controller manager: %w", err)
	}
	if o.webhookCertDir != "" {
		admission.Register(mgr.GetWebhookServer(), mgr.GetScheme(), mgr.GetAPIReader())
	}
	ctx := ctrl.SetupSignalHandler()
	if err := setupControllers(ctx, mgr, o); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return fmt.Errorf("adding the health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return fmt.Errorf("adding the readiness check: %w", err)
	}
	log.Info("Starting manager", "version", version.Version, "region", o.scope.Region, "account", o.scope.Account)
	return mgr.Start(ctx)
}
