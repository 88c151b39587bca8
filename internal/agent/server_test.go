package agent_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/agent"
	"github.com/kube-ecs/kube-ecs/internal/arn"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ with the responses")

// now is the fake clock's time in every test.
var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func at(secondsBefore int) metav1.Time {
	return metav1.NewTime(now.Add(-time.Duration(secondsBefore) * time.Second))
}

func cpuMem(cpu, mem string) corev1.ResourceList {
	l := corev1.ResourceList{}
	if cpu != "" {
		l[corev1.ResourceCPU] = resource.MustParse(cpu)
	}
	if mem != "" {
		l[corev1.ResourceMemory] = resource.MustParse(mem)
	}
	return l
}

func node() *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: "node-a", CreationTimestamp: at(3600),
			Labels: map[string]string{ecsv1alpha1.NodeLabelZone: "us-east-1b"},
		},
		Status: corev1.NodeStatus{Capacity: cpuMem("4", "8Gi")},
	}
}

// standalonePod is the pod of a RunTask task on EC2: two containers, one renamed (ECS name
// Web_App), an envoy sidecar, task-level cpu and memory, bridge-like pod networking.
func standalonePod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: "web-task", Namespace: "team-a", UID: "6f1c2a8e-4b1d-4c55-9a43-1d2e3f405060",
			Labels: map[string]string{
				ecsv1alpha1.ClusterLabel: "default", ecsv1alpha1.FamilyLabel: "web", ecsv1alpha1.RevisionLabel: "3",
				ecsv1alpha1.LaunchTypeLabel: "EC2", ecsv1alpha1.TaskLabel: "web-task",
			},
			Annotations: map[string]string{
				ecsv1alpha1.EssentialContainersAnnotation: "web-app,envoy",
				ecsv1alpha1.ContainerNamesAnnotation:      "web-app=Web_App",
			},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "ecs.kube-ecs.io/v1alpha1", Kind: "Task", Name: "web-task",
				UID: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", Controller: ptr.To(true),
			}},
		},
		Spec: corev1.PodSpec{
			NodeName: "node-a",
			InitContainers: []corev1.Container{{
				Name: "envoy", Image: "envoyproxy/envoy:v1.31", RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways),
				Resources: corev1.ResourceRequirements{Requests: cpuMem("125m", "64Mi"), Limits: cpuMem("", "64Mi")},
			}},
			Containers: []corev1.Container{{
				Name: "web-app", Image: "nginx:1.27",
				Resources:      corev1.ResourceRequirements{Requests: cpuMem("250m", "256Mi"), Limits: cpuMem("", "512Mi")},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"/check"}}}},
			}},
			Resources: &corev1.ResourceRequirements{Requests: cpuMem("500m", ""), Limits: cpuMem("", "1Gi")},
		},
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning, PodIP: "10.244.1.7", PodIPs: []corev1.PodIP{{IP: "10.244.1.7"}, {IP: "fd00::7"}},
			Conditions: []corev1.PodCondition{
				{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: at(60)},
				{Type: corev1.PodReadyToStartContainers, Status: corev1.ConditionTrue, LastTransitionTime: at(58)},
				{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: at(40)},
			},
			InitContainerStatuses: []corev1.ContainerStatus{{
				Name: "envoy", ContainerID: "containerd://e0e0e0e0", ImageID: "docker.io/envoyproxy/envoy@sha256:bbbb",
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: at(55)}}, Started: ptr.To(true), Ready: true,
			}},
			ContainerStatuses: []corev1.ContainerStatus{{
				Name: "web-app", ContainerID: "containerd://a1a1a1a1", ImageID: "docker.io/library/nginx@sha256:aaaa",
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: at(50)}}, Started: ptr.To(true), Ready: true,
			}},
		},
	}
}

