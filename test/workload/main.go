// Command workload is the test workload of the kube-ecs e2e tests: one static binary, shipped
// as an image FROM scratch, that real containers run to exercise ECS behaviour.
//
//	workload serve [flags]     an HTTP server (default)
//	workload run [flags]       sleep, then exit with a chosen code (a one-shot job)
//	workload check URL         exit 0 when URL answers 2xx, else 1 (for CMD health checks)
//	workload load [flags] URL  GET URL from N workers, or at a fixed rate, for a while (or N
//	                           requests) and report the failures and latency percentiles
//	workload metadata [flags]  print TaskARN= and Family= from the task metadata endpoint v4
//
// The server answers / (hello), /healthz (200, or 503 once unhealthy), /env (the environment
// as JSON), /unhealthy and /healthy (switch the health check), /exit?code=N (exit with N) and
// /sleep?d=DURATION. With --record DIR it writes DIR/<name>.started and DIR/<name>.stopped
// with RFC 3339 timestamps, so tests can check the order containers started and stopped in.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	cmd := "serve"
	if len(args) > 0 && (args[0] == "serve" || args[0] == "run" || args[0] == "check" || args[0] == "load" || args[0] == "metadata") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "metadata":
		return metadata(args)
	case "check":
		return check(args)
	case "load":
		return load(args)
	case "run":
		return job(args)
	default:
		return serve(args)
	}
}

type common struct {
	name   string
	record string
}

func (c *common) flags(fs *flag.FlagSet) {
	host, _ := os.Hostname()
	fs.StringVar(&c.name, "name", envOr("WORKLOAD_NAME", host), "Name used in responses and record files.")
	fs.StringVar(&c.record, "record", os.Getenv("WORKLOAD_RECORD"), "Folder to write <name>.started and <name>.stopped timestamps into.")
}

func (c *common) mark(event string) {
	if c.record == "" {
		return
	}
	_ = os.MkdirAll(c.record, 0o755)
	_ = os.WriteFile(filepath.Join(c.record, c.name+"."+event), []byte(time.Now().UTC().Format(time.RFC3339Nano)+"\n"), 0o644)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// job sleeps, then exits with the chosen code.
func job(args []string) int {
	var c common
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	c.flags(fs)
	sleep := fs.Duration("sleep", 0, "How long to run.")
	code := fs.Int("exit-code", 0, "Exit code.")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	c.mark("started")
	time.Sleep(*sleep)
	c.mark("stopped")
	fmt.Printf("%s: exiting with code %d\n", c.name, *code)
	return *code
}

// check is a health check command: exit 0 when url answers 2xx.
func check(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: workload check URL")
		return 2
	}
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	_ = resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		fmt.Fprintln(os.Stderr, resp.Status)
		return 1
	}
	return 0
}

// metadata GETs $ECS_CONTAINER_METADATA_URI_V4/task, retrying while it fails for up to
// --timeout (the agent may not know the pod yet), prints "TaskARN=<arn>" and "Family=<family>"
// lines and exits 0; it exits 1 with the last error when the endpoint never answered.
func metadata(args []string) int {
	fs := flag.NewFlagSet("metadata", flag.ContinueOnError)
	timeout := fs.Duration("timeout", 30*time.Second, "How long to retry.")
	interval := fs.Duration("interval", time.Second, "Pause between attempts.")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: workload metadata [--timeout D] [--interval I]")
		return 2
	}
	base := os.Getenv("ECS_CONTAINER_METADATA_URI_V4")
	if base == "" {
		fmt.Fprintln(os.Stderr, "ECS_CONTAINER_METADATA_URI_V4 is not set")
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	task, err := taskMetadata(ctx, base+"/task", *interval)
	if err != nil {
		fmt.Fprintf(os.Stderr, "reading %s/task: %v\n", base, err)
		return 1
	}
	fmt.Printf("TaskARN=%s\nFamily=%s\n", task.TaskARN, task.Family)
	return 0
}

// taskMetadata is the part of the task metadata document the e2e tests compare.
type taskMetadataDoc struct {
	TaskARN string `json:"TaskARN"`
	Family  string `json:"Family"`
}

