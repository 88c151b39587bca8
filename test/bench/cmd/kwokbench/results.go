package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kube-ecs/kube-ecs/internal/kwokharness"
)

// results is what results.json holds.
type results struct {
	Machine           machine `json:"machine"`
	GoVersion         string  `json:"goVersion"`
	KubernetesVersion string  `json:"kubernetesVersion"`
	GitRevision       string  `json:"gitRevision"`
	Command           string  `json:"command"`
	Timestamp         string  `json:"timestamp"`
	Duration          string  `json:"duration"`
	// Complete is false while the run goes on: the file is written after every run, so that
	// a run that fails late keeps the figures measured before.
	Complete      bool       `json:"complete"`
	Parameters    parameters `json:"parameters"`
	AppRunnerRuns int        `json:"appRunnerRuns,omitempty"`
	Figures       []*figure  `json:"figures"`
}

type machine struct {
	CPUModel string `json:"cpuModel"`
	CPUs     int    `json:"cpus"`
}

type parameters struct {
	Nodes          int   `json:"nodes"`
	Zones          int   `json:"zones"`
	ServiceSizes   []int `json:"serviceSizes"`
	Tasks          int   `json:"tasks"`
	PlacementTasks int   `json:"placementTasks"`
	MemoryTasks    int   `json:"memoryTasks"`
	Services       int   `json:"services"`
	RolloutSize    int   `json:"rolloutSize"`
	IdleSeconds    int   `json:"idleSeconds"`
	IdleSamples    int   `json:"idleSamples"`
	Runs           int   `json:"runs"`
}

// figure is one measurement of kube-ecs and of its baseline; ratio is kube-ecs's median over
// the baseline's, whichever way is better.
type figure struct {
	ID            string  `json:"id"`
	Name          string  `json:"name"`
	Unit          string  `json:"unit"`
	Better        string  `json:"better"` // lower or higher
	KubeECSName   string  `json:"kubeEcsName"`
	BaselineName  string  `json:"baselineName"`
	KubeECS       stat    `json:"kubeEcs"`
	Baseline      stat    `json:"baseline"`
	Ratio         float64 `json:"ratio"`
	samplesKECS   []float64
	samplesBase   []float64
	displayDigits int
}

type stat struct {
	Runs   []float64 `json:"runs"`
	Min    float64   `json:"min"`
	Median float64   `json:"median"`
	Max    float64   `json:"max"`
}

func newStat(v []float64) stat {
	s := slices.Clone(v)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return stat{Runs: v, Min: s[0], Median: med, Max: s[len(s)-1]}
}

func (f *figure) add(s sample) {
	f.samplesKECS = append(f.samplesKECS, s.kubeECS)
	f.samplesBase = append(f.samplesBase, s.baseline)
	f.KubeECS, f.Baseline = newStat(f.samplesKECS), newStat(f.samplesBase)
	if f.Baseline.Median != 0 {
		f.Ratio = f.KubeECS.Median / f.Baseline.Median
	}
}

