package rollout

import (
	"cmp"
	"slices"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// Share is the number of a service's tasks that run on one capacity provider.
type Share struct {
	CapacityProvider string
	Count            int32
}

// Split distributes desired tasks over a capacity provider strategy as ECS does. The
// provider with a base (ECS allows at most one) gets min(base, desired) first; the rest is
// divided by weight with the largest-remainder method: each provider gets the floor of
// rest*weight/sum(weights), and the units left over go to the largest remainders, ties to
// the larger weight, then to the earlier item. A provider with weight 0 gets only its base.
//
// The result has one Share per strategy item, in strategy order (a Count may be 0); an
// empty strategy gives nil. For example desired 5 over FARGATE (base 1, weight 1) and
// FARGATE_SPOT (weight 4) gives FARGATE 2 and FARGATE_SPOT 3.
//
// Admission rejects what ECS rejects, but Split still answers: several bases are met in
// strategy order, and when every weight is 0 the rest goes to the first item.
func Split(desired int32, strategy []ecsv1alpha1.CapacityProviderStrategyItem) []Share {
	if len(strategy) == 0 {
		return nil
	}
	shares := make([]Share, len(strategy))
	rest := int64(max(desired, 0))
	var sumWeights int64
	for i, item := range strategy {
		shares[i].CapacityProvider = item.CapacityProvider
		base := int64(max(deref(item.Base), 0))
		take := min(base, rest)
		shares[i].Count = int32(take)
		rest -= take
		sumWeights += int64(weight(item))
	}
	if rest == 0 {
		return shares
	}
	if sumWeights == 0 {
		shares[0].Count += int32(rest)
		return shares
	}

	type remainder struct {
		index  int
		weight int32
		value  int64
	}
	var remainders []remainder
	left := rest
	for i, item := range strategy {
		w := int64(weight(item))
		if w == 0 {
			continue
		}
		q := rest * w / sumWeights
		shares[i].Count += int32(q)
		left -= q
		remainders = append(remainders, remainder{index: i, weight: int32(w), value: rest * w % sumWeights})
	}
	slices.SortFunc(remainders, func(a, b remainder) int {
		return cmp.Or(
			cmp.Compare(b.value, a.value),
			cmp.Compare(b.weight, a.weight),
			cmp.Compare(a.index, b.index),
		)
	})
	// left is below the number of weighted items: each remainder is under sumWeights and
	// together they make left*sumWeights.
	for i := int64(0); i < left; i++ {
		shares[remainders[i].index].Count++
	}
	return shares
}

func weight(item ecsv1alpha1.CapacityProviderStrategyItem) int32 {
	return max(deref(item.Weight), 0)
}

func deref(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}
