package kwokharness

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
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kube-ecs/kube-ecs/internal/scheme"
)

// SetupTimeout bounds each step of bringing the environment up.
const SetupTimeout = 2 * time.Minute

// Tools are the binaries hack/tools.sh builds (once) for the cluster.
var Tools = []string{"kube-apiserver", "etcd", "kube-controller-manager", "kube-scheduler", "kwok", "kwokctl", "kubectl", "helm"}

// Options say where a harness keeps its state and how it names things.
type Options struct {
	// Root is the repository (default: found from this file's path).
	Root string
	// Work holds everything the harness writes: the kwok workdir, kubeconfig, logs, the
	// manager's binary, log and PID file.
	Work string
	// ClusterName is the kwok cluster's; each user keeps its own, so that several can run.
	ClusterName string
	// Prefix starts every line the harness prints ("kwok").
	Prefix string
	// FieldManager applies the CRDs and the admission policies.
	FieldManager string
	// QPS and Burst of the client (default 200 and 400; a negative QPS turns off the
	// client-side rate limit).
	QPS   float32
	Burst int
}

// Harness is a kwok cluster and the manager process.
type Harness struct {
	Options
	Bin         string // the repository's bin/, where hack/tools.sh caches the tools
	KwokWorkdir string
	ClusterDir  string
	Kubeconfig  string
	Logs        string
	ManagerBin  string
	ManagerLog  string
	ManagerPID  string // file holding the manager's PID, for a script's safety net
	// ManagerMetrics is the running manager's Prometheus endpoint (http://127.0.0.1:<port>/metrics).
	ManagerMetrics string

	// Config and Client reach the cluster once CreateCluster returned.
	Config *rest.Config
	Client client.Client

	manager     *exec.Cmd
	managerDone chan struct{}
	created     bool
	stopOnce    sync.Once
	mu          sync.Mutex // guards atTeardown: a signal may tear down while a run registers
	atTeardown  []func()
}

// RepoRoot is the repository this package is compiled from.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// New describes a harness; nothing starts until BuildTools and CreateCluster.
func New(o Options) *Harness {
	if o.Root == "" {
		o.Root = RepoRoot()
	}
	if o.Prefix == "" {
		o.Prefix = "kwokharness"
	}
	if o.FieldManager == "" {
		o.FieldManager = "kube-ecs-" + o.ClusterName
	}
	if o.QPS == 0 {
		o.QPS, o.Burst = 200, 400
	}
	h := &Harness{
		Options:     o,
		Bin:         filepath.Join(o.Root, "bin"),
		KwokWorkdir: filepath.Join(o.Work, "kwok"),
		Kubeconfig:  filepath.Join(o.Work, "kubeconfig"),
		Logs:        filepath.Join(o.Work, "logs"),
		ManagerBin:  filepath.Join(o.Work, "bin", "manager"),
		ManagerLog:  filepath.Join(o.Work, "manager.log"),
		ManagerPID:  filepath.Join(o.Work, "manager.pid"),
	}
	h.ClusterDir = filepath.Join(h.KwokWorkdir, "clusters", o.ClusterName)
	return h
}

// Printf prints one progress line, prefixed.
func (h *Harness) Printf(format string, args ...any) {
	fmt.Printf(h.Prefix+": "+format+"\n", args...)
}

func (h *Harness) warnf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, h.Prefix+": "+format+"\n", args...)
}

// StopOnSignals makes an interrupted run stop what it started before it exits (status 2).
func (h *Harness) StopOnSignals() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-sig
		h.warnf("%v: stopping the manager and the cluster", s)
		h.Teardown()
		os.Exit(2)
	}()
}

// ToolEnv is the environment of kwokctl and kubectl: every file they write stays under Work.
func (h *Harness) ToolEnv() []string {
	return append(os.Environ(),
		"KWOK_WORKDIR="+h.KwokWorkdir,
		"KWOK_KUBECTL_BINARY="+filepath.Join(h.Bin, "kubectl"),
		"KUBECACHEDIR="+filepath.Join(h.Work, "kube-cache"),
	)
}

// command runs name with args, its output in the log file logName (under Logs).
func (h *Harness) command(ctx context.Context, logName, name string, args ...string) error {
	f, err := os.Create(filepath.Join(h.Logs, logName))
	if err != nil {
		return err
	}
	defer f.Close()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = h.Root, h.ToolEnv(), f, f
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w (output: %s)", filepath.Base(name), strings.Join(args, " "), err, f.Name())
	}
	return nil
}

