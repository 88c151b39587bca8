package taskdef_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/taskdef"
)

func healthCheck(hc *ecsv1alpha1.HealthCheck) func(*ecsv1alpha1.ContainerDefinition) {
	return func(c *ecsv1alpha1.ContainerDefinition) { c.HealthCheck = hc }
}

func execProbe(cmd []string, initialDelay, period, timeout, failures int32) *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler:        corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: cmd}},
		InitialDelaySeconds: initialDelay,
		PeriodSeconds:       period,
		TimeoutSeconds:      timeout,
		FailureThreshold:    failures,
		SuccessThreshold:    1,
	}
}

func TestHealthCheckProbes(t *testing.T) {
	tests := []struct {
		name string
		hc   *ecsv1alpha1.HealthCheck
		want *corev1.Probe
	}{
		{name: "no health check, no probe"},
		{name: "NONE, no probe", hc: &ecsv1alpha1.HealthCheck{Command: []string{"NONE"}}},
		{name: "CMD runs the rest as is, with ECS's defaults",
			hc:   &ecsv1alpha1.HealthCheck{Command: []string{"CMD", "redis-cli", "ping"}},
			want: execProbe([]string{"redis-cli", "ping"}, 0, 30, 5, 3)},
		{name: "CMD-SHELL runs a shell",
			hc:   &ecsv1alpha1.HealthCheck{Command: []string{"CMD-SHELL", "curl -f http://localhost/ || exit 1"}},
			want: execProbe([]string{"/bin/sh", "-c", "curl -f http://localhost/ || exit 1"}, 0, 30, 5, 3)},
		{name: "CMD-SHELL joins several words with spaces",
			hc:   &ecsv1alpha1.HealthCheck{Command: []string{"CMD-SHELL", "test", "-f", "/ready"}},
			want: execProbe([]string{"/bin/sh", "-c", "test -f /ready"}, 0, 30, 5, 3)},
		{name: "custom interval, timeout, retries and start period",
			hc: &ecsv1alpha1.HealthCheck{Command: []string{"CMD", "check"},
				Interval: ptr.To[int32](10), Timeout: ptr.To[int32](2), Retries: ptr.To[int32](5), StartPeriod: ptr.To[int32](60)},
			want: execProbe([]string{"check"}, 60, 10, 2, 5)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustBuild(t, taskdef.Input{Spec: spec("", ctr("web", healthCheck(tt.hc)))})
			c := container(t, res, "web")
			if diff := cmp.Diff(tt.want, c.ReadinessProbe); diff != "" {
				t.Errorf("readiness probe (-want +got):\n%s", diff)
			}
			if c.LivenessProbe != nil || c.StartupProbe != nil {
				t.Errorf("liveness %v, startup %v: want neither (ECS never restarts an unhealthy container)", c.LivenessProbe, c.StartupProbe)
			}
		})
	}
}

// layout is where the containers went: init containers in order with their kind, then the
// regular containers.
type layout struct {
	Init    []string // "name:sidecar" or "name:init"
	Regular []string
}

func layoutOf(res taskdef.Result) layout {
	var l layout
	for _, c := range res.PodSpec.InitContainers {
		kind := "init"
		if ptr.Deref(c.RestartPolicy, "") == corev1.ContainerRestartPolicyAlways {
			kind = "sidecar"
		}
		l.Init = append(l.Init, c.Name+":"+kind)
	}
	for _, c := range res.PodSpec.Containers {
		l.Regular = append(l.Regular, c.Name)
	}
	return l
}

