package rollout

import "math"

// Bounds is the room of a rolling deployment.
type Bounds struct {
	MaxSurge       int32 // tasks that may run above desired
	MaxUnavailable int32 // tasks below desired that may be not healthy
}

// ServiceBounds is the room ECS's deploymentConfiguration gives a service of desired tasks:
// MaxSurge = floor(desired*maxPct/100) - desired and MaxUnavailable = desired -
// ceil(desired*minPct/100), neither below 0 (maximumPercent rounds down,
// minimumHealthyPercent rounds up). Negative inputs count as 0.
func ServiceBounds(desired, minPct, maxPct int32) Bounds {
	d := int64(max(desired, 0))
	lo, hi := int64(max(minPct, 0)), int64(max(maxPct, 0))
	ceilMin := (d*lo + 99) / 100
	floorMax := d * hi / 100
	return Bounds{
		MaxSurge:       clampInt32(floorMax - d),
		MaxUnavailable: clampInt32(d - ceilMin),
	}
}

// Blocked reports that b lets a deployment neither start nor stop a task. It looks at the
// two fields only: a Bounds does not know its desired count, and for 0 desired tasks there
// is nothing to block, so callers check desired > 0 themselves (SplitBounds does).
func (b Bounds) Blocked() bool {
	return b.MaxSurge <= 0 && b.MaxUnavailable <= 0
}

// SplitBounds gives each part (one Kubernetes Deployment per capacity provider, with the
// given replicas) its own bounds so that the sums never exceed total.
//
// Each part first gets ServiceBounds(replicas[i], minPct, maxPct). Rounding per part only
// ever loses room, so the sums fit a total of ServiceBounds(sum of replicas) and the
// leftover is handed out one unit at a time to parts that are still Blocked(), surge first
// (it keeps every old task serving), in index order, parts with replicas first and empty
// parts after them. Should total be smaller than the sums, parts are trimmed, the largest
// first, until they fit.
//
// A part with 0 replicas that still has neither gets MaxUnavailable 1, outside the budget:
// it has no pods, so the unit is harmless, and Kubernetes rejects a Deployment whose
// maxSurge and maxUnavailable are both 0. blocked reports whether any part with replicas
// is still Blocked().
func SplitBounds(total Bounds, replicas []int32, minPct, maxPct int32) (parts []Bounds, blocked bool) {
	if len(replicas) == 0 {
		return nil, false
	}
	parts = make([]Bounds, len(replicas))
	var surge, unavailable int64
	for i, r := range replicas {
		parts[i] = ServiceBounds(r, minPct, maxPct)
		surge += int64(parts[i].MaxSurge)
		unavailable += int64(parts[i].MaxUnavailable)
	}
	leftSurge := int64(max(total.MaxSurge, 0)) - surge
	leftUnavailable := int64(max(total.MaxUnavailable, 0)) - unavailable
	trim(parts, -leftSurge, func(b *Bounds) *int32 { return &b.MaxSurge })
	trim(parts, -leftUnavailable, func(b *Bounds) *int32 { return &b.MaxUnavailable })

	for _, withReplicas := range []bool{true, false} {
		for i := range parts {
			if (replicas[i] > 0) != withReplicas || !parts[i].Blocked() {
				continue
			}
			switch {
			case leftSurge > 0:
				parts[i].MaxSurge++
				leftSurge--
			case leftUnavailable > 0:
				parts[i].MaxUnavailable++
				leftUnavailable--
			}
		}
	}

	for i := range parts {
		if !parts[i].Blocked() {
			continue
		}
		if replicas[i] > 0 {
			blocked = true
		} else {
			parts[i].MaxUnavailable = 1
		}
	}
	return parts, blocked
}

// trim takes n units of one field from parts, always from the part holding the most (the
// later part on a tie), so that no part is emptied while another has more: it lowers every
// part above a level to that level, then takes what is still owed from parts at the level.
func trim(parts []Bounds, n int64, field func(*Bounds) *int32) {
	if n <= 0 {
		return
	}
	excess := func(level int32) int64 {
		var e int64
		for i := range parts {
			e += int64(max(*field(&parts[i])-level, 0))
		}
		return e
	}
	// The lowest level whose excess is at most n; excess falls as the level rises.
	lo, hi := int32(0), int32(0)
	for i := range parts {
		hi = max(hi, *field(&parts[i]))
	}
	for lo < hi {
		mid := lo + (hi-lo)/2
		if excess(mid) <= n {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	n -= excess(lo)
	for i := range parts {
		if v := field(&parts[i]); *v > lo {
			*v = lo
		}
	}
	for i := len(parts) - 1; i >= 0 && n > 0 && lo > 0; i-- {
		if v := field(&parts[i]); *v == lo {
			*v--
			n--
		}
	}
}

func clampInt32(v int64) int32 {
	return int32(min(max(v, 0), math.MaxInt32))
}