// servicePod is the pod of a service's task whose worker exited 3 after running, while its
// essential container still runs; no task-level resources, host networking.
func servicePod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: "api-7c9d-x2x", Namespace: "team-b", UID: "9d8c7b6a-5f4e-4d3c-8b2a-190817161514",
			Labels: map[string]string{
				ecsv1alpha1.ClusterLabel: "prod", ecsv1alpha1.FamilyLabel: "api", ecsv1alpha1.RevisionLabel: "12",
				ecsv1alpha1.LaunchTypeLabel: "EC2", ecsv1alpha1.ServiceLabel: "api",
			},
			Annotations: map[string]string{ecsv1alpha1.EssentialContainersAnnotation: "api"},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "api-7c9d", UID: "11111111-2222-4333-8444-555555555555", Controller: ptr.To(true),
			}},
		},
		Spec: corev1.PodSpec{
			NodeName: "node-a", HostNetwork: true,
			Containers: []corev1.Container{
				{Name: "api", Image: "registry.example.com/api:2", Resources: corev1.ResourceRequirements{Requests: cpuMem("1", ""), Limits: cpuMem("", "1Gi")}},
				{Name: "worker", Image: "registry.example.com/worker:2"},
			},
		},
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning, PodIP: "192.168.0.10",
			Conditions: []corev1.PodCondition{
				{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: at(300)},
				{Type: corev1.PodReadyToStartContainers, Status: corev1.ConditionTrue, LastTransitionTime: at(299)},
			},
			ContainerStatuses: []corev1.ContainerStatus{
				{
					Name: "api", ContainerID: "containerd://c2c2c2c2", ImageID: "sha256:cccc",
					State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: at(290)}}, Started: ptr.To(true), Ready: true,
				},
				{
					Name: "worker", ContainerID: "containerd://d3d3d3d3", ImageID: "registry.example.com/worker@sha256:dddd",
					State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 3, Reason: "Error", StartedAt: at(290), FinishedAt: at(100)}},
				},
			},
		},
	}
}

// notATaskPod is a pod of the node that kube-ecs did not make.
func notATaskPod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "coredns", Namespace: "kube-system", UID: "00000000-0000-4000-8000-000000000001"},
		Spec:       corev1.PodSpec{NodeName: "node-a", Containers: []corev1.Container{{Name: "coredns", Image: "coredns"}}},
	}
}

func u64(v uint64) *uint64 { return &v }

// summaries are two stats summaries of the node, 10 s apart, as the kubelet reports them.
func summaries() []*agent.Summary {
	mk := func(secondsBefore int, webCPU, envoyCPU, rx, tx uint64) *agent.Summary {
		t := at(secondsBefore)
		return &agent.Summary{Pods: []agent.PodSummary{
			{
				PodRef: agent.PodReference{Name: "web-task", Namespace: "team-a", UID: "6f1c2a8e-4b1d-4c55-9a43-1d2e3f405060"},
				Containers: []agent.ContainerSummary{
					{
						Name:   "web-app",
						CPU:    &agent.CPUSummary{Time: t, UsageCoreNanoSeconds: u64(webCPU)},
						Memory: &agent.MemorySummary{Time: t, UsageBytes: u64(100 << 20), WorkingSetBytes: u64(80 << 20), RSSBytes: u64(60 << 20)},
					},
					{Name: "envoy", CPU: &agent.CPUSummary{Time: t, UsageCoreNanoSeconds: u64(envoyCPU)}},
				},
				Network: &agent.NetworkSummary{
					Time:             t,
					InterfaceSummary: agent.InterfaceSummary{Name: "eth0", RxBytes: u64(rx), TxBytes: u64(tx)},
					Interfaces:       []agent.InterfaceSummary{{Name: "eth0", RxBytes: u64(rx), RxErrors: u64(1), TxBytes: u64(tx), TxErrors: u64(0)}},
				},
			},
			{
				PodRef:     agent.PodReference{Name: "api-7c9d-x2x", Namespace: "team-b", UID: "9d8c7b6a-5f4e-4d3c-8b2a-190817161514"},
				Containers: []agent.ContainerSummary{{Name: "api", CPU: &agent.CPUSummary{Time: t, UsageCoreNanoSeconds: u64(webCPU * 2)}}},
			},
		}}
	}
	return []*agent.Summary{
		mk(10, 2_000_000_000, 500_000_000, 10_000, 5_000),
		mk(0, 2_500_000_000, 510_000_000, 30_000, 6_000),
	}
}

func newServer(pods []*corev1.Pod, samples *agent.Samples, statsErr error) *agent.Server {
	return &agent.Server{
		Pod: func(_ context.Context, uid string) (*corev1.Pod, error) {
			for _, p := range pods {
				if string(p.UID) == uid {
					return p, nil
				}
			}
			return nil, nil
		},
		Node:  func(context.Context) (*corev1.Node, error) { return node(), nil },
		Stats: func(context.Context) (*agent.Samples, error) { return samples, statsErr },
		Scope: arn.Scope{Region: "eu-west-1", Account: "123456789012"},
		Clock: clocktesting.NewFakePassiveClock(now),
		Log:   logr.Discard(),
	}
}

