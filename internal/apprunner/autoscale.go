package apprunner

import (
	"errors"
	"fmt"
	"math"
	"time"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
)

// App Runner's autoscaling defaults, for the fields of autoScalingConfiguration a service
// leaves unset (DefaultMinSize is with the other defaults, in resources.go).
const (
	// DefaultMaxConcurrency is the concurrent requests one instance takes before scaling up.
	DefaultMaxConcurrency int32 = 100
	// DefaultMaxSize is the most instances of a service.
	DefaultMaxSize int32 = 25
)

// ScalingBounds returns a service's autoscaling bounds with App Runner's defaults for the
// fields c (which may be nil) leaves unset (DefaultMinSize, DefaultMaxSize,
// DefaultMaxConcurrency). maxSize is never below minSize.
func ScalingBounds(c *apprunnerv1alpha1.AutoScalingConfiguration) (minSize, maxSize, maxConcurrency int32) {
	minSize, maxSize, maxConcurrency = DefaultMinSize, DefaultMaxSize, DefaultMaxConcurrency
	if c != nil {
		if c.MinSize != nil {
			minSize = *c.MinSize
		}
		if c.MaxSize != nil {
			maxSize = *c.MaxSize
		}
		if c.MaxConcurrency != nil && *c.MaxConcurrency > 0 {
			maxConcurrency = *c.MaxConcurrency
		}
	}
	minSize = max(minSize, 0)
	return minSize, max(maxSize, minSize), maxConcurrency
}

// ScalingConfig are the autoscaler's windows, the same for every service. They follow
// Knative's KPA (Knative Pod Autoscaler) and its defaults.
type ScalingConfig struct {
	// StableWindow is the period the stable concurrency is averaged over, and how long a
	// panic lasts after it was last triggered (default 60s).
	StableWindow time.Duration
	// PanicWindow is the short period the panic concurrency is averaged over (default 6s,
	// 10% of the stable window).
	PanicWindow time.Duration
	// PanicThreshold is the ratio of the instances the panic window asks for to the ready
	// instances at which the autoscaler panics (default 2.0, that is 200%).
	PanicThreshold float64
	// ScaleToZeroGrace is how long a service with minSize 0 keeps one instance once its
	// stable concurrency has reached 0 (default 30s).
	ScaleToZeroGrace time.Duration
	// ScaleDownTolerance is the spare capacity a scale-down keeps, as a fraction of
	// maxConcurrency (default 0.1): a service scales down only when its load fits the fewer
	// instances at 90% of maxConcurrency, so that a load around a boundary does not flap.
	ScaleDownTolerance float64
}

// DefaultScalingConfig returns Knative's defaults: a 60s stable window, a 6s panic window,
// a 200% panic threshold and a 30s scale-to-zero grace; and a 10% scale-down tolerance.
func DefaultScalingConfig() ScalingConfig {
	return ScalingConfig{
		StableWindow:       60 * time.Second,
		PanicWindow:        6 * time.Second,
		PanicThreshold:     2.0,
		ScaleToZeroGrace:   30 * time.Second,
		ScaleDownTolerance: 0.1,
	}
}

// Validate says what is wrong with c, if anything (zero fields take their defaults).
func (c ScalingConfig) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.StableWindow < 0 || c.PanicWindow < 0 || c.ScaleToZeroGrace < 0 {
		errs = append(errs, errors.New("the autoscaling windows and the scale-to-zero grace must not be negative"))
	}
	if c.PanicWindow > c.StableWindow {
		errs = append(errs, fmt.Errorf("the panic window (%s) must not be longer than the stable window (%s)", c.PanicWindow, c.StableWindow))
	}
	if c.PanicThreshold < 1 {
		errs = append(errs, fmt.Errorf("the panic threshold (%g) must be at least 1 (100%%)", c.PanicThreshold))
	}
	if c.ScaleDownTolerance < 0 || c.ScaleDownTolerance >= 1 {
		errs = append(errs, fmt.Errorf("the scale-down tolerance (%g) must be in [0, 1)", c.ScaleDownTolerance))
	}
	return errors.Join(errs...)
}

// withDefaults fills c's zero fields with DefaultScalingConfig's.
func (c ScalingConfig) withDefaults() ScalingConfig {
	d := DefaultScalingConfig()
	if c.StableWindow == 0 {
		c.StableWindow = d.StableWindow
	}
	if c.PanicWindow == 0 {
		c.PanicWindow = min(d.PanicWindow, c.StableWindow/10)
	}
	if c.PanicThreshold == 0 {
		c.PanicThreshold = d.PanicThreshold
	}
	if c.ScaleToZeroGrace == 0 {
		c.ScaleToZeroGrace = d.ScaleToZeroGrace
	}
	if c.ScaleDownTolerance == 0 {
		c.ScaleDownTolerance = d.ScaleDownTolerance
	}
	return c
}

// ScaleReason says which rule set a ScaleDecision's replicas.
type ScaleReason string