// BuildTools builds the cluster's tools with hack/tools.sh: nothing to do when they are
// cached in bin/; a first build from source takes many minutes, hence no deadline.
func (h *Harness) BuildTools() error {
	for _, d := range []string{h.Logs, filepath.Dir(h.ManagerBin)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	step := time.Now()
	if err := h.command(context.Background(), "tools.log", filepath.Join(h.Root, "hack", "tools.sh"), Tools...); err != nil {
		return fmt.Errorf("building the cluster tools: %w", err)
	}
	h.Printf("tools ready in %s", Since(step))
	return nil
}

// CreateCluster deletes a cluster an interrupted run left, creates a fresh one while the
// manager builds, and connects Config and Client to it.
func (h *Harness) CreateCluster(ctx context.Context) error {
	h.deleteCluster()

	step := time.Now()
	built := make(chan error, 1)
	go func() {
		built <- h.command(ctx, "manager-build.log", "go", "build", "-o", h.ManagerBin, "./cmd/manager")
	}()
	if err := h.createCluster(ctx); err != nil {
		<-built
		return err
	}
	h.Printf("cluster %s created in %s", h.ClusterName, Since(step))
	if err := <-built; err != nil {
		return fmt.Errorf("building the manager: %w", err)
	}

	cfg, err := clientcmd.BuildConfigFromFlags("", h.Kubeconfig)
	if err != nil {
		return fmt.Errorf("reading %s: %w", h.Kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = h.QPS, h.Burst
	h.Config = cfg
	if h.Client, err = client.New(cfg, client.Options{Scheme: scheme.New()}); err != nil {
		return err
	}
	return nil
}

func (h *Harness) createCluster(ctx context.Context) error {
	b := func(name string) string { return filepath.Join(h.Bin, name) }
	h.created = true // from here on, teardown deletes whatever kwokctl left
	err := h.command(ctx, "kwokctl-create.log", b("kwokctl"), "create", "cluster",
		"--name", h.ClusterName,
		"--config", filepath.Join(h.Root, "hack", "kwok", "kwokctl.yaml"),
		"--config", filepath.Join(h.Root, "hack", "kwok", "stages.yaml"),
		"--runtime", "binary",
		"--kubeconfig", h.Kubeconfig,
		"--kube-apiserver-binary", b("kube-apiserver"),
		"--kube-controller-manager-binary", b("kube-controller-manager"),
		"--kube-scheduler-binary", b("kube-scheduler"),
		"--etcd-binary", b("etcd"),
		"--kwok-controller-binary", b("kwok"),
		"--wait", SetupTimeout.String(),
	)
	if err != nil {
		return fmt.Errorf("creating the kwok cluster: %w", err)
	}
	return nil
}

// CreateNodes creates the nodes (annotated for kwok, which keeps the status given) a few at
// a time and waits until kwok reports every one of them Ready.
func (h *Harness) CreateNodes(ctx context.Context, nodes []*corev1.Node) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan *corev1.Node)
	)
	for range 8 {
		wg.Go(func() {
			for n := range next {
				if err := h.Client.Create(ctx, n); err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("creating node %s: %w", n.Name, err)
					}
					mu.Unlock()
				}
			}
		})
	}
	for _, n := range nodes {
		next <- n
	}
	close(next)
	wg.Wait()
	if first != nil {
		return first
	}
	want := map[string]bool{}
	for _, n := range nodes {
		want[n.Name] = true
	}
	var ready int
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, SetupTimeout, true, func(ctx context.Context) (bool, error) {
		list := &corev1.NodeList{}
		if err := h.Client.List(ctx, list); err != nil {
			return false, nil
		}
		ready = 0
		for _, node := range list.Items {
			if !want[node.Name] {
				continue
			}
			for _, c := range node.Status.Conditions {
				if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
					ready++
				}
			}
		}
		return ready == len(want), nil
	})
	if err != nil {
		return fmt.Errorf("waiting for the simulated nodes: %d of %d Ready: %w", ready, len(want), err)
	}
	return nil
}

