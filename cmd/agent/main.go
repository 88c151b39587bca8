// Command agent is the kube-ecs ECS agent. It runs on each node of an EC2 capacity provider
// (a DaemonSet from the chart): it checks it can reach the API server and find its node,
// and serves its health endpoint. Registration of the node as a container instance,
// heartbeats, draining and the task metadata endpoint build on this process.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/kube-ecs/kube-ecs/internal/apicheck"
	"github.com/kube-ecs/kube-ecs/internal/cmdutil"
	"github.com/kube-ecs/kube-ecs/internal/scheme"
	"github.com/kube-ecs/kube-ecs/internal/version"
)

type options struct {
	nodeName   string
	healthAddr string
	version    bool
}

func parseFlags(args []string, getenv func(string) string) (options, *zap.Options, error) {
	o := options{}
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	fs.StringVar(&o.nodeName, "node-name", getenv("NODE_NAME"), "Name of the node this agent runs on (default $NODE_NAME, which the chart sets from spec.nodeName).")
	fs.StringVar(&o.healthAddr, "health-probe-bind-address", ":8081", "Address the /healthz endpoint binds to.")
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
	if o.nodeName == "" && !o.version {
		return o, nil, errors.New("the node name is not set: pass --node-name or set NODE_NAME (the chart sets it from spec.nodeName)")
	}
	return o, zo, nil
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
	c, err := client.New(cfg, client.Options{Scheme: scheme.New()})
	if err != nil {
		return fmt.Errorf("creating a client: %w", err)
	}
	node := &corev1.Node{}
	if err := c.Get(ctx, types.NamespacedName{Name: o.nodeName}, node); err != nil {
		return fmt.Errorf("reading node %q (is --node-name this node's name?): %w", o.nodeName, err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	srv := &http.Server{Addr: o.healthAddr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	errs := make(chan error, 1)
	go func() { errs <- srv.ListenAndServe() }()
	log.Info("Agent started", "version", version.Version, "node", node.Name, "health", o.healthAddr)

	select {
	case err := <-errs:
		return fmt.Errorf("serving health checks on %s: %w", o.healthAddr, err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}
