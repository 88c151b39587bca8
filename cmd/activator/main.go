// Command activator is the App Runner front door of kube-ecs: it receives every request for
// <service>.<namespace>.<domain> (HTTP, h2c and HTTPS with a certificate per host), holds it
// while the service scales from zero, and proxies it to an instance; it serves the
// per-service concurrency the autoscaler scales on. The logic is in internal/activator.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/kube-ecs/kube-ecs/internal/activator"
	"github.com/kube-ecs/kube-ecs/internal/apicheck"
	"github.com/kube-ecs/kube-ecs/internal/apprunner"
	"github.com/kube-ecs/kube-ecs/internal/cmdutil"
	"github.com/kube-ecs/kube-ecs/internal/scheme"
	"github.com/kube-ecs/kube-ecs/internal/version"
)

// shutdownTimeout bounds the wait for requests in flight on SIGTERM.
const shutdownTimeout = 25 * time.Second

// Values of --cert-source.
const (
	certSourceCA          = "ca"
	certSourceCertManager = "cert-manager"
)

// defaultCASecret is where the manager keeps the CA when installed by the chart as kube-ecs.
const defaultCASecret = "kube-ecs-system/kube-ecs-apprunner-ca"

type options struct {
	httpAddr  string
	httpsAddr string
	// internalHTTPAddr and internalHTTPSAddr serve private services too (see docs/activator.md).
	internalHTTPAddr  string
	internalHTTPSAddr string
	healthAddr        string
	domain            string
	caSecret          types.NamespacedName
	// certSource is where service certificates come from: certSourceCA or certSourceCertManager.
	certSource string
	// certNamespace holds the cert-manager Secrets (default: the namespace of caSecret).
	certNamespace string
	queueDepth    int64
	queueTimeout  time.Duration
	version       bool
}

func parseFlags(args []string) (options, *zap.Options, error) {
	var o options
	var caSecret string
	fs := flag.NewFlagSet("activator", flag.ContinueOnError)
	fs.StringVar(&o.httpAddr, "http-bind-address", ":8080", "Address the front door serves plain HTTP/1.1 and h2c on.")
	fs.StringVar(&o.httpsAddr, "https-bind-address", ":8443", "Address the front door serves HTTPS on (\"0\" turns it off).")
	fs.StringVar(&o.internalHTTPAddr, "internal-http-bind-address", ":8090", "Address of the internal front door (plain HTTP/1.1 and h2c), which serves private services (isPubliclyAccessible: false) too; expose it inside the cluster only (\"0\" turns it off).")
	fs.StringVar(&o.internalHTTPSAddr, "internal-https-bind-address", ":8444", "Address of the internal front door over HTTPS, which serves private services too; expose it inside the cluster only (\"0\" turns it off).")
	fs.StringVar(&o.healthAddr, "health-probe-bind-address", ":8081", "Address of /healthz and of the statistics the autoscaler polls ("+apprunner.StatsPath+").")
	fs.StringVar(&o.domain, "domain", apprunner.DefaultDomain, "Domain of service hosts: <service>.<namespace>.<domain>.")
	fs.StringVar(&caSecret, "ca-secret", defaultCASecret, "<namespace>/<name> of the Secret holding the CA that signs service certificates (the manager's).")
	fs.StringVar(&o.certSource, "cert-source", certSourceCA, "Where service certificates come from: \"ca\" (minted per host, signed with the CA of --ca-secret) or \"cert-manager\" (the kubernetes.io/tls Secrets labelled "+apprunner.CertificateLabel+"=true in --cert-namespace, which cert-manager writes for the Certificates the manager creates).")
	fs.StringVar(&o.certNamespace, "cert-namespace", "", "Namespace of the certificate Secrets with --cert-source=cert-manager (default: the namespace of --ca-secret).")
	fs.Int64Var(&o.queueDepth, "queue-depth", 200, "Requests that may wait per service while it has no ready instance; more get 503.")
	fs.DurationVar(&o.queueTimeout, "queue-timeout", 60*time.Second, "How long a request waits for a ready instance before it gets 503.")
	fs.BoolVar(&o.version, "version", false, "Print the version and exit.")
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
	if errs := validation.IsDNS1123Subdomain(o.domain); len(errs) > 0 {
		return o, nil, fmt.Errorf("invalid --domain %q: %s", o.domain, strings.Join(errs, "; "))
	}
	ns, name, ok := strings.Cut(caSecret, "/")
	if !ok || len(validation.IsDNS1123Label(ns)) > 0 || len(validation.IsDNS1123Subdomain(name)) > 0 {
		return o, nil, fmt.Errorf("invalid --ca-secret %q: want <namespace>/<name>", caSecret)
	}
	o.caSecret = types.NamespacedName{Namespace: ns, Name: name}
	switch o.certSource {
	case certSourceCA, certSourceCertManager:
	default:
		return o, nil, fmt.Errorf("invalid --cert-source %q: want %s or %s", o.certSource, certSourceCA, certSourceCertManager)
	}
	if o.certNamespace == "" {
		o.certNamespace = ns
	} else if errs := validation.IsDNS1123Label(o.certNamespace); len(errs) > 0 {
		return o, nil, fmt.Errorf("invalid --cert-namespace %q: %s", o.certNamespace, strings.Join(errs, "; "))
	}
	if o.queueDepth < 0 {
		return o, nil, fmt.Errorf("--queue-depth must not be negative, got %d", o.queueDepth)
	}
	if o.queueTimeout <= 0 {
		return o, nil, fmt.Errorf("--queue-timeout must be positive, got %s", o.queueTimeout)
	}
	return o, zo, nil
}