// taskMetadata GETs url until it answers 200 with a task that has an ARN, or ctx ends.
func taskMetadata(ctx context.Context, url string, interval time.Duration) (taskMetadataDoc, error) {
	client := http.Client{Timeout: 5 * time.Second}
	var last error
	for {
		doc, err := func() (taskMetadataDoc, error) {
			var doc taskMetadataDoc
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return doc, err
			}
			resp, err := client.Do(req)
			if err != nil {
				return doc, err
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				return doc, err
			}
			if resp.StatusCode != http.StatusOK {
				return doc, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
			}
			if err := json.Unmarshal(body, &doc); err != nil {
				return doc, fmt.Errorf("decoding %q: %w", body, err)
			}
			if doc.TaskARN == "" {
				return doc, fmt.Errorf("no TaskARN in %s", body)
			}
			return doc, nil
		}()
		if err == nil {
			return doc, nil
		}
		if ctx.Err() != nil && last != nil {
			return doc, last // the attempt the deadline cut short says less than the one before
		}
		last = err
		fmt.Fprintf(os.Stderr, "task metadata not available yet: %v\n", err)
		select {
		case <-ctx.Done():
			return doc, last
		case <-time.After(interval):
		}
	}
}

type server struct {
	common
	unhealthy atomic.Bool
	exit      chan int
}

func serve(args []string) int {
	s := &server{exit: make(chan int, 1)}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	s.flags(fs)
	listen := fs.String("listen", ":"+envOr("PORT", "8080"), "Address to listen on.")
	exitAfter := fs.Duration("exit-after", 0, "Exit by itself after this long (0: never).")
	exitCode := fs.Int("exit-code", 0, "Code to exit with after --exit-after.")
	unhealthyAfter := fs.Duration("unhealthy-after", 0, "Fail /healthz after this long (0: never).")
	termCode := fs.Int("term-exit-code", 0, "Code to exit with on SIGTERM.")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	srv := &http.Server{Addr: *listen, Handler: s.handler(), ReadHeaderTimeout: 5 * time.Second}
	errs := make(chan error, 1)
	go func() { errs <- srv.ListenAndServe() }()
	s.mark("started")
	fmt.Printf("%s: serving on %s\n", s.name, *listen)
	if *exitAfter > 0 {
		time.AfterFunc(*exitAfter, func() { s.exit <- *exitCode })
	}
	if *unhealthyAfter > 0 {
		time.AfterFunc(*unhealthyAfter, func() { s.unhealthy.Store(true) })
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	code := 0
	select {
	case err := <-errs:
		fmt.Fprintln(os.Stderr, err)
		return 1
	case code = <-s.exit:
	case sig := <-sigs:
		fmt.Printf("%s: %s\n", s.name, sig)
		code = *termCode
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	s.mark("stopped")
	fmt.Printf("%s: exiting with code %d\n", s.name, code)
	return code
}

func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "hello from %s\n", s.name)
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if s.unhealthy.Load() {
			http.Error(w, "unhealthy", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/unhealthy", func(w http.ResponseWriter, _ *http.Request) { s.unhealthy.Store(true); fmt.Fprintln(w, "unhealthy") })
	mux.HandleFunc("/healthy", func(w http.ResponseWriter, _ *http.Request) { s.unhealthy.Store(false); fmt.Fprintln(w, "healthy") })
	mux.HandleFunc("/env", func(w http.ResponseWriter, _ *http.Request) {
		env := map[string]string{}
		for _, kv := range os.Environ() {
			for i := 0; i < len(kv); i++ {
				if kv[i] == '=' {
					env[kv[:i]] = kv[i+1:]
					break
				}
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(env)
	})
	mux.HandleFunc("/exit", func(w http.ResponseWriter, r *http.Request) {
		code, err := strconv.Atoi(r.URL.Query().Get("code"))
		if err != nil {
			http.Error(w, "use /exit?code=N", http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "exiting with code %d\n", code)
		s.exit <- code
	})
	mux.HandleFunc("/sleep", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.URL.Query().Get("d"))
		if err != nil {
			http.Error(w, "use /sleep?d=DURATION", http.StatusBadRequest)
			return
		}
		select {
		case <-time.After(d):
			fmt.Fprintf(w, "slept %s\n", d)
		case <-r.Context().Done():
		}
	})
	return mux
}
