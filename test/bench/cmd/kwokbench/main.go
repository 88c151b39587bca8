// Command kwokbench measures kube-ecs against the Kubernetes baseline on a kwok cluster: the
// same control plane, the same simulated nodes and the same pod shape, side by side in one
// run, reported as ratios (issue 9):
//
//  1. Service launch: an ECS Service of desiredCount N to N tasks RUNNING, against a
//     Deployment of N replicas to N pods Running.
//  2. Standalone task throughput: M Tasks created as fast as the client allows to all
//     RUNNING, against M bare Pods to all Running.
//  3. Placement: the ECS scheduler binding M waiting EC2 tasks (binpack memory) once capacity
//     opens, against kube-scheduler binding the same bare pods; and the nodes each used.
//  4. Steady state: API writes per task over its life (create, RUNNING, delete, gone) against
//     a bare pod's; the manager's reconciles per object and CPU over an idle window, against
//     kube-controller-manager's CPU with the same objects.
//  5. Memory: the manager's RSS and Go heap with -memory-tasks tasks and 100 services, and
//     RSS per 1,000 tasks, against kube-controller-manager's RSS with the same pods.
//  6. Rollout: a service of -rollout-size tasks with 200%/100% to a new revision, against a
//     Deployment with maxSurge 100% / maxUnavailable 0 to a changed template.
//  7. App Runner data plane (measured on kind by hack/e2e.sh, which make bench runs during the
//     idle window with -alongside-idle; merged from -apprunner): the activator's added latency
//     p50/p99 at a fixed rate and cold start from zero.
//
// Each figure is the median of -runs runs, with min and max. It prints a table and writes
// results.json and results.svg under -out. make bench runs it in full, make bench-quick small.
//
//	go run ./test/bench/cmd/kwokbench -nodes 100 -service-sizes 100,500 -tasks 1000 -runs 3
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/kube-ecs/kube-ecs/internal/kwokharness"
	"github.com/kube-ecs/kube-ecs/internal/scheme"
)

type options struct {
	nodes          int
	serviceSizes   []int
	tasks          int
	placementTasks int
	memoryTasks    int
	services       int
	rolloutSize    int
	idle, settle   time.Duration
	idleSamples    int
	apprunner      string
	alongside      string
	pprof          string
	runs           int
	out            string
	work           string
	timeout        time.Duration
}

func main() {
	ctrllog.SetLogger(logr.Discard())
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "kwokbench: %v\n", err)
		os.Exit(2)
	}
	os.Exit(run(o))
}

func parseFlags(args []string) (options, error) {
	root := kwokharness.RepoRoot()
	var o options
	fs := flag.NewFlagSet("kwokbench", flag.ContinueOnError)
	fs.IntVar(&o.nodes, "nodes", 100, "Simulated EC2 nodes, in 3 zones.")
	sizes := fs.String("service-sizes", "100,500", "Comma-separated desiredCounts of the service launch figure (N).")
	fs.IntVar(&o.tasks, "tasks", 1000, "Standalone tasks (and bare pods) of the throughput figure (M).")
	fs.IntVar(&o.placementTasks, "placement-tasks", 1000, "Tasks (and bare pods) the schedulers bind in the placement figure.")
	fs.IntVar(&o.memoryTasks, "memory-tasks", 5000, "Standalone tasks running during the idle window and the memory figure.")
	fs.IntVar(&o.services, "services", 100, "Services of one task each running with them.")
	fs.IntVar(&o.rolloutSize, "rollout-size", 100, "Tasks (and replicas) of the rollout figure.")
	fs.DurationVar(&o.idle, "idle", 5*time.Minute, "Idle window of the steady state figures.")
	fs.DurationVar(&o.settle, "settle", 30*time.Second, "Wait between the last task RUNNING and the idle window.")
	fs.IntVar(&o.idleSamples, "idle-samples", 5, "Slices of the idle window (the samples of its figures).")
	fs.StringVar(&o.apprunner, "apprunner", "", "JSON file of the App Runner data plane figures measured on kind (test/e2e/bench_test.go); none: left out.")
	fs.StringVar(&o.alongside, "alongside-idle", "", "Shell command run (from the repository's root, output in -work/alongside.log) while the idle window is open; the run waits for it and fails if it fails. make bench runs the App Runner data plane benchmark there.")
	fs.StringVar(&o.pprof, "pprof", "", "Address the manager serves /debug/pprof on (127.0.0.1:<port>), to profile a run; empty: none.")
	fs.IntVar(&o.runs, "runs", 3, "Runs of every figure; each reports the median, min and max.")
	fs.StringVar(&o.out, "out", filepath.Join(root, "bench"), "Folder of results.json and results.svg.")
	fs.StringVar(&o.work, "work", filepath.Join(root, ".local", "bench"), "Folder of the cluster's state and logs (manager.log, logs/).")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "Longest wait of one measurement.")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return o, fmt.Errorf("-service-sizes: %q is not a positive number", s)
		}
		o.serviceSizes = append(o.serviceSizes, n)
	}
	if o.nodes < 3 || o.tasks < 1 || o.placementTasks < 1 || o.runs < 1 || o.memoryTasks < 1 || o.services < 0 || o.rolloutSize < 1 || o.idleSamples < 1 || o.idle <= 0 {
		return o, fmt.Errorf("-nodes must be at least 3; -tasks, -placement-tasks, -memory-tasks, -rollout-size, -runs and -idle-samples at least 1; -idle positive")
	}
	return o, nil
}

