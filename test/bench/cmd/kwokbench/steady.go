package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// The memory figure's small family: 16 MiB reserved, no CPU, so that its tasks all fit
// (110 pods a node is the limit) and nothing waits to be placed while the manager is idle.
const (
	tinyFamily  = "tiny"
	tinyMemMiB  = 16
	clockTicks  = 100 // USER_HZ, the unit of /proc/<pid>/stat's times on Linux
	mib         = 1 << 20
	perThousand = 1000
)

// metrics reads a Prometheus text endpoint and sums the samples of name whose labels
// contain every one of match (`key="value"` strings) and none of exclude.
func sumMetric(text []byte, name string, match, exclude []string) float64 {
	var sum float64
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) || len(line) == len(name) || (line[len(name)] != '{' && line[len(name)] != ' ') {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		labels := line[len(name):i]
		ok := true
		for _, m := range match {
			ok = ok && strings.Contains(labels, m)
		}
		for _, x := range exclude {
			ok = ok && !strings.Contains(labels, x)
		}
		if !ok {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			sum += v
		}
	}
	return sum
}

// componentMetrics reads the Prometheus endpoint of a control plane component kwokctl runs
// (kube-controller-manager): its secure port on loopback, from its command line, with a
// self-signed certificate and /metrics open to anonymous reads
// (--authorization-always-allow-paths).
func componentMetrics(ctx context.Context, pid int) ([]byte, error) {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return nil, err
	}
	port := ""
	for _, arg := range bytes.Split(cmdline, []byte{0}) {
		if v, ok := strings.CutPrefix(string(arg), "--secure-port="); ok {
			port = v
		}
	}
	if port == "" {
		return nil, fmt.Errorf("process %d has no --secure-port", pid)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://127.0.0.1:"+port+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // loopback, the component's self-signed serving certificate
	}}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reading the metrics of process %d: %w", pid, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("reading the metrics of process %d: %s", pid, resp.Status)
	}
	return io.ReadAll(resp.Body)
}

func (b *bench) managerMetrics(ctx context.Context) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.h.ManagerMetrics, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reading the manager's metrics: %w", err)
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

// apiWrites is the API server's count of mutating requests so far, from every client,
// without leases (node and leader heartbeats run at a fixed rate whatever the workload), by
// "<verb> <resource>[/<subresource>]".
func (b *bench) apiWrites(ctx context.Context) (writes, error) {
	cs, err := kubernetes.NewForConfig(b.h.Config)
	if err != nil {
		return nil, err
	}
	text, err := cs.Discovery().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the API server's metrics: %w", err)
	}
	w := writes{}
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if !strings.HasPrefix(l, "apiserver_request_total{") {
			continue
		}
		verb, resource, sub := label(l, "verb"), label(l, "resource"), label(l, "subresource")
		switch verb {
		case "POST", "PUT", "PATCH", "DELETE", "DELETECOLLECTION":
		default:
			continue
		}
		if resource == "leases" {
			continue
		}
		if sub != "" {
			resource += "/" + sub
		}
		v, _ := strconv.ParseFloat(l[strings.LastIndexByte(l, ' ')+1:], 64)
		w[verb+" "+resource] += v
	}
	return w, nil
}

// writes counts API writes by verb and resource.
type writes map[string]float64

func (w writes) total() float64 {
	var n float64
	for _, v := range w {
		n += v
	}
	return n
}

// since is what was written after before, per object of n, the largest first.
func (w writes) since(before writes, n int) string {
	type kv struct {
		k string
		v float64
	}
	var out []kv
	for k, v := range w {
		if d := v - before[k]; d > 0 {
			out = append(out, kv{k, d / float64(n)})
		}
	}
	slices.SortFunc(out, func(a, b kv) int { return cmp.Compare(b.v, a.v) })
	parts := make([]string, len(out))
	for i, e := range out {
		parts[i] = fmt.Sprintf("%s %.2f", e.k, e.v)
	}
	return strings.Join(parts, ", ")
}

// label is the value of a label of a Prometheus sample line.
func label(line, name string) string {
	_, rest, ok := strings.Cut(line, name+`="`)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, `"`)
	return v
}

// proc is a process's CPU time so far and its resident memory, from /proc.
type proc struct{ cpuSeconds, rssBytes float64 }