// Scale reasons.
const (
	// ScaleStable: the stable window's average concurrency.
	ScaleStable ScaleReason = "Stable"
	// ScalePanic: a panic holds the most instances the panic window asked for.
	ScalePanic ScaleReason = "Panic"
	// ScaleFromZero: requests arrived while the service had no instance.
	ScaleFromZero ScaleReason = "FromZero"
	// ScaleToZero: minSize is 0 and no request was seen for the stable window and the grace.
	ScaleToZero ScaleReason = "ToZero"
	// ScaleToZeroGrace: the stable concurrency is 0 but the scale-to-zero grace has not
	// passed: one instance stays.
	ScaleToZeroGrace ScaleReason = "ScaleToZeroGrace"
	// ScaleWarmingUp: less than a stable window of samples: no scale-down yet.
	ScaleWarmingUp ScaleReason = "WarmingUp"
	// ScaleNoMetrics: no activator answered: no scale-down.
	ScaleNoMetrics ScaleReason = "NoMetrics"
	// ScaleMinSize: raised to minSize.
	ScaleMinSize ScaleReason = "MinSize"
	// ScaleMaxSize: capped at maxSize.
	ScaleMaxSize ScaleReason = "MaxSize"
	// ScalePaused: a paused service has no instance.
	ScalePaused ScaleReason = "Paused"
)

// ScaleInput is what a decision needs besides the concurrency samples.
type ScaleInput struct {
	// Current is the Deployment's spec.replicas.
	Current int32
	// Ready is the Deployment's ready replicas.
	Ready int32
	// MinSize, MaxSize and MaxConcurrency are the service's bounds (ScalingBounds).
	MinSize, MaxSize, MaxConcurrency int32
	// Paused is spec.paused.
	Paused bool
	// NoMetrics says that no activator answered this time (nothing was recorded): the
	// decision does not go below Current.
	NoMetrics bool
}

// ScaleDecision is the number of instances a service should have now.
type ScaleDecision struct {
	// Replicas is the Deployment's desired spec.replicas.
	Replicas int32
	// Panic says the service is in panic mode.
	Panic bool
	// Reason is the rule that set Replicas.
	Reason ScaleReason
	// StableConcurrency and PanicConcurrency are the average concurrency over the stable
	// and the panic windows.
	StableConcurrency, PanicConcurrency float64
}

// Concurrency is the average concurrency the decision is based on: the panic window's in a
// panic, else the stable window's.
func (d ScaleDecision) Concurrency() float64 {
	if d.Panic {
		return d.PanicConcurrency
	}
	return d.StableConcurrency
}

// sample is the concurrency of a service at a time.
type sample struct {
	at    time.Time
	value float64
}

// Scaler decides the instances of one service from its concurrency samples, as Knative's
// KPA does:
//
//   - Stable mode: the service needs ceil(stable average / maxConcurrency) instances, the
//     average taken over the samples of the last StableWindow. It scales up to that at once;
//     it scales down only when the load fits the fewer instances at (1 -
//     ScaleDownTolerance) × maxConcurrency, to that number. Because the average moves slowly,
//     a scale-down follows the load out of the window over up to StableWindow.
//   - Panic mode starts when the panic window (the last PanicWindow's average) asks for at
//     least PanicThreshold × the ready instances (at least 1), and for more than the current
//     instances. In a panic the service gets the most instances either window has asked for
//     since the panic started, and never fewer. The panic ends once a StableWindow has
//     passed in which neither the threshold was crossed again nor the panic window asked for
//     as many instances as the panic holds (the load that caused the panic went away); the
//     stable average then takes over.
//   - From zero: with no instance and requests in flight (the activator queues them), the
//     service gets the instances the latest sample needs, at least 1, at once.
//   - To zero: only when minSize is 0. The last request was seen at the last sample above
//     0 (or, with none, when the Scaler started recording). The stable average is 0 a
//     StableWindow after it; the service keeps one instance for ScaleToZeroGrace more,
//     then scales to zero: no request for StableWindow + ScaleToZeroGrace.
//   - Warming up: until the samples cover a StableWindow (a new service, a manager just
//     started, or recording resumed after a gap of a StableWindow) a decision never goes
//     below the current instances; nor when no activator answered (ScaleInput.NoMetrics).
//   - Then the decision is clamped to [minSize, maxSize]; a paused service gets 0.
//
// A Scaler is not safe for concurrent use.
type Scaler struct {
	cfg ScalingConfig
	// samples within StableWindow of the latest, oldest first.
	samples []sample
	// since is when the samples started covering time without a gap of a StableWindow.
	since time.Time
	// lastActive is the time of the last sample above 0.
	lastActive time.Time

	panicking bool
	// panicAt is when the panic was last triggered or sustained.
	panicAt time.Time
	// panicReplicas is the most instances asked for (before clamping) during the panic.
	panicReplicas int32
}