func newResults(o options) *results {
	r := &results{
		Machine:           readMachine(),
		GoVersion:         runtime.Version(),
		KubernetesVersion: readVersion("KUBERNETES_VERSION"),
		GitRevision:       gitRevision(),
		Command:           command(),
		Timestamp:         time.Now().UTC().Format(time.RFC3339),
		Parameters: parameters{Nodes: o.nodes, Zones: len(zones), ServiceSizes: o.serviceSizes, Tasks: o.tasks,
			PlacementTasks: o.placementTasks, MemoryTasks: o.memoryTasks, Services: o.services, RolloutSize: o.rolloutSize,
			IdleSeconds: int(o.idle.Seconds()), IdleSamples: o.idleSamples, Runs: o.runs},
	}
	for _, n := range o.serviceSizes {
		r.Figures = append(r.Figures, &figure{ID: fmt.Sprintf("service-launch-%d", n), Name: fmt.Sprintf("Service launch, N=%d", n),
			Unit: "s", Better: "lower", KubeECSName: "ECS Service to N tasks RUNNING", BaselineName: "Deployment to N pods Running", displayDigits: 2})
	}
	r.Figures = append(r.Figures,
		&figure{ID: "task-throughput-time", Name: fmt.Sprintf("Standalone tasks, M=%d", o.tasks), Unit: "s", Better: "lower",
			KubeECSName: "M Tasks to RUNNING", BaselineName: "M bare Pods to Running", displayDigits: 2},
		&figure{ID: "task-throughput-rate", Name: fmt.Sprintf("Standalone task throughput, M=%d", o.tasks), Unit: "tasks/s", Better: "higher",
			KubeECSName: "Tasks RUNNING per second", BaselineName: "Pods Running per second", displayDigits: 1},
		&figure{ID: "placement-rate", Name: fmt.Sprintf("Placement rate, %d pods on %d nodes", o.placementTasks, o.nodes), Unit: "pods/s", Better: "higher",
			KubeECSName: "ECS scheduler (binpack memory)", BaselineName: "kube-scheduler (default)", displayDigits: 1},
		&figure{ID: "placement-nodes", Name: fmt.Sprintf("Nodes used, %d pods", o.placementTasks), Unit: "nodes", Better: "lower",
			KubeECSName: "ECS binpack memory", BaselineName: "kube-scheduler (default)", displayDigits: 0},
		&figure{ID: "api-writes-per-task", Name: fmt.Sprintf("API writes per task over its life, M=%d", o.tasks), Unit: "writes", Better: "lower",
			KubeECSName: "Task: create, RUNNING, delete, gone (all clients)", BaselineName: "bare Pod: create, Running, delete, gone", displayDigits: 1},
		&figure{ID: "rollout", Name: fmt.Sprintf("Rolling update, %d tasks, 200%%/100%%", o.rolloutSize), Unit: "s", Better: "lower",
			KubeECSName: "ECS Service to a new revision", BaselineName: "Deployment maxSurge 100% maxUnavailable 0", displayDigits: 2},
		&figure{ID: "idle-reconciles", Name: fmt.Sprintf("Idle reconciles per object, per %s", o.idle/time.Duration(o.idleSamples)), Unit: "reconciles", Better: "lower",
			KubeECSName: fmt.Sprintf("manager, %d tasks + %d services", o.memoryTasks, o.services), BaselineName: "goal: none", displayDigits: 3},
		&figure{ID: "idle-cpu", Name: "CPU while idle", Unit: "% of a core", Better: "lower",
			KubeECSName: "manager", BaselineName: "kube-controller-manager, same objects", displayDigits: 2},
		&figure{ID: "memory-rss", Name: fmt.Sprintf("RSS with %d tasks and %d services", o.memoryTasks, o.services), Unit: "MiB", Better: "lower",
			KubeECSName: "manager", BaselineName: "kube-controller-manager, same pods", displayDigits: 0},
		&figure{ID: "memory-rss-per-1000", Name: "RSS growth per 1,000 tasks", Unit: "MiB", Better: "lower",
			KubeECSName: "manager", BaselineName: "kube-controller-manager, per 1,000 pods", displayDigits: 1},
		&figure{ID: "memory-heap", Name: fmt.Sprintf("Go heap with %d tasks and %d services", o.memoryTasks, o.services), Unit: "MiB", Better: "lower",
			KubeECSName: "manager", BaselineName: "kube-controller-manager, same pods", displayDigits: 0},
	)
	return r
}

// appRunnerRuns is what test/e2e/bench_test.go writes: the App Runner data plane on kind.
type appRunnerRuns struct {
	RateRPS         float64 `json:"rateRps"`
	DurationSeconds float64 `json:"durationSeconds"`
	Runs            []struct {
		DirectP50Ms      float64 `json:"directP50Ms"`
		DirectP99Ms      float64 `json:"directP99Ms"`
		ActivatorP50Ms   float64 `json:"activatorP50Ms"`
		ActivatorP99Ms   float64 `json:"activatorP99Ms"`
		ColdStartSeconds float64 `json:"coldStartSeconds"`
		PodStartSeconds  float64 `json:"podStartSeconds"`
	} `json:"runs"`
}

// addAppRunner adds figure 7 from the file the kind benchmark wrote.
func (r *results) addAppRunner(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("reading the App Runner figures: %w", err)
	}
	var a appRunnerRuns
	if err := json.Unmarshal(data, &a); err != nil {
		return fmt.Errorf("reading the App Runner figures in %s: %w", file, err)
	}
	if len(a.Runs) == 0 {
		return fmt.Errorf("%s has no runs", file)
	}
	load := fmt.Sprintf("%.0f req/s for %.0fs on kind", a.RateRPS, a.DurationSeconds)
	p50 := &figure{ID: "apprunner-latency-p50", Name: "App Runner latency p50, " + load, Unit: "ms", Better: "lower",
		KubeECSName: "through the activator", BaselineName: "the instance pod directly", displayDigits: 2}
	p99 := &figure{ID: "apprunner-latency-p99", Name: "App Runner latency p99, " + load, Unit: "ms", Better: "lower",
		KubeECSName: "through the activator", BaselineName: "the instance pod directly", displayDigits: 2}
	cold := &figure{ID: "apprunner-cold-start", Name: "App Runner cold start from zero, on kind", Unit: "s", Better: "lower",
		KubeECSName: "request to answer through the activator", BaselineName: "the pod's own start (Deployment 0 to 1 Ready)", displayDigits: 2}
	for _, run := range a.Runs {
		p50.add(sample{run.ActivatorP50Ms, run.DirectP50Ms})
		p99.add(sample{run.ActivatorP99Ms, run.DirectP99Ms})
		cold.add(sample{run.ColdStartSeconds, run.PodStartSeconds})
	}
	r.Figures = append(r.Figures, p50, p99, cold)
	r.AppRunnerRuns = len(a.Runs)
	return nil
}

func (r *results) figure(id string) *figure {
	for _, f := range r.Figures {
		if f.ID == id {
			return f
		}
	}
	panic("no figure " + id)
}