func TestMetadataEndpoint(t *testing.T) {
	samples := agent.NextSamples(agent.NextSamples(nil, summaries()[0]), summaries()[1])
	pods := []*corev1.Pod{standalonePod(), servicePod(), notATaskPod()}
	const task, svc = "/v4/6f1c2a8e-4b1d-4c55-9a43-1d2e3f405060", "/v4/9d8c7b6a-5f4e-4d3c-8b2a-190817161514"
	tests := []struct {
		name     string
		path     string
		statsErr error
		wantCode int
		golden   string // testdata/<golden>.json
	}{
		{name: "standalone task: container", path: task + "/web-app", wantCode: 200, golden: "standalone-container"},
		{name: "standalone task: task", path: task + "/web-app/task", wantCode: 200, golden: "standalone-task"},
		{name: "standalone task: the same task from its sidecar", path: task + "/envoy/task", wantCode: 200, golden: "standalone-task"},
		{name: "standalone task: container stats", path: task + "/web-app/stats", wantCode: 200, golden: "standalone-container-stats"},
		{name: "standalone task: task stats", path: task + "/envoy/task/stats", wantCode: 200, golden: "standalone-task-stats"},
		{name: "service task: container", path: svc + "/api", wantCode: 200, golden: "service-container"},
		{name: "service task: stopped container", path: svc + "/worker", wantCode: 200, golden: "service-stopped-container"},
		{name: "service task: task", path: svc + "/api/task", wantCode: 200, golden: "service-task"},
		{name: "service task: task stats", path: svc + "/api/task/stats", wantCode: 200, golden: "service-task-stats"},
		{name: "unknown pod", path: "/v4/00000000-0000-4000-8000-00000000dead/web-app", wantCode: 404, golden: "error-unknown-pod"},
		{name: "unknown container", path: task + "/db/task", wantCode: 404, golden: "error-unknown-container"},
		{name: "a pod that is not a task", path: "/v4/00000000-0000-4000-8000-000000000001/coredns", wantCode: 404, golden: "error-not-a-task"},
		{name: "a container without stats", path: svc + "/worker/stats", wantCode: 404, golden: "error-no-stats"},
		{name: "stats unavailable", path: task + "/web-app/stats", statsErr: errors.New("forbidden"), wantCode: 500, golden: "error-stats-unavailable"},
		{name: "no such document", path: task + "/web-app/taskWithTags", wantCode: 404, golden: "error-no-such-document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(newServer(pods, samples, tt.statsErr).Handler())
			defer srv.Close()
			resp, err := http.Get(srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantCode {
				t.Errorf("GET %s = %d, want %d: %s", tt.path, resp.StatusCode, tt.wantCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			compareGolden(t, tt.golden, body)
		})
	}
}

// compareGolden compares a JSON body with testdata/<name>.json (rewritten with -update).
func compareGolden(t *testing.T, name string, body []byte) {
	t.Helper()
	file := filepath.Join("testdata", name+".json")
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, body, "", "  "); err != nil {
		t.Fatalf("the body is not JSON: %v\n%s", err, body)
	}
	pretty.WriteString("\n")
	if *update {
		if err := os.WriteFile(file, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/agent -update to write it)", err)
	}
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	_ = json.Unmarshal(body, &g)
	if diff := cmp.Diff(w, g); diff != "" {
		t.Errorf("response differs from %s (-want +got):\n%s", file, diff)
	}
}

func TestTaskID(t *testing.T) {
	if got, want := agent.TaskID(standalonePod()), "0a1b2c3d4e5f4a6b8c7d9e0f1a2b3c4d"; got != want {
		t.Errorf("TaskID(standalone) = %s, want the Task's UID %s", got, want)
	}
	if got, want := agent.TaskID(servicePod()), "9d8c7b6a5f4e4d3c8b2a190817161514"; got != want {
		t.Errorf("TaskID(service) = %s, want the pod's UID %s", got, want)
	}
	other := standalonePod()
	other.OwnerReferences[0].APIVersion = "example.com/v1"
	if got := agent.TaskID(other); got != "6f1c2a8e4b1d4c559a431d2e3f405060" {
		t.Errorf("a Task of another group is not an ECS task: TaskID = %s", got)
	}
}

func TestNextSamples(t *testing.T) {
	s := summaries()
	first := agent.NextSamples(nil, s[0])
	// The same summary again (the kubelet did not measure since) keeps no previous reading.
	again := agent.NextSamples(first, s[0])
	task, _ := agent.NewTask(standalonePod(), node(), arn.Scope{Region: "us-east-1", Account: "000000000000"}, now)
	if st := task.Stats("web-app", again, node()); st == nil || !st.PreRead.IsZero() {
		t.Fatalf("stats after one reading: %+v, want no preread", st)
	}
	second := agent.NextSamples(again, s[1])
	st := task.Stats("web-app", second, node())
	if st == nil || !st.PreRead.Equal(at(10).Time) || !st.Read.Equal(now) {
		t.Fatalf("stats after two readings: %+v, want read now and preread 10 s before", st)
	}
	if got := st.CPUStats.CPUUsage.TotalUsage - st.PreCPUStats.CPUUsage.TotalUsage; got != 500_000_000 {
		t.Errorf("cpu delta %d, want 0.5 s", got)
	}
	if got := st.CPUStats.SystemCPUUsage - st.PreCPUStats.SystemCPUUsage; got != 4*10_000_000_000 {
		t.Errorf("system cpu delta %d, want 10 s x 4 cpus", got)
	}
	// A restarted container's counter starts again: the previous reading is not used.
	restarted := *s[1]
	restarted.Pods = append([]agent.PodSummary(nil), s[1].Pods...)
	restarted.Pods[0].Containers = []agent.ContainerSummary{{Name: "web-app", CPU: &agent.CPUSummary{Time: metav1.NewTime(now.Add(time.Second)), UsageCoreNanoSeconds: u64(1)}}}
	if st := task.Stats("web-app", agent.NextSamples(second, &restarted), node()); st == nil || !st.PreRead.IsZero() {
		t.Errorf("stats after a restart: %+v, want no preread", st)
	}
	// A pod the summary no longer lists is dropped.
	if st := task.Stats("web-app", agent.NextSamples(second, &agent.Summary{}), node()); st != nil {
		t.Errorf("stats of a pod gone from the summary: %+v", st)
	}
}

func TestStatsCache(t *testing.T) {
	clock := clocktesting.NewFakePassiveClock(now)
	fetches := 0
	c := &agent.StatsCache{
		Fetch: func(context.Context) (*agent.Summary, error) {
			fetches++
			if fetches == 3 {
				return nil, errors.New("kubelet unreachable")
			}
			return summaries()[min(fetches, 2)-1], nil
		},
		Clock: clock, MaxAge: 5 * time.Second,
	}
	ctx := context.Background()
	for i, step := range []struct {
		advance     time.Duration
		wantFetches int
		wantErr     bool
	}{
		{0, 1, false},
		{4 * time.Second, 1, false}, // served from the cache
		{time.Second, 2, false},     // 5 s old: read again
		{5 * time.Second, 3, true},  // the read fails
		{0, 4, false},               // and is tried again on the next request
	} {
		clock.SetTime(clock.Now().Add(step.advance))
		_, err := c.Get(ctx)
		if (err != nil) != step.wantErr || fetches != step.wantFetches {
			t.Errorf("step %d: err %v, %d fetches; want error %t, %d fetches", i, err, fetches, step.wantErr, step.wantFetches)
		}
	}
}

// TestContainerARNIsStable checks the container ARN depends only on the pod and container.
func TestContainerARNIsStable(t *testing.T) {
	scope := arn.Scope{Region: "us-east-1", Account: "000000000000"}
	a, _ := agent.NewTask(standalonePod(), nil, scope, now)
	later := standalonePod()
	later.Status.ContainerStatuses[0].RestartCount = 2
	b, _ := agent.NewTask(later, nil, scope, now.Add(time.Hour))
	ca, _ := a.Container("web-app")
	cb, _ := b.Container("web-app")
	ce, _ := a.Container("envoy")
	if ca.ContainerARN != cb.ContainerARN || ca.ContainerARN == ce.ContainerARN {
		t.Errorf("container ARNs %s, %s (later), %s (envoy)", ca.ContainerARN, cb.ContainerARN, ce.ContainerARN)
	}
	other := standalonePod()
	other.UID = types.UID("ffffffff-4b1d-4c55-9a43-1d2e3f405060")
	c, _ := agent.NewTask(other, nil, scope, now)
	if cc, _ := c.Container("web-app"); cc.ContainerARN == ca.ContainerARN {
		t.Errorf("two pods share the container ARN %s", ca.ContainerARN)
	}
}
