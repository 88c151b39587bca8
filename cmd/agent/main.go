// Command agent is the kube-ecs ECS agent. It runs on each node of an EC2 capacity provider
// (a DaemonSet from the chart). It heartbeats with a Lease (agent-<node> in its namespace),
// which the manager turns into the node's container instance's agentConnected, and deletes
// it when it stops. It serves the task metadata endpoint v4 on the node's port 51679 to the
// tasks of its node, and its health endpoint. internal/agent holds both.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/agent"
	"github.com/kube-ecs/kube-ecs/internal/apicheck"
	"github.com/kube-ecs/kube-ecs/internal/arn"
	"github.com/kube-ecs/kube-ecs/internal/cmdutil"
	"github.com/kube-ecs/kube-ecs/internal/scheme"
	"github.com/kube-ecs/kube-ecs/internal/version"
)

const (
	// statsMaxAge is how long a stats summary of the kubelet is served before it is read again.
	statsMaxAge = 5 * time.Second
	// nodeMaxAge is how long the node (its zone and capacity) is used before it is read again.
	nodeMaxAge = time.Minute
	// shutdownTimeout bounds the HTTP servers' shutdown, after the Lease is deleted, within
	// the chart's terminationGracePeriodSeconds of 10.
	shutdownTimeout = 3 * time.Second
)

type options struct {
	nodeName          string
	namespace         string
	healthAddr        string
	metadataAddr      string
	heartbeatInterval time.Duration
	heartbeatTimeout  time.Duration
	scope             arn.Scope
	version           bool
}

func parseFlags(args []string, getenv func(string) string) (options, *zap.Options, error) {
	o := options{}
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	fs.StringVar(&o.nodeName, "node-name", getenv("NODE_NAME"), "Name of the node this agent runs on (default $NODE_NAME, which the chart sets from spec.nodeName).")
	fs.StringVar(&o.namespace, "lease-namespace", getenv("POD_NAMESPACE"), "Namespace of the agent's Lease (default $POD_NAMESPACE, which the chart sets to the agent's namespace).")
	fs.StringVar(&o.healthAddr, "health-probe-bind-address", ":8081", "Address the /healthz endpoint binds to.")
	fs.StringVar(&o.metadataAddr, "metadata-address", ":"+strconv.Itoa(ecsv1alpha1.AgentMetadataPort), "Address the task metadata endpoint v4 binds to; tasks reach it on their node's IP and port 51679.")
	fs.DurationVar(&o.heartbeatInterval, "heartbeat-interval", 10*time.Second, "How often the agent renews its Lease.")
	fs.DurationVar(&o.heartbeatTimeout, "heartbeat-timeout", 40*time.Second, "The Lease's duration: how long after the last renewal a silent agent counts as disconnected (whole seconds).")
	fs.StringVar(&o.scope.Region, "region", arn.DefaultRegion, "Region of the ARNs the metadata endpoint reports (the manager's --region).")
	fs.StringVar(&o.scope.Account, "account-id", arn.DefaultAccount, "12-digit account id of the ARNs the metadata endpoint reports (the manager's --account-id).")
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
	if o.version {
		return o, zo, nil
	}
	if err := o.validate(); err != nil {
		return o, nil, err
	}
	return o, zo, nil
}

func (o options) validate() error {
	switch {
	case o.nodeName == "":
		return errors.New("the node name is not set: pass --node-name or set NODE_NAME (the chart sets it from spec.nodeName)")
	case o.namespace == "":
		return errors.New("the Lease's namespace is not set: pass --lease-namespace or set POD_NAMESPACE (the chart sets it from metadata.namespace)")
	case len(validation.IsDNS1123Subdomain(agent.LeaseName(o.nodeName))) > 0:
		return fmt.Errorf("node name %q makes the invalid Lease name %q", o.nodeName, agent.LeaseName(o.nodeName))
	case o.heartbeatInterval <= 0:
		return fmt.Errorf("--heartbeat-interval must be positive, got %s", o.heartbeatInterval)
	case o.heartbeatTimeout < time.Second || o.heartbeatTimeout%time.Second != 0:
		return fmt.Errorf("--heartbeat-timeout must be whole seconds (a Lease's leaseDurationSeconds), got %s", o.heartbeatTimeout)
	case o.heartbeatTimeout <= o.heartbeatInterval:
		return fmt.Errorf("--heartbeat-timeout (%s) must be longer than --heartbeat-interval (%s), or the agent flaps between connected and disconnected", o.heartbeatTimeout, o.heartbeatInterval)
	}
	return o.scope.Validate()
}

