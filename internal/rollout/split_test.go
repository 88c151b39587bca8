package rollout

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// provider is a strategy item; base and weight < 0 leave the field unset.
func provider(name string, base, weight int32) ecsv1alpha1.CapacityProviderStrategyItem {
	item := ecsv1alpha1.CapacityProviderStrategyItem{CapacityProvider: name}
	if base >= 0 {
		item.Base = ptr.To(base)
	}
	if weight >= 0 {
		item.Weight = ptr.To(weight)
	}
	return item
}

func TestSplit(t *testing.T) {
	const unset = -1
	fargate, spot := ecsv1alpha1.CapacityProviderFargate, ecsv1alpha1.CapacityProviderFargateSpot
	tests := []struct {
		name     string
		desired  int32
		strategy []ecsv1alpha1.CapacityProviderStrategyItem
		want     []Share
	}{
		{
			name:    "no strategy",
			desired: 5,
			want:    nil,
		},
		{
			name:     "ECS docs: base 1 on FARGATE, then 1:4",
			desired:  5,
			strategy: []ecsv1alpha1.CapacityProviderStrategyItem{provider(fargate, 1, 1), provider(spot, unset, 4)},
			want:     []Share{{fargate, 2}, {spot, 3}},
		},
		{
			name:     "even weights",
			desired:  10,
			strategy: []ecsv1alpha1.CapacityProviderStrategyItem{provider("A", unset, 1), provider("B", unset, 1)},
			want:     []Share{{"A", 5}, {"B", 5}},
		},
		{
			name:     "no tasks",
			desired:  0,
			strategy: []ecsv1alpha1.CapacityProviderStrategyItem{provider(fargate, 2, 1), provider(spot, unset, 4)},
			want:     []Share{{fargate, 0}, {spot, 0}},
		},
		{
			name:     "negative desired counts as none",
			desired:  -3,
			strategy: []ecsv1alpha1.CapacityProviderStrategyItem{provider("A", 2, 1)},
			want:     []Share{{"A", 0}},
		},
		{
			name:     "one provider takes all",
			desired:  7,
			strategy: []ecsv1alpha1.CapacityProviderStrategyItem{provider(spot, unset, 1)},
			want:     []Share{{spot, 7}},
		},
		{
			name:     "odd count, equal remainders and weights: the earlier item",
			desired:  5,
			strategy: []ecsv1alpha1.CapacityProviderStrategyItem{provider(fargate, unset, 1), provider(spot, unset, 1)},
			want:     []Share{{fargate, 3}, {spot, 2}},
		},
		{
			name:     "exact ratio",
			desired:  3,
			strategy: []ecsv1alpha1.CapacityProviderStrategyItem{provider("A", unset, 1), provider("B", unset, 2)},
			want:     []Share{{"A", 1}, {"B", 2}},
		},
		{
			name:     "largest remainder wins: 4/3=1r1 and 8/3=2r2",
			desired:  4,
			strategy: []ecsv1alpha1.CapacityProviderStrategyItem{provider("A", unset, 1), provider("B", unset, 2)},
			want:     []Share{{"A", 1}, {"B", 3}},
		},
		{
			name:     "equal remainders: the larger weight",
			desired:  2, // 2*1/4 = 0 r2, 2*3/4 = 1 r2
			strategy: []ecsv1alpha1.CapacityProviderStrategyItem{provider("A", unset, 1), provider("B", unset, 3)},
			want:     []Share{{"A", 0}, {"B", 2}},
		},
		{
			name:     "three ways, one unit left over",
			desired:  10,
			strategy: []ecsv1alpha1.CapacityProviderStrategyItem{provider("A", unset, 1), provider("B", unset, 1), provider("C", unset, 1)},
			want:     []Share{{"A", 4}, {"B", 3}, {"C", 3}},
		},
		{
			name:     "three ways, two units left over",
			desired:  11,
			strategy: []ecsv1alpha1.CapacityProviderStrategyItem{provider("A", unset, 1), provider("B", unset, 1), provider("C", unset, 1)},
			want:     []Share{{"A", 4}, {"B", 4}, {"C", 3}},
		},
		{
			name:     "base larger than desired",
			desired:  1,
			strategy: []ecsv1alpha1.CapacityProviderStrategyItem{provider(fargate, 2, 1), provider(spot, unset, 1)},
			want:     []Share{{fargate, 1}, {spot, 0}},
		},
		{
			name:     "base exactly desired",
			desired:  3,
			strategy: []ecsv1alpha1.CapacityProviderStrategyItem{provider(spot, unset, 1), provider(fargate, 3, 1)},
			want:     []Share{{spot, 0}, {fargate, 3}},
		},
		{
			name:     "base on a later item, weight 0: only its base",
			desired:  5,
			strategy: []ecsv1alpha1.CapacityProviderStrategyItem{provider(spot, unset, 1), provider(fargate, 2, 0)},
			want:     []Share{{spot, 3}, {fargate, 2}},
		},
		{
			name:     "weight 0 and unset weight get nothing",
			desired:  3,
			strategy: []ecsv1alpha1.CapacityProviderStrategyItem{provider("A", unset, 0), provider("B", unset, unset), provider("C", unset, 2)},
			want:     []Share{{"A", 0}, {"B", 0}, {"C", 3}},
		},
		{
			name:     "all weights 0 (rejected at admission): the rest to the first item",
			desired:  4,
			strategy: []ecsv1alpha1.CapacityProviderStrategyItem{provider("A", unset, 0), provider("B", 1, 0)},
			want:     []Share{{"A", 3}, {"B", 1}},
		},
		{
			name:     "several bases (rejected at admission): met in strategy order",
			desired:  4,
			strategy: []ecsv1alpha1.CapacityProviderStrategyItem{provider("A", 3, 1), provider("B", 3, 1)},
			want:     []Share{{"A", 3}, {"B", 1}},
		},
		{
			name:     "large counts and weights",
			desired:  1_000_000_000,
			strategy: []ecsv1alpha1.CapacityProviderStrategyItem{provider("A", 100_000, 1000), provider("B", unset, 999), provider("C", unset, 1)},
			want:     []Share{{"A", 500_050_000}, {"B", 499_450_050}, {"C", 499_950}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Split(tt.desired, tt.strategy)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Split(%d, ...) (-want +got):\n%s", tt.desired, diff)
			}
		})
	}
}