func main() {
	o, zo, err := parseFlags(os.Args[1:])
	cmdutil.ExitOnFlagError("activator", err)
	if o.version {
		fmt.Println(version.Version)
		return
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(zo)))
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()
	if err := run(ctx, o); err != nil {
		ctrl.Log.Error(err, "activator stopped")
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	log := ctrl.Log.WithName("activator")
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("loading the kubeconfig (set --kubeconfig or KUBECONFIG, or run in a pod): %w", err)
	}
	if err := apicheck.CRDsInstalled(cfg); err != nil {
		return err
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()

	secrets := activator.CASecretCache(o.caSecret)
	if o.certSource == certSourceCertManager {
		secrets = activator.CertificateSecretsCache(o.certNamespace)
	}
	c, err := activator.NewCache(cfg, scheme.New(), secrets)
	if err != nil {
		return err
	}
	clk := clock.RealClock{}
	router := activator.NewRouter(o.queueDepth, o.queueTimeout, clk)
	routes := &activator.RouteWatcher{Cache: c, Router: router, Domain: o.domain, Log: log.WithName("routes")}
	if err := routes.Register(ctx); err != nil {
		return err
	}
	var certs activator.CertificateSource
	if o.certSource == certSourceCertManager {
		issued := &activator.SecretCertificates{Known: router.Known, Clock: clk}
		if err := activator.WatchCertificateSecrets(ctx, c, issued, log.WithName("certificates")); err != nil {
			return err
		}
		certs = issued
	} else {
		minted := &activator.Certificates{Known: router.Known, Clock: clk}
		if err := activator.WatchCA(ctx, c, o.caSecret, minted, log.WithName("ca")); err != nil {
			return err
		}
		certs = minted
	}
	errs := make(chan error, 5)
	go func() {
		if err := c.Start(ctx); err != nil {
			errs <- fmt.Errorf("the cache stopped: %w", err)
		}
	}()
	go func() {
		if err := routes.Run(ctx); err != nil {
			errs <- err
		}
	}()

	handler := activator.NewHandler(router, o.domain, log.WithName("proxy"))
	type server struct {
		srv *http.Server
		tls bool
	}
	servers := []server{
		{srv: activator.NewHealthServer(o.healthAddr, router, routes.Synced)},
		{srv: activator.NewHTTPServer(o.httpAddr, handler)},
	}
	if o.httpsAddr != "0" {
		servers = append(servers, server{srv: activator.NewHTTPSServer(o.httpsAddr, handler, certs), tls: true})
	}
	// The internal listeners serve private services too: the chart exposes them through a
	// ClusterIP Service only, so that clients outside the cluster cannot reach them.
	internal := handler.Internal()
	if o.internalHTTPAddr != "0" {
		servers = append(servers, server{srv: activator.NewHTTPServer(o.internalHTTPAddr, internal)})
	}
	if o.internalHTTPSAddr != "0" {
		servers = append(servers, server{srv: activator.NewHTTPSServer(o.internalHTTPSAddr, internal, certs), tls: true})
	}
	for _, s := range servers {
		ln, err := net.Listen("tcp", s.srv.Addr)
		if err != nil {
			return fmt.Errorf("listening on %s: %w", s.srv.Addr, err)
		}
		go func() {
			var err error
			if s.tls {
				err = s.srv.ServeTLS(ln, "", "")
			} else {
				err = s.srv.Serve(ln)
			}
			if !errors.Is(err, http.ErrServerClosed) {
				errs <- fmt.Errorf("serving on %s: %w", s.srv.Addr, err)
			}
		}()
	}
	log.Info("Activator started", "version", version.Version, "domain", o.domain, "http", o.httpAddr, "https", o.httpsAddr,
		"internalHTTP", o.internalHTTPAddr, "internalHTTPS", o.internalHTTPSAddr,
		"health", o.healthAddr, "certSource", o.certSource, "caSecret", o.caSecret, "certNamespace", o.certNamespace, "queueDepth", o.queueDepth, "queueTimeout", o.queueTimeout)

	var runErr error
	select {
	case runErr = <-errs:
	case <-ctx.Done():
	}
	// Requests in flight and waiting get until shortly before the pod's default grace period
	// (30s) ends to finish; the Service stopped sending new ones when the pod began terminating.
	shutdown, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	for _, s := range servers {
		_ = s.srv.Shutdown(shutdown)
	}
	stop()
	return runErr
}