// InstallAPI installs the CRDs and the admission policies, as a user would.
func (h *Harness) InstallAPI(ctx context.Context) error {
	out, err := h.Kubectl("apply", "--server-side", "--force-conflicts", "--field-manager="+h.FieldManager, "-k", filepath.Join(h.Root, "config", "crd"), "-o", "name")
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
	if _, err := h.Kubectl(append([]string{"wait", "--for=condition=Established", "--timeout=" + SetupTimeout.String()}, crds...)...); err != nil {
		return fmt.Errorf("waiting for the CRDs: %w", err)
	}
	if _, err := h.Kubectl("apply", "--server-side", "--force-conflicts", "--field-manager="+h.FieldManager, "-k", filepath.Join(h.Root, "config", "admission")); err != nil {
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

// StartManager runs the manager built by CreateCluster against the cluster, without an
// agent (a Ready node is a connected instance) or leader election, its endpoints on
// loopback, with args appended, and waits until it is ready.
func (h *Harness) StartManager(ctx context.Context, args ...string) error {
	health, err := freePort()
	if err != nil {
		return err
	}
	metrics, err := freePort()
	if err != nil {
		return err
	}
	log, err := os.Create(h.ManagerLog)
	if err != nil {
		return err
	}
	cmd := exec.Command(h.ManagerBin, append([]string{
		"--kubeconfig", h.Kubeconfig,
		"--require-agent=false", // no agent runs on kwok: a Ready node is a connected instance
		"--leader-elect=false",
		"--metrics-bind-address=127.0.0.1:" + strconv.Itoa(metrics),
		"--health-probe-bind-address=127.0.0.1:" + strconv.Itoa(health),
	}, args...)...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = h.Root, log, log
	// Should this process die without running its teardown (go test -timeout), the
	// manager gets SIGTERM; a script can also stop it by the PID file.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("starting the manager: %w", err)
	}
	h.manager, h.managerDone = cmd, make(chan struct{})
	h.ManagerMetrics = fmt.Sprintf("http://127.0.0.1:%d/metrics", metrics)
	go func() {
		_ = cmd.Wait()
		log.Close()
		close(h.managerDone)
	}()
	if err := os.WriteFile(h.ManagerPID, []byte(strconv.Itoa(cmd.Process.Pid)), 0o644); err != nil {
		return err
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/readyz", health)
	deadline := time.Now().Add(SetupTimeout)
	for {
		select {
		case <-h.managerDone:
			return fmt.Errorf("the manager exited: %s (log %s)", cmd.ProcessState, h.ManagerLog)
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
			return fmt.Errorf("the manager's %s did not answer within %s (log %s)", url, SetupTimeout, h.ManagerLog)
		}
	}
}

// ManagerProcessID is the running manager's PID, 0 before StartManager.
func (h *Harness) ManagerProcessID() int {
	if h.manager == nil {
		return 0
	}
	return h.manager.Process.Pid
}

// ComponentProcessID is the PID of a control plane component kwokctl runs (for example
// kube-controller-manager), from kwokctl's PID file; 0 when it has none.
func (h *Harness) ComponentProcessID(name string) int {
	data, err := os.ReadFile(filepath.Join(h.ClusterDir, "pids", name+".pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	return pid
}

// AtTeardown registers f to run first when Teardown runs (at the end of a run, or on a
// signal): something the caller started next to the cluster that must stop with it.
func (h *Harness) AtTeardown(f func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.atTeardown = append(h.atTeardown, f)
}

// Teardown stops the manager and deletes the cluster; it runs once, whatever called it.
func (h *Harness) Teardown() {
	h.stopOnce.Do(func() {
		h.mu.Lock()
		first := h.atTeardown
		h.mu.Unlock()
		for _, f := range first {
			f()
		}
		start := time.Now()
		h.stopManager()
		if h.created {
			h.deleteCluster()
		}
		h.Printf("manager stopped and cluster %s deleted in %s", h.ClusterName, Since(start))
	})
}

func (h *Harness) stopManager() {
	if h.manager == nil {
		return
	}
	pid := h.manager.Process.Pid
	_ = h.manager.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.managerDone:
	case <-time.After(10 * time.Second):
		h.warnf("the manager (pid %d) ignored SIGTERM for 10s; killing it", pid)
		_ = h.manager.Process.Kill()
		<-h.managerDone
	}
	_ = os.Remove(h.ManagerPID)
}

// deleteCluster deletes the kwok cluster with kwokctl, keeping the control plane's logs,
// then stops by PID any component kwokctl recorded that is still running.
func (h *Harness) deleteCluster() {
	if _, err := os.Stat(h.ClusterDir); err != nil {
		return
	}
	pids := recordedPIDs(h.ClusterDir)
	if entries, err := os.ReadDir(filepath.Join(h.ClusterDir, "logs")); err == nil {
		for _, e := range entries {
			if data, err := os.ReadFile(filepath.Join(h.ClusterDir, "logs", e.Name())); err == nil {
				_ = os.WriteFile(filepath.Join(h.Logs, e.Name()), data, 0o644)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := h.command(ctx, "kwokctl-delete.log", filepath.Join(h.Bin, "kwokctl"), "delete", "cluster", "--name", h.ClusterName, "--kubeconfig", h.Kubeconfig); err != nil {
		h.warnf("%v", err)
	}
	for name, pid := range pids {
		if cmdline, ok := processCmdline(pid); ok && strings.Contains(cmdline, h.ClusterDir) {
			h.warnf("%s (pid %d) survived kwokctl delete; stopping it", name, pid)
			stopPID(pid)
		}
	}
	_ = os.RemoveAll(h.ClusterDir)
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

// ShowLogTails prints the end of the manager's log, where a problem shows first.
func (h *Harness) ShowLogTails() {
	data, err := os.ReadFile(h.ManagerLog)
	if err != nil {
		return
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	fmt.Fprintf(os.Stderr, "--- last lines of %s ---\n%s\n---\n", h.ManagerLog, strings.Join(lines[max(0, len(lines)-30):], "\n"))
}

// Kubectl runs the kubectl hack/tools.sh built against the cluster.
func (h *Harness) Kubectl(args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(h.Bin, "kubectl"), append([]string{"--kubeconfig", h.Kubeconfig}, args...)...)
	cmd.Env = h.ToolEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// Since is the time since t, rounded for humans.
func Since(t time.Time) time.Duration { return time.Since(t).Round(100 * time.Millisecond) }