// TestSplitProperties checks small inputs: every task is placed, each provider gets its
// base (while tasks last) and, beyond it, its weighted share rounded down or up.
func TestSplitProperties(t *testing.T) {
	weights := []int32{0, 1, 2, 3, 4, 7}
	for desired := int32(0); desired <= 25; desired++ {
		for base := int32(0); base <= 4; base++ {
			for _, wa := range weights {
				for _, wb := range weights {
					for _, wc := range weights {
						if wa+wb+wc == 0 {
							continue
						}
						strategy := []ecsv1alpha1.CapacityProviderStrategyItem{provider("A", unset(base), wa), provider("B", -1, wb), provider("C", -1, wc)}
						name := fmt.Sprintf("Split(%d, base %d, weights %d:%d:%d)", desired, base, wa, wb, wc)
						checkSplit(t, name, desired, strategy, Split(desired, strategy))
					}
				}
			}
		}
	}
}

// unset makes a base of 0 an unset field, so both forms are covered.
func unset(base int32) int32 {
	if base == 0 {
		return -1
	}
	return base
}

func checkSplit(t *testing.T, name string, desired int32, strategy []ecsv1alpha1.CapacityProviderStrategyItem, got []Share) {
	t.Helper()
	if len(got) != len(strategy) {
		t.Fatalf("%s: %d shares for %d providers", name, len(got), len(strategy))
	}
	var sum, sumWeights int32
	rest := desired
	for _, item := range strategy {
		rest -= min(deref(item.Base), rest)
		sumWeights += deref(item.Weight)
	}
	for i, s := range got {
		item := strategy[i]
		if s.CapacityProvider != item.CapacityProvider {
			t.Errorf("%s: share %d is for %q, want %q", name, i, s.CapacityProvider, item.CapacityProvider)
		}
		base := min(deref(item.Base), desired)
		beyond := s.Count - base
		// Weighted share rest*w/W, as a floor and a ceiling.
		lo := rest * deref(item.Weight) / sumWeights
		hi := (rest*deref(item.Weight) + sumWeights - 1) / sumWeights
		if beyond < lo || beyond > hi {
			t.Errorf("%s: %s got %d beyond its base %d, want between %d and %d", name, s.CapacityProvider, beyond, base, lo, hi)
		}
		sum += s.Count
	}
	if sum != desired {
		t.Errorf("%s: shares %v add up to %d, want %d", name, got, sum, desired)
	}
}