// ratio is "n/a" for a baseline of zero (a goal, not a measurement).
func (f *figure) ratio() string {
	if f.Baseline.Median == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2fx", f.Ratio)
}

func (f *figure) format(v float64) string { return fmt.Sprintf("%.*f", f.displayDigits, v) }

func (f *figure) spread(s stat) string {
	return fmt.Sprintf("%s / %s / %s", f.format(s.Min), f.format(s.Median), f.format(s.Max))
}

// table is the figures as the terminal and bench/README.md show them.
func (r *results) table() string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "FIGURE\tUNIT\tKUBE-ECS\tBASELINE\tRATIO\tBETTER\tKUBE-ECS MIN/MEDIAN/MAX\tBASELINE MIN/MEDIAN/MAX")
	for _, f := range r.Figures {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.Name, f.Unit, f.format(f.KubeECS.Median), f.format(f.Baseline.Median),
			f.ratio(), f.Better, f.spread(f.KubeECS), f.spread(f.Baseline))
	}
	w.Flush()
	return b.String()
}

func (r *results) write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "results.svg"), []byte(r.svg()), 0o644)
}

// svg is a bar chart: one row per figure, kube-ecs and its baseline as two bars scaled to
// the larger maximum of the two, a line from min to max of the runs, the median written.
func (r *results) svg() string {
	const (
		width, left, barMax = 900, 300, 440
		rowH, barH, top     = 64, 18, 70
	)
	height := top + rowH*len(r.Figures) + 40
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="20" y="26" font-size="16" font-weight="bold">kube-ecs against the Kubernetes baseline (median of %d runs, bars min-max)</text>`+"\n", r.Parameters.Runs)
	fmt.Fprintf(&b, `<text x="20" y="46" fill="#555">%s, %d CPUs; Kubernetes %s; %s; %d kwok nodes; git %s</text>`+"\n",
		html.EscapeString(r.Machine.CPUModel), r.Machine.CPUs, r.KubernetesVersion, r.GoVersion, r.Parameters.Nodes, html.EscapeString(shortRev(r.GitRevision)))
	fmt.Fprintf(&b, `<rect x="%d" y="54" width="12" height="10" fill="#2b6cb0"/><text x="%d" y="63">kube-ecs</text>`, left, left+16)
	fmt.Fprintf(&b, `<rect x="%d" y="54" width="12" height="10" fill="#a0aec0"/><text x="%d" y="63">baseline</text>`+"\n", left+90, left+106)
	for i, f := range r.Figures {
		y := top + i*rowH
		scale := max(f.KubeECS.Max, f.Baseline.Max)
		if scale == 0 {
			scale = 1
		}
		fmt.Fprintf(&b, `<text x="20" y="%d" font-weight="bold">%s</text>`+"\n", y+16, html.EscapeString(f.Name))
		fmt.Fprintf(&b, `<text x="20" y="%d" fill="#555">ratio %s (%s is better)</text>`+"\n", y+34, f.ratio(), f.Better)
		for j, side := range []struct {
			s     stat
			color string
		}{{f.KubeECS, "#2b6cb0"}, {f.Baseline, "#a0aec0"}} {
			by := y + 4 + j*(barH+4)
			wMed := side.s.Median / scale * barMax
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`, left, by, wMed, barH, side.color)
			x0, x1 := float64(left)+side.s.Min/scale*barMax, float64(left)+side.s.Max/scale*barMax
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="black"/>`, x0, x1, by+barH/2, by+barH/2)
			fmt.Fprintf(&b, `<text x="%.1f" y="%d">%s %s</text>`+"\n", float64(left)+max(wMed, x1-float64(left))+6, by+barH-4, f.format(side.s.Median), html.EscapeString(f.Unit))
		}
	}
	fmt.Fprintf(&b, `<text x="20" y="%d" fill="#555">%s</text>`+"\n", height-16, html.EscapeString(r.Command))
	b.WriteString("</svg>\n")
	return b.String()
}

func shortRev(rev string) string {
	if len(rev) >= 40 {
		return rev[:12] + rev[40:] // keeps -dirty
	}
	return rev
}

func readMachine() machine {
	var m machine
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return m
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "processor":
			m.CPUs++
		case "model name":
			if m.CPUModel == "" {
				m.CPUModel = strings.TrimSpace(v)
			}
		}
	}
	return m
}

// readVersion is a version pinned in hack/versions.env.
func readVersion(key string) string {
	data, err := os.ReadFile(filepath.Join(kwokharness.RepoRoot(), "hack", "versions.env"))
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), key+"="); ok {
			return v
		}
	}
	return ""
}

// gitRevision is HEAD, with -dirty when the work tree has changes.
func gitRevision() string {
	root := kwokharness.RepoRoot()
	out, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	rev := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(strings.TrimSpace(string(st))) > 0 {
		rev += "-dirty"
	}
	return rev
}

// command is the command line, the program named by its package.
func command() string {
	return strings.Join(append([]string{"go run ./test/bench/cmd/kwokbench"}, os.Args[1:]...), " ")
}