func readProc(pid int) (proc, error) {
	var p proc
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return p, err
	}
	// Fields after the command (which may hold spaces) start at state: utime and stime are
	// the 14th and 15th fields of the line, the 12th and 13th after it.
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+2:]))
	if len(f) < 13 {
		return p, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	p.cpuSeconds = (utime + stime) / clockTicks
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return p, err
	}
	for _, l := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			p.rssBytes = kb * 1024
		}
	}
	return p, nil
}

// idleSample is one slice of the idle window.
type idleSample struct {
	reconciles             float64 // the manager's reconciles in the slice
	managerCPU, kcmCPU     float64 // percent of one core
	managerRSS, kcmRSS     float64 // bytes at the slice's end
	managerHeap, kcmHeap   float64 // bytes at the slice's end
	reconcilesByController map[string]float64
}

// scale is figures 4 (idle) and 5 (memory), once: the manager and kube-controller-manager
// are read with no objects, then m standalone tasks of the tiny family and 100 services of
// one task each are created and run; then nothing changes for the idle window, read in
// -idle-samples slices (each slice is a sample of the figures).
func (b *bench) scale(ctx context.Context, res *results, m, services int) error {
	kcm := b.h.ComponentProcessID("kube-controller-manager")
	if kcm == 0 {
		return fmt.Errorf("no PID file for kube-controller-manager under %s", b.h.ClusterDir)
	}
	mgr := b.h.ManagerProcessID()
	emptyMgr, err := readProc(mgr)
	if err != nil {
		return err
	}
	emptyKCM, err := readProc(kcm)
	if err != nil {
		return err
	}
	ns, err := b.ecsNamespace(ctx, "ecs-scale")
	if err != nil {
		return err
	}
	td := taskDefinition(ns, tinyFamily, func(c *ecsv1alpha1.ContainerDefinition) { c.MemoryReservation = ptr(int32(tinyMemMiB)) })
	if err := b.c.Create(ctx, td); err != nil {
		return err
	}
	if err := poll(ctx, time.Minute, func() (bool, error) {
		got := &ecsv1alpha1.TaskDefinition{}
		err := b.c.Get(ctx, client.ObjectKeyFromObject(td), got)
		return err == nil && got.Status.LatestActiveRevision > 0, err
	}); err != nil {
		return fmt.Errorf("waiting for revision 1 of %s: %w", tinyFamily, err)
	}
	start := time.Now()
	objs := make([]client.Object, 0, m+services)
	for i := range services {
		objs = append(objs, &ecsv1alpha1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("svc-%03d", i), Namespace: ns},
			Spec: ecsv1alpha1.ServiceSpec{Cluster: ecsv1alpha1.DefaultClusterName, TaskDefinition: tinyFamily,
				DesiredCount: ptr(int32(1)), LaunchType: ecsv1alpha1.LaunchTypeEC2},
		})
	}
	for i := range m {
		objs = append(objs, &ecsv1alpha1.Task{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("task-%05d", i), Namespace: ns},
			Spec:       ecsv1alpha1.TaskSpec{Cluster: ecsv1alpha1.DefaultClusterName, TaskDefinition: tinyFamily, LaunchType: ecsv1alpha1.LaunchTypeEC2},
		})
	}
	if err := b.createAll(ctx, objs); err != nil {
		return err
	}
	if _, err := b.waitCount(ctx, &ecsv1alpha1.TaskList{}, ns, m, func(o client.Object) bool {
		return o.(*ecsv1alpha1.Task).Status.LastStatus == ecsv1alpha1.TaskRunning
	}, b.o.timeout, fmt.Sprintf("%d tasks RUNNING", m)); err != nil {
		return err
	}
	if _, err := b.waitCount(ctx, &ecsv1alpha1.ServiceList{}, ns, services, func(o client.Object) bool {
		s := o.(*ecsv1alpha1.Service)
		return s.Status.RunningCount == 1 && len(s.Status.Deployments) == 1 && s.Status.Deployments[0].RolloutState == ecsv1alpha1.RolloutCompleted
	}, b.o.timeout, fmt.Sprintf("%d services steady", services)); err != nil {
		return err
	}
	b.printf("scale: %d tasks and %d services running in %s; settling %s, then idle for %s", m, services, time.Since(start).Round(time.Second),
		b.o.settle, b.o.idle)

	// Whatever a controller still has to do (a deployment's last status, requeues of the
	// launch) finishes before the window opens; a window with work in it would not be idle.
	time.Sleep(b.o.settle)
	var side *alongside
	if b.o.alongside != "" {
		if side, err = startAlongside(b.o.alongside, b.h.Root, filepath.Join(b.o.work, "alongside.log")); err != nil {
			return err
		}
		b.h.AtTeardown(side.stop)
		b.printf("running %q alongside the idle window (output: %s)", b.o.alongside, side.log)
	}
	samples, err := b.idleWindow(ctx, mgr, kcm)
	if err != nil {
		return err
	}
	if side != nil {
		b.printf("idle window over; waiting for the command alongside it")
		if err := side.wait(); err != nil {
			return fmt.Errorf("the command alongside the idle window: %w", err)
		}
		b.printf("the command alongside the idle window took %s", side.took.Round(time.Second))
	}
	objects := float64(m + services)
	tasks := float64(m + services) // a service's task is a pod the manager watches too
	for _, s := range samples {
		res.figure("idle-reconciles").add(sample{kubeECS: s.reconciles / objects, baseline: 0})
		res.figure("idle-cpu").add(sample{kubeECS: s.managerCPU, baseline: s.kcmCPU})
		res.figure("memory-rss").add(sample{kubeECS: s.managerRSS / mib, baseline: s.kcmRSS / mib})
		res.figure("memory-rss-per-1000").add(sample{
			kubeECS:  (s.managerRSS - emptyMgr.rssBytes) / mib / tasks * perThousand,
			baseline: (s.kcmRSS - emptyKCM.rssBytes) / mib / tasks * perThousand,
		})
		res.figure("memory-heap").add(sample{kubeECS: s.managerHeap / mib, baseline: s.kcmHeap / mib})
		b.printf("idle slice: %.0f reconciles (%v), manager CPU %.2f%%, kube-controller-manager CPU %.2f%%, manager RSS %.0f MiB heap %.0f MiB, kube-controller-manager RSS %.0f MiB heap %.0f MiB",
			s.reconciles, s.reconcilesByController, s.managerCPU, s.kcmCPU, s.managerRSS/mib, s.managerHeap/mib, s.kcmRSS/mib, s.kcmHeap/mib)
	}
	return nil // the last figure: the cluster goes with everything in it
}

