package rollout

import (
	"time"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// Types of a circuit breaker's thresholdConfiguration (the API's enum).
const (
	thresholdCount            = "COUNT"
	thresholdBoundedPercent   = "BOUNDED_PERCENT"
	thresholdUnboundedPercent = "UNBOUNDED_PERCENT"
)

const (
	// defaultThresholdPercent is ECS's percentage of desiredCount when none is given.
	defaultThresholdPercent = 50
	// defaultThresholdCount stands in for a COUNT threshold without a value: the minimum
	// of the bounded forms.
	defaultThresholdCount = 3
	minBoundedThreshold   = 3
	maxBoundedThreshold   = 200
)

// Threshold is the number of failed tasks that trips the deployment circuit breaker of a
// service with desired tasks.
//
//   - No thresholdConfiguration (cb nil too): clamp(ceil(desired/2), 3, 200), the API
//     reference's formula (see the package documentation for the Developer Guide's 10).
//   - BOUNDED_PERCENT, the type when only a value is set (value default 50):
//     clamp(ceil(value% of desired), 3, 200).
//   - UNBOUNDED_PERCENT (value default 50): ceil(value% of desired), at least 1.
//   - COUNT: value, at least 1 (3 without a value).
//
// An unknown type counts as BOUNDED_PERCENT, the API's default.
func Threshold(desired int32, cb *ecsv1alpha1.DeploymentCircuitBreaker) int32 {
	d := int64(max(desired, 0))
	if cb == nil || cb.ThresholdConfiguration == nil {
		return boundedThreshold(percentOf(defaultThresholdPercent, d))
	}
	tc := cb.ThresholdConfiguration
	switch tc.Type {
	case thresholdCount:
		if tc.Value == nil {
			return defaultThresholdCount
		}
		return max(*tc.Value, 1)
	case thresholdUnboundedPercent:
		return clampInt32(max(percentOf(percent(tc.Value), d), 1))
	default: // thresholdBoundedPercent, or no type
		return boundedThreshold(percentOf(percent(tc.Value), d))
	}
}

func percent(value *int32) int64 {
	if value == nil {
		return defaultThresholdPercent
	}
	return int64(max(*value, 0))
}

// percentOf is ceil(pct% of n).
func percentOf(pct, n int64) int64 {
	return (pct*n + 99) / 100
}

func boundedThreshold(n int64) int32 {
	return int32(min(max(n, minBoundedThreshold), maxBoundedThreshold))
}

const (
	// throttleFreeFailures is how many tasks in a row may fail to start before the
	// scheduler slows down.
	throttleFreeFailures = 3
	throttleFirstDelay   = 10 * time.Second
	throttleMaxDelay     = 15 * time.Minute
)

// ThrottleDelay is how long the service scheduler waits before replacing a task after
// consecutive tasks in a row failed to start (ECS's service throttle logic): nothing for
// fewer than 3, then 10s doubling with every further failure (10s, 20s, 40s, ...), at most
// 15 minutes.
func ThrottleDelay(consecutive int32) time.Duration {
	if consecutive < throttleFreeFailures {
		return 0
	}
	d := throttleFirstDelay
	for i := int32(throttleFreeFailures); i < consecutive && d < throttleMaxDelay; i++ {
		d *= 2
	}
	return min(d, throttleMaxDelay)
}