// NewScaler returns a Scaler with cfg (its zero fields taking DefaultScalingConfig's).
func NewScaler(cfg ScalingConfig) *Scaler {
	return &Scaler{cfg: cfg.withDefaults()}
}

// Record adds the concurrency (requests in flight, queued ones included) at now. Samples
// are recorded in time order.
func (s *Scaler) Record(now time.Time, concurrency float64) {
	s.prune(now)
	if len(s.samples) == 0 {
		// No sample within a stable window: the history starts again.
		s.since = now
	}
	concurrency = max(concurrency, 0)
	s.samples = append(s.samples, sample{at: now, value: concurrency})
	if concurrency > 0 {
		s.lastActive = now
	}
}

// prune drops the samples a StableWindow older than now.
func (s *Scaler) prune(now time.Time) {
	i := 0
	for i < len(s.samples) && now.Sub(s.samples[i].at) >= s.cfg.StableWindow {
		i++
	}
	s.samples = append(s.samples[:0], s.samples[i:]...)
}

// average is the mean of the samples within window of now (0 with none).
func (s *Scaler) average(now time.Time, window time.Duration) float64 {
	var sum float64
	n := 0
	for i := len(s.samples) - 1; i >= 0 && now.Sub(s.samples[i].at) < window; i-- {
		sum += s.samples[i].value
		n++
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// instances is how many instances taking perInstance requests each carry concurrency.
func instances(concurrency, perInstance float64) int32 {
	if concurrency <= 0 || perInstance <= 0 {
		return 0
	}
	// The epsilon absorbs float error, so that exactly n × perInstance needs n instances.
	return int32(min(math.Ceil(concurrency/perInstance-1e-9), math.MaxInt32/2))
}

// Decide returns the instances the service should have at now.
func (s *Scaler) Decide(now time.Time, in ScaleInput) ScaleDecision {
	cfg := s.cfg
	s.prune(now)
	target := float64(max(in.MaxConcurrency, 1))
	d := ScaleDecision{
		StableConcurrency: s.average(now, cfg.StableWindow),
		PanicConcurrency:  s.average(now, cfg.PanicWindow),
	}
	if in.Paused {
		s.panicking = false
		d.Reason = ScalePaused
		return d
	}
	stableWant := instances(d.StableConcurrency, target)
	panicWant := instances(d.PanicConcurrency, target)
	fromZero := false
	if in.Current == 0 && len(s.samples) > 0 {
		// The activator queues every request while there is no instance: the latest
		// sample is the backlog to serve now, not something to average away.
		if last := s.samples[len(s.samples)-1]; last.value > 0 && now.Sub(last.at) < cfg.PanicWindow {
			fromZero = true
			panicWant = max(panicWant, instances(last.value, target), 1)
		}
	}

	over := float64(panicWant) >= cfg.PanicThreshold*float64(max(in.Ready, 1))
	switch {
	case s.panicking && (over || panicWant >= s.panicReplicas):
		s.panicAt = now
	case s.panicking && now.Sub(s.panicAt) >= cfg.StableWindow:
		s.panicking = false
	case !s.panicking && over && panicWant > in.Current:
		s.panicking, s.panicAt, s.panicReplicas = true, now, 0
	}

	switch {
	case s.panicking:
		s.panicReplicas = max(s.panicReplicas, stableWant, panicWant)
		d.Replicas, d.Panic, d.Reason = max(s.panicReplicas, in.Current), true, ScalePanic
		if fromZero {
			d.Reason = ScaleFromZero
		}
	case fromZero:
		d.Replicas, d.Reason = max(stableWant, panicWant), ScaleFromZero
	default:
		d.Replicas, d.Reason = in.Current, ScaleStable
		if stableWant > in.Current {
			d.Replicas = stableWant
		} else if down := instances(d.StableConcurrency, target*(1-cfg.ScaleDownTolerance)); down < in.Current {
			d.Replicas = down
		}
	}

	if d.Replicas == 0 && in.Current > 0 {
		lastActive := s.since
		if s.lastActive.After(lastActive) {
			lastActive = s.lastActive
		}
		if in.MinSize == 0 && len(s.samples) > 0 && now.Sub(lastActive) >= cfg.StableWindow+cfg.ScaleToZeroGrace {
			d.Reason = ScaleToZero
		} else {
			d.Replicas, d.Reason = 1, ScaleToZeroGrace
		}
	}
	if d.Replicas < in.Current {
		switch {
		case in.NoMetrics:
			d.Replicas, d.Reason = in.Current, ScaleNoMetrics
		case len(s.samples) == 0 || now.Sub(s.since) < cfg.StableWindow:
			d.Replicas, d.Reason = in.Current, ScaleWarmingUp
		}
	}
	if d.Replicas < in.MinSize {
		d.Replicas, d.Reason = in.MinSize, ScaleMinSize
	}
	if d.Replicas > in.MaxSize {
		d.Replicas, d.Reason = in.MaxSize, ScaleMaxSize
	}
	return d
}
