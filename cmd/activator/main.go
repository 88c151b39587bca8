// Command activator is the App Runner front door of kube-ecs: it receives every request for
// <service>.<namespace>.<domain>, and routes it to the service's instances. This process
// serves the front door and its health endpoint; routing, TLS, request buffering and
// concurrency metrics build on it.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kube-ecs/kube-ecs/internal/cmdutil"
	"github.com/kube-ecs/kube-ecs/internal/version"
)

type options struct {
	httpAddr   string
	healthAddr string
	domain     string
	version    bool
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("activator", flag.ContinueOnError)
	fs.StringVar(&o.httpAddr, "http-bind-address", ":8080", "Address the front door listens on.")
	fs.StringVar(&o.healthAddr, "health-probe-bind-address", ":8081", "Address the /healthz endpoint binds to.")
	fs.StringVar(&o.domain, "domain", "apps.kube-ecs.local", "Domain of service hosts: <service>.<namespace>.<domain>.")
	fs.BoolVar(&o.version, "version", false, "Print the version and exit.")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if errs := validation.IsDNS1123Subdomain(o.domain); len(errs) > 0 {
		return o, fmt.Errorf("invalid --domain %q: %s", o.domain, strings.Join(errs, "; "))
	}
	return o, nil
}

// route is the App Runner service a host names.
type route struct{ service, namespace string }

// parseHost splits <service>.<namespace>.<domain> (with an optional port).
func parseHost(host, domain string) (route, bool) {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	rest, ok := strings.CutSuffix(host, "."+domain)
	if !ok {
		return route{}, false
	}
	service, namespace, ok := strings.Cut(rest, ".")
	if !ok || service == "" || namespace == "" || strings.Contains(namespace, ".") {
		return route{}, false
	}
	return route{service: service, namespace: namespace}, true
}

// frontDoor answers requests. With no service routed yet every request is answered 404 in
// App Runner's manner, naming what was asked for.
func frontDoor(domain string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		rt, ok := parseHost(r.Host, domain)
		msg := fmt.Sprintf("host %q is not a service host: use <service>.<namespace>.%s", r.Host, domain)
		if ok {
			msg = fmt.Sprintf("no App Runner service %q in namespace %q", rt.service, rt.namespace)
		}
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
	})
}

func main() {
	o, err := parseFlags(os.Args[1:])
	cmdutil.ExitOnFlagError("activator", err)
	if o.version {
		fmt.Println(version.Version)
		return
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()
	if err := run(ctx, o); err != nil {
		fmt.Fprintf(os.Stderr, "activator: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	health := http.NewServeMux()
	health.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	servers := []*http.Server{
		{Addr: o.httpAddr, Handler: frontDoor(o.domain), ReadHeaderTimeout: 10 * time.Second},
		{Addr: o.healthAddr, Handler: health, ReadHeaderTimeout: 5 * time.Second},
	}
	errs := make(chan error, len(servers))
	for _, s := range servers {
		ln, err := net.Listen("tcp", s.Addr)
		if err != nil {
			return fmt.Errorf("listening on %s: %w", s.Addr, err)
		}
		go func() { errs <- s.Serve(ln) }()
	}
	fmt.Fprintf(os.Stderr, "activator %s: serving *.%s on %s\n", version.Version, o.domain, o.httpAddr)
	select {
	case err := <-errs:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, s := range servers {
		_ = s.Shutdown(shutdown)
	}
	return nil
}