func main() {
	o, zo, err := parseFlags(os.Args[1:], os.Getenv)
	cmdutil.ExitOnFlagError("agent", err)
	if o.version {
		fmt.Println(version.Version)
		return
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(zo)))
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()
	if err := run(ctx, o); err != nil {
		ctrl.Log.Error(err, "agent stopped")
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	log := ctrl.Log.WithName("agent")
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("loading the kubeconfig (set --kubeconfig or KUBECONFIG, or run in a pod): %w", err)
	}
	if err := apicheck.CRDsInstalled(cfg); err != nil {
		return err
	}
	sch := scheme.New()
	c, err := client.New(cfg, client.Options{Scheme: sch})
	if err != nil {
		return fmt.Errorf("creating a client: %w", err)
	}
	if err := c.Get(ctx, types.NamespacedName{Name: o.nodeName}, &corev1.Node{}); err != nil {
		return fmt.Errorf("reading node %q (is --node-name this node's name?): %w", o.nodeName, err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("creating a clientset: %w", err)
	}

	ctx, stop := context.WithCancel(ctx)
	defer stop()
	nodeCache, err := agent.NewNodeCache(ctx, cfg, sch, o.nodeName)
	if err != nil {
		return err
	}
	cacheErr := make(chan error, 1)
	go func() { cacheErr <- nodeCache.Start(ctx) }()
	if !nodeCache.WaitForCacheSync(ctx) {
		return fmt.Errorf("the cache of node %s's pods did not sync", o.nodeName)
	}

	clk := clock.RealClock{}
	heartbeat := &agent.Heartbeat{
		Client:   c,
		Clock:    clk,
		Spec:     agent.LeaseSpec{Namespace: o.namespace, Node: o.nodeName, Timeout: o.heartbeatTimeout, Version: version.Version},
		Interval: o.heartbeatInterval,
		Log:      log.WithName("heartbeat"),
	}
	heartbeatDone := make(chan error, 1)
	go func() { heartbeatDone <- heartbeat.Run(ctx) }()

	stats := &agent.StatsCache{Fetch: agent.SummaryFetcher(cs.CoreV1().RESTClient(), o.nodeName), Clock: clk, MaxAge: statsMaxAge}
	endpoint := &agent.Server{
		Pod:   agent.PodByUID(nodeCache),
		Node:  (&agent.NodeReader{Reader: c, Name: o.nodeName, Clock: clk, TTL: nodeMaxAge}).Get,
		Stats: stats.Get,
		Scope: o.scope,
		Clock: clk,
		Log:   log.WithName("metadata"),
	}
	health := http.NewServeMux()
	health.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	servers := []*http.Server{
		{Addr: o.metadataAddr, Handler: endpoint.Handler(), ReadHeaderTimeout: 5 * time.Second},
		{Addr: o.healthAddr, Handler: health, ReadHeaderTimeout: 5 * time.Second},
	}
	serveErr := make(chan error, len(servers))
	for _, srv := range servers {
		go func() {
			if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
				serveErr <- fmt.Errorf("serving on %s: %w", srv.Addr, err)
			}
		}()
	}
	log.Info("Agent started", "version", version.Version, "node", o.nodeName, "lease", o.namespace+"/"+agent.LeaseName(o.nodeName),
		"metadata", o.metadataAddr, "health", o.healthAddr, "region", o.scope.Region, "account", o.scope.Account)

	var runErr error
	select {
	case runErr = <-serveErr:
	case err := <-cacheErr:
		if ctx.Err() == nil {
			runErr = errors.Join(fmt.Errorf("the cache of node %s's pods stopped", o.nodeName), err)
		}
	case <-ctx.Done():
	}
	// Stopping: delete the Lease first, so the container instance disconnects at once.
	stop()
	if err := <-heartbeatDone; err != nil {
		log.Error(err, "Deleting the agent's Lease failed; the node disconnects when it expires")
	}
	shutdown, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	for _, srv := range servers {
		_ = srv.Shutdown(shutdown)
	}
	return runErr
}