// idleWindow reads the manager and kube-controller-manager over -idle, in -idle-samples
// slices.
func (b *bench) idleWindow(ctx context.Context, mgr, kcm int) ([]idleSample, error) {
	type reading struct {
		reconciles                map[string]float64
		mgr, kcm                  proc
		managerHeap, kcmHeapBytes float64
	}
	read := func() (reading, error) {
		text, err := b.managerMetrics(ctx)
		if err != nil {
			return reading{}, err
		}
		kcmText, err := componentMetrics(ctx, kcm)
		if err != nil {
			return reading{}, err
		}
		byController := map[string]float64{}
		sc := bufio.NewScanner(bytes.NewReader(text))
		for sc.Scan() {
			l := sc.Text()
			if !strings.HasPrefix(l, "controller_runtime_reconcile_total{") {
				continue
			}
			_, rest, _ := strings.Cut(l, `controller="`)
			name, _, _ := strings.Cut(rest, `"`)
			v, _ := strconv.ParseFloat(l[strings.LastIndexByte(l, ' ')+1:], 64)
			byController[name] += v
		}
		pm, err := readProc(mgr)
		if err != nil {
			return reading{}, err
		}
		pk, err := readProc(kcm)
		if err != nil {
			return reading{}, err
		}
		return reading{reconciles: byController, mgr: pm, kcm: pk,
			managerHeap:  sumMetric(text, "go_memstats_heap_alloc_bytes", nil, nil),
			kcmHeapBytes: sumMetric(kcmText, "go_memstats_heap_alloc_bytes", nil, nil)}, nil
	}
	slice := b.o.idle / time.Duration(b.o.idleSamples)
	prev, err := read()
	if err != nil {
		return nil, err
	}
	var out []idleSample
	for range b.o.idleSamples {
		t0 := time.Now()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(slice):
		}
		secs := time.Since(t0).Seconds()
		cur, err := read()
		if err != nil {
			return nil, err
		}
		s := idleSample{reconcilesByController: map[string]float64{},
			managerRSS: cur.mgr.rssBytes, kcmRSS: cur.kcm.rssBytes, managerHeap: cur.managerHeap, kcmHeap: cur.kcmHeapBytes,
			managerCPU: (cur.mgr.cpuSeconds - prev.mgr.cpuSeconds) / secs * 100, kcmCPU: (cur.kcm.cpuSeconds - prev.kcm.cpuSeconds) / secs * 100}
		for name, v := range cur.reconciles {
			if d := v - prev.reconciles[name]; d > 0 {
				s.reconcilesByController[name] = d
				s.reconciles += d
			}
		}
		out = append(out, s)
		prev = cur
	}
	return out, nil
}

