package rollout

import (
	"math"
	"testing"
	"time"

	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

func TestThreshold(t *testing.T) {
	breaker := func(typ string, value *int32) *ecsv1alpha1.DeploymentCircuitBreaker {
		return &ecsv1alpha1.DeploymentCircuitBreaker{
			Enable: true, Rollback: true,
			ThresholdConfiguration: &ecsv1alpha1.CircuitBreakerThresholdConfiguration{Type: typ, Value: value},
		}
	}
	tests := []struct {
		name    string
		desired int32
		cb      *ecsv1alpha1.DeploymentCircuitBreaker
		want    int32
	}{
		// Default: clamp(ceil(desired/2), 3, 200), the API reference's minimum of 3.
		{name: "default, 1 task: the minimum 3 (not the Developer Guide's 10)", desired: 1, want: 3},
		{name: "default, no tasks", desired: 0, want: 3},
		{name: "default, negative desired", desired: -5, want: 3},
		{name: "default, 6 tasks", desired: 6, want: 3},
		{name: "default, 7 tasks: ceil(3.5)", desired: 7, want: 4},
		{name: "default, 10 tasks", desired: 10, want: 5},
		{name: "default, 25 tasks: ceil(12.5)", desired: 25, want: 13},
		{name: "default, 400 tasks", desired: 400, want: 200},
		{name: "default, 1000 tasks: the maximum 200", desired: 1000, want: 200},
		{name: "default, huge", desired: math.MaxInt32, want: 200},
		{name: "breaker without thresholdConfiguration", desired: 25, cb: &ecsv1alpha1.DeploymentCircuitBreaker{Enable: true}, want: 13},
		{name: "disabled breaker still has a threshold", desired: 10, cb: &ecsv1alpha1.DeploymentCircuitBreaker{}, want: 5},

		{name: "COUNT 7", desired: 100, cb: breaker("COUNT", ptr.To[int32](7)), want: 7},
		{name: "COUNT is not bounded", desired: 10, cb: breaker("COUNT", ptr.To[int32](500)), want: 500},
		{name: "COUNT 1", desired: 10, cb: breaker("COUNT", ptr.To[int32](1)), want: 1},
		{name: "COUNT 0 (rejected at admission): at least 1", desired: 10, cb: breaker("COUNT", ptr.To[int32](0)), want: 1},
		{name: "COUNT without a value", desired: 100, cb: breaker("COUNT", nil), want: 3},

		{name: "BOUNDED_PERCENT 10 of 100", desired: 100, cb: breaker("BOUNDED_PERCENT", ptr.To[int32](10)), want: 10},
		{name: "BOUNDED_PERCENT 10 of 10: the minimum", desired: 10, cb: breaker("BOUNDED_PERCENT", ptr.To[int32](10)), want: 3},
		{name: "BOUNDED_PERCENT 10 of 45: ceil(4.5)", desired: 45, cb: breaker("BOUNDED_PERCENT", ptr.To[int32](10)), want: 5},
		{name: "BOUNDED_PERCENT 100 of 1000: the maximum", desired: 1000, cb: breaker("BOUNDED_PERCENT", ptr.To[int32](100)), want: 200},
		{name: "BOUNDED_PERCENT without a value: 50", desired: 25, cb: breaker("BOUNDED_PERCENT", nil), want: 13},
		{name: "only a value: BOUNDED_PERCENT", desired: 100, cb: breaker("", ptr.To[int32](10)), want: 10},
		{name: "only a value, small service: bounded", desired: 10, cb: breaker("", ptr.To[int32](10)), want: 3},
		{name: "empty thresholdConfiguration: BOUNDED_PERCENT 50", desired: 1000, cb: breaker("", nil), want: 200},
		{name: "unknown type: BOUNDED_PERCENT", desired: 100, cb: breaker("SOMETIMES", ptr.To[int32](10)), want: 10},

		{name: "UNBOUNDED_PERCENT 10 of 10", desired: 10, cb: breaker("UNBOUNDED_PERCENT", ptr.To[int32](10)), want: 1},
		{name: "UNBOUNDED_PERCENT 10 of 15: ceil(1.5)", desired: 15, cb: breaker("UNBOUNDED_PERCENT", ptr.To[int32](10)), want: 2},
		{name: "UNBOUNDED_PERCENT 10 of 0: at least 1", desired: 0, cb: breaker("UNBOUNDED_PERCENT", ptr.To[int32](10)), want: 1},
		{name: "UNBOUNDED_PERCENT above 200", desired: 1000, cb: breaker("UNBOUNDED_PERCENT", ptr.To[int32](50)), want: 500},
		{name: "UNBOUNDED_PERCENT without a value: 50", desired: 1000, cb: breaker("UNBOUNDED_PERCENT", nil), want: 500},
		{name: "UNBOUNDED_PERCENT huge: no overflow", desired: math.MaxInt32, cb: breaker("UNBOUNDED_PERCENT", ptr.To[int32](1000)), want: math.MaxInt32},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Threshold(tt.desired, tt.cb); got != tt.want {
				t.Errorf("Threshold(%d, ...) = %d, want %d", tt.desired, got, tt.want)
			}
		})
	}
}

func TestThrottleDelay(t *testing.T) {
	tests := []struct {
		consecutive int32
		want        time.Duration
	}{
		{consecutive: math.MinInt32, want: 0},
		{consecutive: -1, want: 0},
		{consecutive: 0, want: 0},
		{consecutive: 1, want: 0},
		{consecutive: 2, want: 0},
		{consecutive: 3, want: 10 * time.Second},
		{consecutive: 4, want: 20 * time.Second},
		{consecutive: 5, want: 40 * time.Second},
		{consecutive: 6, want: 80 * time.Second},
		{consecutive: 9, want: 640 * time.Second},
		{consecutive: 10, want: 15 * time.Minute}, // 1280s, capped
		{consecutive: 11, want: 15 * time.Minute},
		{consecutive: 64, want: 15 * time.Minute},
		{consecutive: 100, want: 15 * time.Minute},
		{consecutive: math.MaxInt32, want: 15 * time.Minute},
	}
	for _, tt := range tests {
		if got := ThrottleDelay(tt.consecutive); got != tt.want {
			t.Errorf("ThrottleDelay(%d) = %v, want %v", tt.consecutive, got, tt.want)
		}
	}
}
