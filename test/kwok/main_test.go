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
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/kube-ecs/kube-ecs/internal/scheme"
)

// clusterName is the kwok cluster of this test; make dev's is kube-ecs-dev, and each keeps
// its own KWOK_WORKDIR, so both can run at once.
const clusterName = "kube-ecs-placement"

// setupTimeout bounds each step of bringing the environment up.
const setupTimeout = 2 * time.Minute

// tools are the binaries hack/tools.sh builds (once) for the cluster.
var tools = []string{"kube-apiserver", "etcd", "kube-controller-manager", "kube-scheduler", "kwok", "kwokctl", "kubectl", "helm"}

var (
	root = repoRoot()
	// work holds everything this test writes.
	work = filepath.Join(root, ".local", "kwok-test")
	// k8s is the client the tests use.
	k8s client.Client
	// env is the running environment, for kubectl.
	env *harness
)

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	// The clients log nothing the test needs (the manager's log is in manager.log).
	ctrllog.SetLogger(logr.Discard())
	h := newHarness()
	env = h
	// An interrupted run stops what it started before it exits.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-sig
		fmt.Fprintf(os.Stderr, "kwok: %v: stopping the manager and the cluster\n", s)
		h.teardown()
		os.Exit(2)
	}()
	defer h.teardown()

	start := time.Now()
	if err := h.setup(); err != nil {
		fmt.Fprintf(os.Stderr, "kwok: setup FAILED: %v\n", err)
		h.showLogTails()
		return 1
	}
	fmt.Printf("kwok: environment ready in %s (logs: %s)\n", since(start), h.logs)
	code := m.Run()
	if code != 0 {
		h.showLogTails()
	}
	return code
}

// harness is the kwok cluster and the manager process.
type harness struct {
	bin         string // the repository's bin/, where hack/tools.sh caches the tools
	kwokWorkdir string
	clusterDir  string
	kubeconfig  string
	logs        string
	managerBin  string
	managerLog  string
	managerPID  string // file holding the manager's PID, for hack/kwok-test.sh's safety net

	manager     *exec.Cmd
	managerDone chan struct{}
	created     bool
	stopOnce    sync.Once
}

func newHarness() *harness {
	h := &harness{
		bin:         filepath.Join(root, "bin"),
		kwokWorkdir: filepath.Join(work, "kwok"),
		kubeconfig:  filepath.Join(work, "kubeconfig"),
		logs:        filepath.Join(work, "logs"),
		managerBin:  filepath.Join(work, "bin", "manager"),
		managerLog:  filepath.Join(work, "manager.log"),
		managerPID:  filepath.Join(work, "manager.pid"),
	}
	h.clusterDir = filepath.Join(h.kwokWorkdir, "clusters", clusterName)
	return h
}

// toolEnv is the environment of kwokctl and kubectl: every file they write stays under work.
func (h *harness) toolEnv() []string {
	return append(os.Environ(),
		"KWOK_WORKDIR="+h.kwokWorkdir,
		"KWOK_KUBECTL_BINARY="+filepath.Join(h.bin, "kubectl"),
		"KUBECACHEDIR="+filepath.Join(work, "kube-cache"),
	)
}

// command runs name with args, its output in the log file logName (under h.logs).
func (h *harness) command(ctx context.Context, logName, name string, args ...string) error {
	f, err := os.Create(filepath.Join(h.logs, logName))
	if err != nil {
		return err
	}
	defer f.Close()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = root, h.toolEnv(), f, f
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w (output: %s)", filepath.Base(name), strings.Join(args, " "), err, f.Name())
	}
	return nil
}