func TestDependsOnLayout(t *testing.T) {
	const (
		start    = ecsv1alpha1.ContainerConditionStart
		healthy  = ecsv1alpha1.ContainerConditionHealthy
		complete = ecsv1alpha1.ContainerConditionComplete
		success  = ecsv1alpha1.ContainerConditionSuccess
	)
	hc := healthCheck(&ecsv1alpha1.HealthCheck{Command: []string{"CMD", "ok"}})
	tests := []struct {
		name string
		defs []ecsv1alpha1.ContainerDefinition
		want layout
	}{
		{name: "no dependencies: all regular, in order",
			defs: []ecsv1alpha1.ContainerDefinition{ctr("b"), ctr("a")},
			want: layout{Regular: []string{"b", "a"}}},
		{name: "START makes a sidecar",
			defs: []ecsv1alpha1.ContainerDefinition{ctr("app", dependsOn("envoy", start)), ctr("envoy")},
			want: layout{Init: []string{"envoy:sidecar"}, Regular: []string{"app"}}},
		{name: "HEALTHY makes a sidecar",
			defs: []ecsv1alpha1.ContainerDefinition{ctr("app", dependsOn("db", healthy)), ctr("db", hc)},
			want: layout{Init: []string{"db:sidecar"}, Regular: []string{"app"}}},
		{name: "SUCCESS makes an init container",
			defs: []ecsv1alpha1.ContainerDefinition{ctr("app", dependsOn("migrate", success)), ctr("migrate", nonEssential)},
			want: layout{Init: []string{"migrate:init"}, Regular: []string{"app"}}},
		{name: "COMPLETE makes an init container",
			defs: []ecsv1alpha1.ContainerDefinition{ctr("app", dependsOn("fetch", complete)), ctr("fetch", nonEssential)},
			want: layout{Init: []string{"fetch:init"}, Regular: []string{"app"}}},
		{name: "SUCCESS wins over START",
			defs: []ecsv1alpha1.ContainerDefinition{ctr("a", dependsOn("x", start)), ctr("b", dependsOn("x", success)), ctr("x", nonEssential)},
			want: layout{Init: []string{"x:init"}, Regular: []string{"a", "b"}}},
		{name: "COMPLETE wins over HEALTHY",
			defs: []ecsv1alpha1.ContainerDefinition{ctr("a", dependsOn("x", healthy)), ctr("b", dependsOn("x", complete)), ctr("x", nonEssential, hc)},
			want: layout{Init: []string{"x:init"}, Regular: []string{"a", "b"}}},
		{name: "a chain: dependencies first",
			defs: []ecsv1alpha1.ContainerDefinition{
				ctr("app", dependsOn("proxy", start)),
				ctr("proxy", dependsOn("config", success)),
				ctr("config", nonEssential)},
			want: layout{Init: []string{"config:init", "proxy:sidecar"}, Regular: []string{"app"}}},
		{name: "independent dependencies keep containerDefinitions order",
			defs: []ecsv1alpha1.ContainerDefinition{
				ctr("app", dependsOn("z", start), dependsOn("x", start), dependsOn("y", start)),
				ctr("x"), ctr("y"), ctr("z")},
			want: layout{Init: []string{"x:sidecar", "y:sidecar", "z:sidecar"}, Regular: []string{"app"}}},
		{name: "dependencies reorder where they must, and only there",
			defs: []ecsv1alpha1.ContainerDefinition{
				ctr("a", dependsOn("c", start)),
				ctr("b"),
				ctr("c", dependsOn("d", start)),
				ctr("app", dependsOn("a", start), dependsOn("e", start)),
				ctr("d"),
				ctr("e")},
			want: layout{Init: []string{"d:sidecar", "c:sidecar", "a:sidecar", "e:sidecar"}, Regular: []string{"b", "app"}}},
		{name: "a diamond",
			defs: []ecsv1alpha1.ContainerDefinition{
				ctr("app", dependsOn("left", start), dependsOn("right", start)),
				ctr("right", dependsOn("base", success)),
				ctr("left", dependsOn("base", success)),
				ctr("base", nonEssential)},
			want: layout{Init: []string{"base:init", "right:sidecar", "left:sidecar"}, Regular: []string{"app"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustBuild(t, taskdef.Input{Spec: spec("", tt.defs...)})
			if diff := cmp.Diff(tt.want, layoutOf(res)); diff != "" {
				t.Errorf("layout (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDependsOnProbes(t *testing.T) {
	hc := &ecsv1alpha1.HealthCheck{Command: []string{"CMD", "pg_isready"}, Interval: ptr.To[int32](10), StartPeriod: ptr.To[int32](25)}
	readiness := execProbe([]string{"pg_isready"}, 25, 10, 5, 3)
	// ceil(25/10) = 3 periods of start, then 3 retries.
	startup := &corev1.Probe{ProbeHandler: readiness.ProbeHandler, PeriodSeconds: 10, TimeoutSeconds: 5, FailureThreshold: 6, SuccessThreshold: 1}
	tests := []struct {
		name                   string
		cond                   ecsv1alpha1.ContainerCondition
		wantReadiness, wantSUp *corev1.Probe
		wantNotes              []string
	}{
		{name: "HEALTHY: readiness and startup probes", cond: ecsv1alpha1.ContainerConditionHealthy, wantReadiness: readiness, wantSUp: startup},
		{name: "START: readiness only", cond: ecsv1alpha1.ContainerConditionStart, wantReadiness: readiness},
		{name: "SUCCESS: no probe on an init container", cond: ecsv1alpha1.ContainerConditionSuccess,
			wantNotes: []string{"containerDefinitions[1].healthCheck: the container runs to completion before its dependents start (an init container), and Kubernetes runs no health check on init containers; ignored"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := spec("", ctr("app", dependsOn("db", tt.cond)), ctr("db", nonEssential, healthCheck(hc)))
			res := mustBuild(t, taskdef.Input{Spec: s})
			db := container(t, res, "db")
			if diff := cmp.Diff(tt.wantReadiness, db.ReadinessProbe); diff != "" {
				t.Errorf("readiness (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSUp, db.StartupProbe); diff != "" {
				t.Errorf("startup (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantNotes, res.Unsupported); diff != "" {
				t.Errorf("notes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStartupProbeDefaults(t *testing.T) {
	s := spec("", ctr("app", dependsOn("db", ecsv1alpha1.ContainerConditionHealthy)),
		ctr("db", healthCheck(&ecsv1alpha1.HealthCheck{Command: []string{"CMD-SHELL", "true"}})))
	got := container(t, mustBuild(t, taskdef.Input{Spec: s}), "db").StartupProbe
	want := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"/bin/sh", "-c", "true"}}},
		PeriodSeconds: 30, TimeoutSeconds: 5, FailureThreshold: 3, SuccessThreshold: 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("startup probe (-want +got):\n%s", diff)
	}
}

func TestHealthyDependencyWithoutCheck(t *testing.T) {
	s := spec("", ctr("app", dependsOn("db", ecsv1alpha1.ContainerConditionHealthy)),
		ctr("db", healthCheck(&ecsv1alpha1.HealthCheck{Command: []string{"NONE"}})))
	res := mustBuild(t, taskdef.Input{Spec: s})
	want := []string{"containerDefinitions[1].healthCheck: a container depends on it with condition HEALTHY but it has no health check to run; its dependents start once it has started"}
	if diff := cmp.Diff(want, res.Unsupported); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
}

func TestDependencyErrors(t *testing.T) {
	start := ecsv1alpha1.ContainerConditionStart
	tests := []struct {
		name    string
		defs    []ecsv1alpha1.ContainerDefinition
		wantErr string
	}{
		{name: "two containers",
			defs:    []ecsv1alpha1.ContainerDefinition{ctr("a", dependsOn("b", start)), ctr("b", dependsOn("a", start))},
			wantErr: "dependency cycle: a -> b -> a"},
		{name: "three containers",
			defs:    []ecsv1alpha1.ContainerDefinition{ctr("a", dependsOn("b", start)), ctr("b", dependsOn("c", start)), ctr("c", dependsOn("a", start))},
			wantErr: "dependency cycle: a -> b -> c -> a"},
		{name: "a cycle behind a container that depends on it",
			defs: []ecsv1alpha1.ContainerDefinition{
				ctr("app", dependsOn("ok", start), dependsOn("x", start)), ctr("ok"),
				ctr("x", dependsOn("y", start)), ctr("y", dependsOn("z", start)), ctr("z", dependsOn("y", start))},
			wantErr: "dependency cycle: y -> z -> y"},
		{name: "a container that depends on itself",
			defs:    []ecsv1alpha1.ContainerDefinition{ctr("a", dependsOn("a", start))},
			wantErr: "dependency cycle: a -> a"},
		{name: "an unknown container",
			defs:    []ecsv1alpha1.ContainerDefinition{ctr("a", dependsOn("ghost", start))},
			wantErr: "container a depends on ghost, which is not a container in the task definition"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := taskdef.Build(taskdef.Input{Spec: spec("", tt.defs...)})
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Build error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestStartTimeouts(t *testing.T) {
	s := spec("",
		ctr("App_1", dependsOn("db", ecsv1alpha1.ContainerConditionStart), func(c *ecsv1alpha1.ContainerDefinition) { c.StartTimeout = ptr.To[int32](60) }),
		ctr("db", func(c *ecsv1alpha1.ContainerDefinition) { c.StartTimeout = ptr.To[int32](120) }),
		ctr("other"),
	)
	res := mustBuild(t, taskdef.Input{Spec: s})
	if diff := cmp.Diff("app-1=60,db=120", res.Annotations[ecsv1alpha1.StartTimeoutsAnnotation]); diff != "" {
		t.Errorf("annotation (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int32{"app-1": 60, "db": 120}, taskdef.StartTimeouts(res.Annotations)); diff != "" {
		t.Errorf("StartTimeouts (-want +got):\n%s", diff)
	}
	none := mustBuild(t, taskdef.Input{Spec: spec("", ctr("a"))})
	if v, ok := none.Annotations[ecsv1alpha1.StartTimeoutsAnnotation]; ok {
		t.Errorf("annotation %q set without startTimeouts", v)
	}
}

func TestEssentialSidecarsNote(t *testing.T) {
	start := ecsv1alpha1.ContainerConditionStart
	tests := []struct {
		name string
		defs []ecsv1alpha1.ContainerDefinition
		want []string
	}{
		{name: "an essential regular container: no note",
			defs: []ecsv1alpha1.ContainerDefinition{ctr("app", dependsOn("envoy", start)), ctr("envoy")}},
		{name: "only non-essential regular containers beside essential sidecars",
			defs: []ecsv1alpha1.ContainerDefinition{ctr("app"), ctr("shipper", nonEssential, dependsOn("app", start))},
			want: []string{"containerDefinitions[].essential: the essential containers app run as sidecars because other containers depend on them, and every other container is non-essential: Kubernetes stops the sidecars (and the task) once the non-essential containers have exited, where ECS keeps the task running"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustBuild(t, taskdef.Input{Spec: spec("", tt.defs...)})
			if diff := cmp.Diff(tt.want, res.Unsupported); diff != "" {
				t.Errorf("notes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStopTimeout(t *testing.T) {
	stop := func(s int32) func(*ecsv1alpha1.ContainerDefinition) {
		return func(c *ecsv1alpha1.ContainerDefinition) { c.StopTimeout = ptr.To(s) }
	}
	tests := []struct {
		name       string
		spec       *ecsv1alpha1.TaskDefinitionSpec
		launchType ecsv1alpha1.LaunchType
		want       int64
		wantNotes  []string
	}{
		{name: "ECS's default is 30 seconds", spec: spec("", ctr("a")), want: 30},
		{name: "the longest of the containers", spec: spec("", ctr("a", stop(10)), ctr("b", stop(60))), want: 60},
		{name: "shorter than the default when every container says so", spec: spec("", ctr("a", stop(10)), ctr("b", stop(20))), want: 20},
		{name: "a container without one counts as 30", spec: spec("", ctr("a", stop(10)), ctr("b")), want: 30},
		{name: "0 stops at once", spec: spec("", ctr("a", stop(0))), want: 0},
		{name: "EC2 has no cap", spec: spec("", ctr("a", stop(600))), want: 600},
		{name: "Fargate caps at 120", spec: spec(ecsv1alpha1.NetworkModeAwsvpc, ctr("a", stop(300))),
			launchType: ecsv1alpha1.LaunchTypeFargate, want: 120,
			wantNotes: []string{
				"containerDefinitions[].stopTimeout: 300 seconds is more than Fargate allows; the grace period is capped at 120 seconds",
			}},
		{name: "Fargate's maximum is kept", spec: fargateSpec(ctr("a", stop(120))), launchType: ecsv1alpha1.LaunchTypeFargate, want: 120},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.launchType == ecsv1alpha1.LaunchTypeFargate {
				tt.spec.CPU, tt.spec.Memory = "512", "1024"
			}
			res := mustBuild(t, taskdef.Input{Spec: tt.spec, LaunchType: tt.launchType})
			if diff := cmp.Diff(ptr.To(tt.want), res.PodSpec.TerminationGracePeriodSeconds); diff != "" {
				t.Errorf("grace period (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantNotes, res.Unsupported); diff != "" {
				t.Errorf("notes (-want +got):\n%s", diff)
			}
		})
	}
}