func run(o options) int {
	start := time.Now()
	h := kwokharness.New(kwokharness.Options{
		Work: o.work, ClusterName: "kube-ecs-bench", Prefix: "kwokbench", FieldManager: "kube-ecs-bench",
		// As fast as the client allows: no client-side limit, the API server's fairness only.
		QPS: -1,
	})
	h.StopOnSignals()
	defer h.Teardown()
	b, err := setup(h, o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "kwokbench: setup FAILED: %v\n", err)
		h.ShowLogTails()
		return 1
	}
	h.Printf("environment ready in %s (logs: %s, manager log: %s)", kwokharness.Since(start), h.Logs, h.ManagerLog)

	res, err := b.measure(context.Background())
	if err != nil {
		fmt.Fprintf(os.Stderr, "kwokbench: FAILED: %v\n", err)
		h.ShowLogTails()
		dumpState(h, o.work)
		return 1
	}
	res.Duration, res.Complete = kwokharness.Since(start).String(), true
	fmt.Println()
	fmt.Print(res.table())
	if err := res.write(o.out); err != nil {
		fmt.Fprintf(os.Stderr, "kwokbench: writing the results: %v\n", err)
		return 1
	}
	h.Printf("results in %s and %s; ran %s", filepath.Join(o.out, "results.json"), filepath.Join(o.out, "results.svg"), res.Duration)
	return 0
}

func setup(h *kwokharness.Harness, o options) (*bench, error) {
	if err := h.BuildTools(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := h.CreateCluster(ctx); err != nil {
		return nil, err
	}
	w, err := client.NewWithWatch(h.Config, client.Options{Scheme: scheme.New()})
	if err != nil {
		return nil, err
	}
	b := &bench{h: h, c: w, o: o, nodes: makeNodes(o.nodes), began: time.Now()}

	step := time.Now()
	if err := h.CreateNodes(ctx, b.nodes); err != nil {
		return nil, err
	}
	h.Printf("%d simulated nodes Ready in %s", len(b.nodes), kwokharness.Since(step))
	step = time.Now()
	if err := h.InstallAPI(ctx); err != nil {
		return nil, err
	}
	h.Printf("CRDs and admission policies installed in %s", kwokharness.Since(step))
	step = time.Now()
	var managerArgs []string
	if o.pprof != "" {
		managerArgs = append(managerArgs, "--pprof-bind-address="+o.pprof)
	}
	if err := h.StartManager(ctx, managerArgs...); err != nil {
		return nil, err
	}
	h.Printf("manager (pid %d) healthy in %s", h.ManagerProcessID(), kwokharness.Since(step))
	return b, nil
}

// dumpState keeps what the cluster held when a figure failed (the ECS objects, pods and
// events of every namespace) in work/failure.yaml, for the manager log to be read against.
func dumpState(h *kwokharness.Harness, work string) {
	out, err := h.Kubectl("get", "tasks,services,containerinstances,pods,events", "-A", "-o", "yaml")
	if err != nil {
		fmt.Fprintf(os.Stderr, "kwokbench: dumping the cluster's state: %v\n", err)
		return
	}
	file := filepath.Join(work, "failure.yaml")
	if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "kwokbench: %v\n", err)
		return
	}
	fmt.Fprintf(os.Stderr, "kwokbench: the cluster's objects when it failed are in %s\n", file)
}