func (h *harness) setup() error {
	for _, d := range []string{h.logs, filepath.Dir(h.managerBin)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	// Nothing to do when hack/kwok-test.sh built them already; a first build from source
	// takes many minutes, hence no deadline for this step.
	step := time.Now()
	if err := h.command(context.Background(), "tools.log", filepath.Join(root, "hack", "tools.sh"), tools...); err != nil {
		return fmt.Errorf("building the cluster tools: %w", err)
	}
	fmt.Printf("kwok: tools ready in %s\n", since(step))

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// A cluster left by an interrupted run is deleted first: the test wants a fresh one.
	h.deleteCluster()

	// The manager builds while the cluster starts.
	step = time.Now()
	built := make(chan error, 1)
	go func() {
		built <- h.command(ctx, "manager-build.log", "go", "build", "-o", h.managerBin, "./cmd/manager")
	}()
	if err := h.createCluster(ctx); err != nil {
		<-built
		return err
	}
	fmt.Printf("kwok: cluster %s created in %s\n", clusterName, since(step))
	if err := <-built; err != nil {
		return fmt.Errorf("building the manager: %w", err)
	}

	cfg, err := clientcmd.BuildConfigFromFlags("", h.kubeconfig)
	if err != nil {
		return fmt.Errorf("reading %s: %w", h.kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = 200, 400
	if k8s, err = client.New(cfg, client.Options{Scheme: scheme.New()}); err != nil {
		return err
	}

	step = time.Now()
	if err := createFleet(ctx); err != nil {
		return err
	}
	fmt.Printf("kwok: %d simulated nodes Ready in %s\n", len(fleet)+len(fargateFleet), since(step))

	step = time.Now()
	if err := h.installAPI(ctx); err != nil {
		return err
	}
	fmt.Printf("kwok: CRDs and admission policies installed in %s\n", since(step))

	step = time.Now()
	if err := h.startManager(ctx); err != nil {
		return err
	}
	fmt.Printf("kwok: manager (pid %d) healthy in %s\n", h.manager.Process.Pid, since(step))
	return nil
}

func (h *harness) createCluster(ctx context.Context) error {
	b := func(name string) string { return filepath.Join(h.bin, name) }
	h.created = true // from here on, teardown deletes whatever kwokctl left
	err := h.command(ctx, "kwokctl-create.log", b("kwokctl"), "create", "cluster",
		"--name", clusterName,
		"--config", filepath.Join(root, "hack", "kwok", "kwokctl.yaml"),
		"--config", filepath.Join(root, "hack", "kwok", "stages.yaml"),
		"--runtime", "binary",
		"--kubeconfig", h.kubeconfig,
		"--kube-apiserver-binary", b("kube-apiserver"),
		"--kube-controller-manager-binary", b("kube-controller-manager"),
		"--kube-scheduler-binary", b("kube-scheduler"),
		"--etcd-binary", b("etcd"),
		"--kwok-controller-binary", b("kwok"),
		"--wait", setupTimeout.String(),
	)
	if err != nil {
		return fmt.Errorf("creating the kwok cluster: %w", err)
	}
	return nil
}

// installAPI installs the CRDs and the admission policies, as a user would.
func (h *harness) installAPI(ctx context.Context) error {
	out, err := kubectl("apply", "--server-side", "--force-conflicts", "--field-manager=kube-ecs-kwok-test", "-k", filepath.Join(root, "config", "crd"), "-o", "name")
	if err != nil {
		return fmt.Errorf("installing the CRDs: %w", err)
	}
	var crds []string
	for _, l := range strings.Fields(out) {
		if strings.HasPrefix(l, "customresourcedefinition") {
			crds = append(crds, l)
		}
	}
	if len(crds) == 0 {
		return errors.New("config/crd holds no CustomResourceDefinition")
	}
	if _, err := kubectl(append([]string{"wait", "--for=condition=Established", "--timeout=" + setupTimeout.String()}, crds...)...); err != nil {
		return fmt.Errorf("waiting for the CRDs: %w", err)
	}
	if _, err := kubectl("apply", "--server-side", "--force-conflicts", "--field-manager=kube-ecs-kwok-test", "-k", filepath.Join(root, "config", "admission")); err != nil {
		return fmt.Errorf("installing the admission policies: %w", err)
	}
	return ctx.Err()
}

// freePort is a loopback port nothing listens on.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (h *harness) startManager(ctx context.Context) error {
	health, err := freePort()
	if err != nil {
		return err
	}
	metrics, err := freePort()
	if err != nil {
		return err
	}
	log, err := os.Create(h.managerLog)
	if err != nil {
		return err
	}
	cmd := exec.Command(h.managerBin,
		"--kubeconfig", h.kubeconfig,
		"--require-agent=false", // no agent runs on kwok: a Ready node is a connected instance
		"--spot-interruption-warning="+spotWarning.String(),
		"--leader-elect=false",
		"--metrics-bind-address=127.0.0.1:"+strconv.Itoa(metrics),
		"--health-probe-bind-address=127.0.0.1:"+strconv.Itoa(health),
	)
	cmd.Dir, cmd.Stdout, cmd.Stderr = root, log, log
	// Should this process die without running its teardown (go test -timeout), the
	// manager gets SIGTERM; hack/kwok-test.sh also stops it by the PID file.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("starting the manager: %w", err)
	}
	h.manager, h.managerDone = cmd, make(chan struct{})
	go func() {
		_ = cmd.Wait()
		log.Close()
		close(h.managerDone)
	}()
	if err := os.WriteFile(h.managerPID, []byte(strconv.Itoa(cmd.Process.Pid)), 0o644); err != nil {
		return err
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/readyz", health)
	deadline := time.Now().Add(setupTimeout)
	for {
		select {
		case <-h.managerDone:
			return fmt.Errorf("the manager exited: %s (log %s)", cmd.ProcessState, h.managerLog)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the manager's %s did not answer within %s (log %s)", url, setupTimeout, h.managerLog)
		}
	}
}

// teardown stops the manager and deletes the cluster; it runs once, whatever called it.
func (h *harness) teardown() {
	h.stopOnce.Do(func() {
		start := time.Now()
		h.stopManager()
		if h.created {
			h.deleteCluster()
		}
		fmt.Printf("kwok: manager stopped and cluster %s deleted in %s\n", clusterName, since(start))
	})
}

func (h *harness) stopManager() {
	if h.manager == nil {
		return
	}
	pid := h.manager.Process.Pid
	_ = h.manager.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.managerDone:
	case <-time.After(10 * time.Second):
		fmt.Fprintf(os.Stderr, "kwok: the manager (pid %d) ignored SIGTERM for 10s; killing it\n", pid)
		_ = h.manager.Process.Kill()
		<-h.managerDone
	}
	_ = os.Remove(h.managerPID)
}

// deleteCluster deletes the kwok cluster with kwokctl, keeping the control plane's logs,
// then stops by PID any component kwokctl recorded that is still running.
func (h *harness) deleteCluster() {
	if _, err := os.Stat(h.clusterDir); err != nil {
		return
	}
	pids := recordedPIDs(h.clusterDir)
	if entries, err := os.ReadDir(filepath.Join(h.clusterDir, "logs")); err == nil {
		for _, e := range entries {
			if data, err := os.ReadFile(filepath.Join(h.clusterDir, "logs", e.Name())); err == nil {
				_ = os.WriteFile(filepath.Join(h.logs, e.Name()), data, 0o644)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := h.command(ctx, "kwokctl-delete.log", filepath.Join(h.bin, "kwokctl"), "delete", "cluster", "--name", clusterName, "--kubeconfig", h.kubeconfig); err != nil {
		fmt.Fprintf(os.Stderr, "kwok: %v\n", err)
	}
	for name, pid := range pids {
		if cmdline, ok := processCmdline(pid); ok && strings.Contains(cmdline, h.clusterDir) {
			fmt.Fprintf(os.Stderr, "kwok: %s (pid %d) survived kwokctl delete; stopping it\n", name, pid)
			stopPID(pid)
		}
	}
	_ = os.RemoveAll(h.clusterDir)
}

// recordedPIDs are the PIDs kwokctl wrote for the cluster's components, by component.
func recordedPIDs(clusterDir string) map[string]int {
	out := map[string]int{}
	files, _ := filepath.Glob(filepath.Join(clusterDir, "pids", "*.pid"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if pid, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && pid > 1 {
			out[strings.TrimSuffix(filepath.Base(f), ".pid")] = pid
		}
	}
	return out
}

// processCmdline is the command line of a live (not zombie) process.
func processCmdline(pid int) (string, bool) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", false
	}
	if f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:])); len(f) > 0 && f[0] == "Z" {
		return "", false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return "", false
	}
	return strings.ReplaceAll(string(cmdline), "\x00", " "), true
}

// stopPID sends SIGTERM to one process, then SIGKILL after 10 seconds.
func stopPID(pid int) {
	_ = syscall.Kill(pid, syscall.SIGTERM)
	for i := 0; i < 100; i++ {
		if _, ok := processCmdline(pid); !ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
}

// showLogTails prints the end of the manager's log, where a scheduler problem shows first.
func (h *harness) showLogTails() {
	data, err := os.ReadFile(h.managerLog)
	if err != nil {
		return
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	fmt.Fprintf(os.Stderr, "--- last lines of %s ---\n%s\n---\n", h.managerLog, strings.Join(lines[max(0, len(lines)-30):], "\n"))
}

// kubectl runs the kubectl hack/tools.sh built against the test cluster.
func kubectl(args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(env.bin, "kubectl"), append([]string{"--kubeconfig", env.kubeconfig}, args...)...)
	cmd.Env = env.toolEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

func since(t time.Time) time.Duration { return time.Since(t).Round(100 * time.Millisecond) }