func intOrPercent(v string) intstr.IntOrString { return intstr.Parse(v) }

// rollout is figure 6: a service of n tasks with maximumPercent 200 and minimumHealthyPercent
// 100 rolls to a new revision of its task definition, against a Deployment of n replicas
// with maxSurge 100% and maxUnavailable 0 rolling to a changed template; from the change to
// every new task RUNNING and every old one gone.
func (b *bench) rollout(ctx context.Context, n int) (sample, error) {
	var s sample
	ns, err := b.namespace(ctx, fmt.Sprintf("base-rollout-%d", n))
	if err != nil {
		return s, err
	}
	labels := map[string]string{"app": "worker"}
	surge, unavailable := intOrPercent("100%"), intOrPercent("0")
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "worker", Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(int32(n)),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavailable}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: basePod()},
		},
	}
	if err := b.c.Create(ctx, dep); err != nil {
		return s, err
	}
	deploymentDone := func(gen int64) func(client.Object) bool {
		return func(o client.Object) bool {
			d := o.(*appsv1.Deployment)
			st := d.Status
			return st.ObservedGeneration >= gen && st.UpdatedReplicas == int32(n) && st.Replicas == int32(n) && st.AvailableReplicas == int32(n)
		}
	}
	if _, err := b.waitCount(ctx, &appsv1.DeploymentList{}, ns, 1, deploymentDone(1), b.o.timeout, "the Deployment available"); err != nil {
		return s, err
	}
	start := time.Now()
	patch := client.RawPatch("application/strategic-merge-patch+json",
		[]byte(`{"spec":{"template":{"spec":{"containers":[{"name":"`+family+`","env":[{"name":"VERSION","value":"2"}]}]}}}}`))
	if err := b.c.Patch(ctx, dep, patch); err != nil {
		return s, err
	}
	end, err := b.waitCount(ctx, &appsv1.DeploymentList{}, ns, 1, deploymentDone(dep.Generation), b.o.timeout, "the Deployment rolled")
	if err != nil {
		return s, err
	}
	s.baseline = end.Sub(start).Seconds()
	if err := b.deleteNamespace(ctx, ns); err != nil {
		return s, err
	}

	if ns, err = b.ecsNamespace(ctx, fmt.Sprintf("ecs-rollout-%d", n)); err != nil {
		return s, err
	}
	svc := workerService(ns, n, &ecsv1alpha1.DeploymentConfiguration{MaximumPercent: ptr(int32(200)), MinimumHealthyPercent: ptr(int32(100))})
	if err := b.c.Create(ctx, svc); err != nil {
		return s, err
	}
	steadyOn := func(revision string) func(client.Object) bool {
		return func(o client.Object) bool {
			st := o.(*ecsv1alpha1.Service).Status
			return st.RunningCount == int32(n) && len(st.Deployments) == 1 && strings.HasSuffix(st.Deployments[0].TaskDefinition, ":"+revision) &&
				st.Deployments[0].RunningCount == int32(n)
		}
	}
	if _, err := b.waitCount(ctx, &ecsv1alpha1.ServiceList{}, ns, 1, steadyOn("1"), b.o.timeout, "the service steady"); err != nil {
		return s, err
	}
	td := &ecsv1alpha1.TaskDefinition{}
	if err := b.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: family}, td); err != nil {
		return s, err
	}
	start = time.Now()
	td.Spec.ContainerDefinitions[0].Environment = []ecsv1alpha1.KeyValuePair{{Name: "VERSION", Value: "2"}}
	if err := b.c.Update(ctx, td); err != nil {
		return s, err
	}
	end, err = b.waitCount(ctx, &ecsv1alpha1.ServiceList{}, ns, 1, steadyOn("2"), b.o.timeout, "the service rolled to revision 2")
	if err != nil {
		return s, err
	}
	s.kubeECS = end.Sub(start).Seconds()
	return s, b.deleteNamespace(ctx, ns)
}
