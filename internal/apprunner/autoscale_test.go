package apprunner

import (
	"math/rand/v2"
	"testing"
	"time"

	"k8s.io/utils/ptr"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// step is one tick of a simulation: the decision at a second.
type step struct {
	at       time.Duration
	load     float64
	decision ScaleDecision
}

// simulation runs a Scaler once a second, the way the autoscaler does, with the Deployment
// following every decision at once (its replicas ready immediately).
type simulation struct {
	cfg ScalingConfig
	// in are the bounds and the starting replicas.
	in ScaleInput
	// load is the concurrency at a time since the start.
	load func(at time.Duration) float64
	// noMetrics says when no activator answers.
	noMetrics func(at time.Duration) bool
}

func (sim simulation) run(d time.Duration) []step {
	s := NewScaler(sim.cfg)
	in := sim.in
	in.Ready = in.Current
	var steps []step
	for at := time.Duration(0); at <= d; at += time.Second {
		now := t0.Add(at)
		load := sim.load(at)
		in.NoMetrics = sim.noMetrics != nil && sim.noMetrics(at)
		if !in.NoMetrics {
			s.Record(now, load)
		}
		dec := s.Decide(now, in)
		steps = append(steps, step{at, load, dec})
		in.Current, in.Ready = dec.Replicas, dec.Replicas
	}
	return steps
}

func constant(c float64) func(time.Duration) float64 { return func(time.Duration) float64 { return c } }

// between is load during [from, to), 0 otherwise.
func between(from, to time.Duration, load float64) func(time.Duration) float64 {
	return func(at time.Duration) float64 {
		if at >= from && at < to {
			return load
		}
		return 0
	}
}

func bounds(minSize, maxSize, maxConcurrency, current int32) ScaleInput {
	return ScaleInput{MinSize: minSize, MaxSize: maxSize, MaxConcurrency: maxConcurrency, Current: current}
}

// replicasAt is the decision at a second.
func replicasAt(steps []step, at time.Duration) int32 {
	return steps[int(at/time.Second)].decision.Replicas
}

// changes counts the decisions that differ from the previous one at or after from.
func changes(steps []step, from time.Duration) int {
	n := 0
	for i := 1; i < len(steps); i++ {
		if steps[i].at >= from && steps[i].decision.Replicas != steps[i-1].decision.Replicas {
			n++
		}
	}
	return n
}

// firstAt is the first second at or after from whose decision satisfies ok (-1 if none).
func firstAt(steps []step, from time.Duration, ok func(ScaleDecision) bool) time.Duration {
	for _, s := range steps {
		if s.at >= from && ok(s.decision) {
			return s.at
		}
	}
	return -1
}

func TestScalerSeries(t *testing.T) {
	cfg := DefaultScalingConfig()
	const sec = time.Second
	tests := []struct {
		name  string
		sim   simulation
		d     time.Duration
		check func(t *testing.T, steps []step)
	}{{
		name: "steady 0 stays at minSize",
		sim:  simulation{cfg: cfg, in: bounds(1, 25, 100, 1), load: constant(0)},
		d:    5 * time.Minute,
		check: func(t *testing.T, steps []step) {
			for _, s := range steps {
				if s.decision.Replicas != 1 || s.decision.Panic {
					t.Fatalf("at %s: %+v, want 1 instance and no panic", s.at, s.decision)
				}
			}
		},
	}, {
		name: "no scale-down before a stable window of samples (a manager restart)",
		sim:  simulation{cfg: cfg, in: bounds(1, 25, 100, 6), load: constant(0)},
		d:    2 * time.Minute,
		check: func(t *testing.T, steps []step) {
			down := firstAt(steps, 0, func(d ScaleDecision) bool { return d.Replicas < 6 })
			if down != 60*sec {
				t.Errorf("first scale-down at %s, want at 1m0s (the stable window)", down)
			}
			if steps[10].decision.Reason != ScaleWarmingUp {
				t.Errorf("reason at 10s = %s, want %s", steps[10].decision.Reason, ScaleWarmingUp)
			}
			if r := replicasAt(steps, 61*sec); r != 1 {
				t.Errorf("replicas after the window = %d, want 1", r)
			}
		},
	}, {
		name: "burst of 200 with maxConcurrency 10 panics to 20 within the panic window",
		sim:  simulation{cfg: cfg, in: bounds(1, 25, 10, 1), load: between(120*sec, 150*sec, 200)},
		d:    5 * time.Minute,
		check: func(t *testing.T, steps []step) {
			if at := firstAt(steps, 0, func(d ScaleDecision) bool { return d.Panic }); at != 120*sec {
				t.Errorf("panic starts at %s, want at the burst (2m0s)", at)
			}
			reached := firstAt(steps, 0, func(d ScaleDecision) bool { return d.Replicas == 20 })
			if reached < 120*sec || reached >= 126*sec {
				t.Errorf("20 instances at %s, want within the 6s panic window of 2m0s", reached)
			}
			// The last requests are at 149s: 20 instances stay for the stable window.
			for at := reached; at < 149*sec+60*sec; at += sec {
				if r := replicasAt(steps, at); r != 20 {
					t.Fatalf("replicas at %s = %d, want 20 until a stable window after the burst", at, r)
				}
			}
			if r := replicasAt(steps, 215*sec); r >= 20 {
				t.Errorf("replicas at 3m35s = %d, want fewer than 20 once the panic ended", r)
			}
			if r := replicasAt(steps, 5*time.Minute); r != 1 {
				t.Errorf("replicas at the end = %d, want minSize 1", r)
			}
			if at := firstAt(steps, 151*sec, func(d ScaleDecision) bool { return !d.Panic }); at != 209*sec {
				t.Errorf("panic ends at %s, want a stable window after the last requests (3m29s)", at)
			}
		},
	}, {
		name: "burst above maxSize is capped",
		sim:  simulation{cfg: cfg, in: bounds(1, 25, 10, 1), load: between(120*sec, 180*sec, 1000)},
		d:    3 * time.Minute,
		check: func(t *testing.T, steps []step) {
			for _, s := range steps {
				if s.decision.Replicas > 25 {
					t.Fatalf("at %s: %d instances, above maxSize 25", s.at, s.decision.Replicas)
				}
			}
			if s := steps[int(130)]; s.decision.Replicas != 25 || s.decision.Reason != ScaleMaxSize {
				t.Errorf("at 2m10s: %+v, want 25 (MaxSize)", s.decision)
			}
		},
	}, {
		name: "minSize 0 idle goes to zero after the stable window and the grace",
		sim:  simulation{cfg: cfg, in: bounds(0, 25, 100, 1), load: constant(0)},
		d:    3 * time.Minute,
		check: func(t *testing.T, steps []step) {
			zero := firstAt(steps, 0, func(d ScaleDecision) bool { return d.Replicas == 0 })
			if zero != 90*sec {
				t.Errorf("zero instances at %s, want at 1m30s (60s window + 30s grace)", zero)
			}
			if r := steps[75].decision.Reason; r != ScaleToZeroGrace {
				t.Errorf("reason at 1m15s = %s, want %s", r, ScaleToZeroGrace)
			}
			if changes(steps, 0) != 1 {
				t.Errorf("%d changes, want one (1 -> 0)", changes(steps, 0))
			}
		},
	}, {
		name: "minSize 0: the grace counts from the last request",
		sim:  simulation{cfg: cfg, in: bounds(0, 25, 100, 1), load: between(100*sec, 110*sec, 3)},
		d:    5 * time.Minute,
		check: func(t *testing.T, steps []step) {
			// Idle from the start: zero at 90s; the request at 100s brings one instance back,
			// the last one at 109s takes it to zero at 109+90 s.
			if r := replicasAt(steps, 90*sec); r != 0 {
				t.Errorf("replicas at 1m30s = %d, want 0", r)
			}
			if r := replicasAt(steps, 100*sec); r != 1 {
				t.Errorf("replicas at the first request = %d, want 1 at once", r)
			}
			if at := firstAt(steps, 100*sec, func(d ScaleDecision) bool { return d.Replicas == 0 }); at != 199*sec {
				t.Errorf("back to zero at %s, want 3m19s", at)
			}
		},
	}, {
		name: "first request at zero gets an instance at once",
		sim:  simulation{cfg: cfg, in: bounds(0, 25, 100, 0), load: between(120*sec, time.Hour, 1)},
		d:    4 * time.Minute,
		check: func(t *testing.T, steps []step) {
			if r := replicasAt(steps, 119*sec); r != 0 {
				t.Errorf("replicas before the request = %d, want 0", r)
			}
			if s := steps[120]; s.decision.Replicas != 1 || s.decision.Reason != ScaleFromZero {
				t.Errorf("at the first request: %+v, want 1 (FromZero)", s.decision)
			}
			if changes(steps, 0) != 1 {
				t.Errorf("%d changes, want one (0 -> 1)", changes(steps, 0))
			}
		},
	}, {
		name: "a backlog at zero gets what it needs at once and keeps it",
		sim:  simulation{cfg: cfg, in: bounds(0, 25, 10, 0), load: between(120*sec, time.Hour, 35)},
		d:    5 * time.Minute,
		check: func(t *testing.T, steps []step) {
			if s := steps[120]; s.decision.Replicas != 4 {
				t.Errorf("at the first requests: %+v, want 4 instances", s.decision)
			}
			if changes(steps, 0) != 1 {
				t.Errorf("%d changes, want one (0 -> 4)", changes(steps, 0))
			}
		},
	}, {
		name: "a step up that is not a panic follows the stable average",
		sim:  simulation{cfg: cfg, in: bounds(1, 25, 10, 4), load: func(at time.Duration) float64 { return map[bool]float64{true: 35, false: 45}[at < 120*sec] }},
		d:    4 * time.Minute,
		check: func(t *testing.T, steps []step) {
			if r := replicasAt(steps, 119*sec); r != 4 {
				t.Fatalf("replicas at 35 in flight = %d, want 4", r)
			}
			up := firstAt(steps, 120*sec, func(d ScaleDecision) bool { return d.Replicas == 5 })
			if up <= 120*sec || up > 180*sec || steps[int(up/sec)].decision.Panic {
				t.Errorf("5 instances at %s (%+v), want within the stable window, without panic", up, steps[int(up/sec)].decision)
			}
		},
	}, {
		name: "noisy load around a boundary does not oscillate",
		sim: func() simulation {
			rng := rand.New(rand.NewPCG(1, 2))
			noise := map[time.Duration]float64{}
			return simulation{cfg: cfg, in: bounds(1, 25, 10, 10), load: func(at time.Duration) float64 {
				if _, ok := noise[at]; !ok {
					noise[at] = 93 + 14*rng.Float64() // 93..107 around 100 = 10 × 10
				}
				return noise[at]
			}}
		}(),
		d: 30 * time.Minute,
		check: func(t *testing.T, steps []step) {
			if n := changes(steps, 0); n > 1 {
				t.Errorf("%d changes of the instance count, want at most one", n)
			}
			for _, s := range steps {
				if r := s.decision.Replicas; r < 10 || r > 11 {
					t.Fatalf("at %s: %d instances, want 10 or 11", s.at, r)
				}
			}
		},
	}, {
		name: "paused is always zero",
		sim:  simulation{cfg: cfg, in: ScaleInput{MinSize: 2, MaxSize: 25, MaxConcurrency: 10, Current: 3, Paused: true}, load: constant(500)},
		d:    2 * time.Minute,
		check: func(t *testing.T, steps []step) {
			for _, s := range steps {
				if s.decision.Replicas != 0 || s.decision.Reason != ScalePaused || s.decision.Panic {
					t.Fatalf("at %s: %+v, want 0 (Paused)", s.at, s.decision)
				}
			}
		},
	}, {
		name: "no metrics: up on what is known, never down",
		sim: simulation{cfg: cfg, in: bounds(1, 25, 10, 1), load: between(120*sec, 300*sec, 50),
			noMetrics: func(at time.Duration) bool { return at >= 200*sec }},
		d: 10 * time.Minute,
		check: func(t *testing.T, steps []step) {
			if r := replicasAt(steps, 199*sec); r != 5 {
				t.Fatalf("replicas at 50 in flight = %d, want 5", r)
			}
			for _, s := range steps[200:] {
				if s.decision.Replicas != 5 {
					t.Fatalf("at %s without metrics: %+v, want 5 kept", s.at, s.decision)
				}
			}
			if r := steps[len(steps)-1].decision.Reason; r != ScaleNoMetrics {
				t.Errorf("reason = %s, want %s", r, ScaleNoMetrics)
			}
		},
	}, {
		name: "minSize above the load",
		sim:  simulation{cfg: cfg, in: bounds(3, 25, 100, 0), load: constant(5)},
		d:    2 * time.Minute,
		check: func(t *testing.T, steps []step) {
			if changes(steps, 0) != 0 || replicasAt(steps, 0) != 3 {
				t.Errorf("replicas %d with %d changes, want 3 throughout", replicasAt(steps, 0), changes(steps, 0))
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, tt.sim.run(tt.d))
		})
	}
}

// TestScalerConstantLoadSettles: under a constant load the decision settles and never
// changes after: on ceil(load / maxConcurrency) from below, and from above on no more than
// the load needs at (1 - ScaleDownTolerance) × maxConcurrency (within the bounds).
func TestScalerConstantLoadSettles(t *testing.T) {
	cfg := DefaultScalingConfig()
	for _, target := range []int32{1, 7, 10, 100} {
		for _, minSize := range []int32{0, 1, 2} {
			for _, start := range []int32{0, 1, 9} {
				for load := 0.0; load <= 400; load += 13 {
					sim := simulation{cfg: cfg, in: bounds(minSize, 25, target, start), load: constant(load)}
					steps := sim.run(6 * time.Minute)
					settled := 3 * cfg.StableWindow
					clamp := func(n int32) int32 { return min(max(n, minSize), 25) }
					lo := clamp(instances(load, float64(target)))
					hi := lo
					if start > lo {
						hi = clamp(min(start, instances(load, float64(target)*(1-cfg.ScaleDownTolerance))))
					}
					if got := replicasAt(steps, settled); got < lo || got > hi {
						t.Errorf("target %d, minSize %d, from %d, load %g: %d instances after %s, want %d..%d", target, minSize, start, load, got, settled, lo, hi)
					}
					if n := changes(steps, settled); n != 0 {
						t.Errorf("target %d, minSize %d, from %d, load %g: %d changes after settling", target, minSize, start, load, n)
					}
					if n := changes(steps, 0); n > 3 {
						t.Errorf("target %d, minSize %d, from %d, load %g: %d changes, want at most 3", target, minSize, start, load, n)
					}
				}
			}
		}
	}
}

func TestScalerRecordsAfterAGap(t *testing.T) {
	s := NewScaler(DefaultScalingConfig())
	in := bounds(1, 25, 10, 8)
	for at := time.Duration(0); at < 2*time.Minute; at += time.Second {
		s.Record(t0.Add(at), 80)
		s.Decide(t0.Add(at), in)
	}
	// A gap longer than the stable window (the activators unreachable): the history starts
	// again, and one low sample does not scale down.
	now := t0.Add(5 * time.Minute)
	s.Record(now, 0)
	if d := s.Decide(now, in); d.Replicas != 8 || d.Reason != ScaleWarmingUp {
		t.Errorf("after a gap: %+v, want 8 kept (WarmingUp)", d)
	}
}

func TestScalingBounds(t *testing.T) {
	tests := []struct {
		name          string
		c             *apprunnerv1alpha1.AutoScalingConfiguration
		minS, maxS, n int32
	}{
		{"nil", nil, 1, 25, 100},
		{"empty", &apprunnerv1alpha1.AutoScalingConfiguration{}, 1, 25, 100},
		{"set", &apprunnerv1alpha1.AutoScalingConfiguration{MinSize: ptr.To[int32](0), MaxSize: ptr.To[int32](3), MaxConcurrency: ptr.To[int32](10)}, 0, 3, 10},
		{"max below min", &apprunnerv1alpha1.AutoScalingConfiguration{MinSize: ptr.To[int32](5), MaxSize: ptr.To[int32](2)}, 5, 5, 100},
	}
	for _, tt := range tests {
		minS, maxS, n := ScalingBounds(tt.c)
		if minS != tt.minS || maxS != tt.maxS || n != tt.n {
			t.Errorf("%s: ScalingBounds = %d, %d, %d; want %d, %d, %d", tt.name, minS, maxS, n, tt.minS, tt.maxS, tt.n)
		}
	}
}

func TestScalingConfigValidate(t *testing.T) {
	if err := DefaultScalingConfig().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	if err := (ScalingConfig{}).Validate(); err != nil {
		t.Errorf("zero (defaults): %v", err)
	}
	if err := (ScalingConfig{StableWindow: 10 * time.Second, PanicWindow: 20 * time.Second}).Validate(); err == nil {
		t.Error("a panic window longer than the stable window is valid")
	}
	if err := (ScalingConfig{PanicThreshold: 0.5}).Validate(); err == nil {
		t.Error("a panic threshold below 1 is valid")
	}
	if c := (ScalingConfig{StableWindow: 2 * time.Second}).withDefaults(); c.PanicWindow != 200*time.Millisecond {
		t.Errorf("default panic window of a 2s stable window = %s, want 10%%", c.PanicWindow)
	}
}
