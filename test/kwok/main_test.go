//go:build kwok

// Package kwok is the acceptance test of the ECS placement scheduler at scale and of Fargate
// mode. TestMain brings up its own kwok cluster (a real etcd, kube-apiserver,
// controller-manager and scheduler; kwok plays the kubelet of 30 simulated EC2 nodes in three
// zones and of two nodes in each Fargate capacity pool), installs the CRDs and the admission
// policies, and runs the manager as a process; the tests then place hundreds of tasks with
// each ECS strategy and measure where they landed, interrupt Fargate Spot capacity, and run
// Fargate tasks as an impersonated tenant. Everything started
// here is stopped by PID when the tests end, also when they fail or are interrupted.
//
// Run it with make test-kwok (hack/kwok-test.sh), or
//
//	go test -tags kwok ./test/kwok/ -v -count=1 -timeout 20m
//
// State and logs stay under .local/kwok-test: the manager's log, kwokctl's output and the
// control plane's logs of the last run.
package kwok

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/kube-ecs/kube-ecs/internal/kwokharness"
)

// clusterName is the kwok cluster of this test; make dev's is kube-ecs-dev, and each keeps
// its own KWOK_WORKDIR, so both can run at once.
const clusterName = "kube-ecs-placement"

// setupTimeout bounds each step of bringing the environment up.
const setupTimeout = kwokharness.SetupTimeout

var (
	root = kwokharness.RepoRoot()
	// work holds everything this test writes.
	work = filepath.Join(root, ".local", "kwok-test")
	// k8s is the client the tests use.
	k8s client.Client
	// env is the running environment, for kubectl.
	env *kwokharness.Harness
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	// The clients log nothing the test needs (the manager's log is in manager.log).
	ctrllog.SetLogger(logr.Discard())
	h := kwokharness.New(kwokharness.Options{
		Root: root, Work: work, ClusterName: clusterName, Prefix: "kwok", FieldManager: "kube-ecs-kwok-test",
	})
	env = h
	// An interrupted run stops what it started before it exits.
	h.StopOnSignals()
	defer h.Teardown()

	start := time.Now()
	if err := setup(h); err != nil {
		fmt.Fprintf(os.Stderr, "kwok: setup FAILED: %v\n", err)
		h.ShowLogTails()
		return 1
	}
	fmt.Printf("kwok: environment ready in %s (logs: %s)\n", since(start), h.Logs)
	code := m.Run()
	if code != 0 {
		h.ShowLogTails()
	}
	return code
}

// setup builds the tools, creates the cluster and the simulated fleet, installs the API and
// starts the manager.
func setup(h *kwokharness.Harness) error {
	if err := h.BuildTools(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := h.CreateCluster(ctx); err != nil {
		return err
	}
	k8s = h.Client

	step := time.Now()
	if err := createFleet(ctx, h); err != nil {
		return err
	}
	fmt.Printf("kwok: %d simulated nodes Ready in %s\n", len(fleet)+len(fargateFleet), since(step))

	step = time.Now()
	if err := h.InstallAPI(ctx); err != nil {
		return err
	}
	fmt.Printf("kwok: CRDs and admission policies installed in %s\n", since(step))

	step = time.Now()
	if err := h.StartManager(ctx, "--spot-interruption-warning="+spotWarning.String()); err != nil {
		return err
	}
	fmt.Printf("kwok: manager (pid %d) healthy in %s\n", h.ManagerProcessID(), since(step))
	return nil
}

// kubectl runs the kubectl hack/tools.sh built against the test cluster.
func kubectl(args ...string) (string, error) { return env.Kubectl(args...) }

func since(t time.Time) time.Duration { return kwokharness.Since(t) }
