package rollout

import (
	"fmt"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestServiceBounds(t *testing.T) {
	// MaxSurge depends on desired and maximumPercent only, MaxUnavailable on desired and
	// minimumHealthyPercent only; the table gives each, and every combination is checked.
	surge := map[int32]map[int32]int32{ // maxPct -> desired -> MaxSurge
		100: {0: 0, 1: 0, 2: 0, 3: 0, 4: 0, 10: 0},
		150: {0: 0, 1: 0, 2: 1, 3: 1, 4: 2, 10: 5}, // 1.5 -> 1, 4.5 -> 4
		200: {0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 10: 10},
	}
	unavailable := map[int32]map[int32]int32{ // minPct -> desired -> MaxUnavailable
		0:   {0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 10: 10},
		50:  {0: 0, 1: 0, 2: 1, 3: 1, 4: 2, 10: 5}, // 0.5 -> 1, 1.5 -> 2
		100: {0: 0, 1: 0, 2: 0, 3: 0, 4: 0, 10: 0},
	}
	for _, desired := range []int32{0, 1, 2, 3, 4, 10} {
		for _, minPct := range []int32{0, 50, 100} {
			for _, maxPct := range []int32{100, 150, 200} {
				want := Bounds{MaxSurge: surge[maxPct][desired], MaxUnavailable: unavailable[minPct][desired]}
				if got := ServiceBounds(desired, minPct, maxPct); got != want {
					t.Errorf("ServiceBounds(%d, %d, %d) = %+v, want %+v", desired, minPct, maxPct, got, want)
				}
			}
		}
	}
}

func TestServiceBoundsEdges(t *testing.T) {
	tests := []struct {
		name                    string
		desired, minPct, maxPct int32
		want                    Bounds
		blocked                 bool
	}{
		{name: "one task, 100..150: no room", desired: 1, minPct: 100, maxPct: 150, want: Bounds{}, blocked: true},
		{name: "three tasks, 67..133: no room", desired: 3, minPct: 67, maxPct: 133, want: Bounds{}, blocked: true},
		{name: "uneven percentages", desired: 7, minPct: 33, maxPct: 166, want: Bounds{MaxSurge: 4, MaxUnavailable: 4}},
		{name: "daemon-like 0..100", desired: 4, minPct: 0, maxPct: 100, want: Bounds{MaxUnavailable: 4}},
		{name: "minimum above 100", desired: 4, minPct: 150, maxPct: 200, want: Bounds{MaxSurge: 4}},
		{name: "maximum below 100", desired: 4, minPct: 0, maxPct: 50, want: Bounds{MaxUnavailable: 4}},
		// Blocked looks at the fields only: callers check desired > 0.
		{name: "no tasks", desired: 0, minPct: 50, maxPct: 200, want: Bounds{}, blocked: true},
		{name: "negative desired", desired: -1, minPct: 50, maxPct: 200, want: Bounds{}, blocked: true},
		{name: "negative percentages", desired: 4, minPct: -50, maxPct: -1, want: Bounds{MaxUnavailable: 4}},
		{name: "no overflow", desired: math.MaxInt32, minPct: 0, maxPct: math.MaxInt32, want: Bounds{MaxSurge: math.MaxInt32, MaxUnavailable: math.MaxInt32}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ServiceBounds(tt.desired, tt.minPct, tt.maxPct)
			if got != tt.want {
				t.Errorf("ServiceBounds(%d, %d, %d) = %+v, want %+v", tt.desired, tt.minPct, tt.maxPct, got, tt.want)
			}
			if got.Blocked() != tt.blocked {
				t.Errorf("Blocked() = %v, want %v", got.Blocked(), tt.blocked)
			}
		})
	}
}

func TestBlocked(t *testing.T) {
	tests := []struct {
		b    Bounds
		want bool
	}{
		{b: Bounds{}, want: true},
		{b: Bounds{MaxSurge: 1}, want: false},
		{b: Bounds{MaxUnavailable: 1}, want: false},
		{b: Bounds{MaxSurge: 2, MaxUnavailable: 3}, want: false},
		{b: Bounds{MaxSurge: -1}, want: true},
	}
	for _, tt := range tests {
		if got := tt.b.Blocked(); got != tt.want {
			t.Errorf("%+v.Blocked() = %v, want %v", tt.b, got, tt.want)
		}
	}
}

func TestSplitBounds(t *testing.T) {
	tests := []struct {
		name           string
		total          Bounds
		replicas       []int32
		minPct, maxPct int32
		want           []Bounds
		blocked        bool
	}{
		{
			name:     "no parts",
			total:    Bounds{MaxSurge: 1},
			minPct:   100,
			maxPct:   200,
			want:     nil,
			replicas: nil,
		},
		{
			name:     "one part keeps its own bounds",
			total:    ServiceBounds(4, 50, 150),
			replicas: []int32{4},
			minPct:   50, maxPct: 150,
			want: []Bounds{{MaxSurge: 2, MaxUnavailable: 2}},
		},
		{
			name:     "parts with room keep it",
			total:    ServiceBounds(2, 100, 200),
			replicas: []int32{1, 1},
			minPct:   100, maxPct: 200,
			want: []Bounds{{MaxSurge: 1}, {MaxSurge: 1}},
		},
		{
			name:     "5 over 2 and 3 at 100..150: rounding loses nothing here",
			total:    ServiceBounds(5, 100, 150),
			replicas: []int32{2, 3},
			minPct:   100, maxPct: 150,
			want: []Bounds{{MaxSurge: 1}, {MaxSurge: 1}},
		},
		{
			name:     "leftover unblocks both parts, surge first",
			total:    ServiceBounds(2, 50, 150), // {1, 1}
			replicas: []int32{1, 1},
			minPct:   50, maxPct: 150,
			want: []Bounds{{MaxSurge: 1}, {MaxUnavailable: 1}},
		},
		{
			name:     "leftover too small: the later part stays blocked",
			total:    ServiceBounds(2, 100, 150), // {1, 0}
			replicas: []int32{1, 1},
			minPct:   100, maxPct: 150,
			want:    []Bounds{{MaxSurge: 1}, {}},
			blocked: true,
		},
		{
			name:     "three single tasks, two units of room",
			total:    ServiceBounds(3, 50, 150), // {1, 1}
			replicas: []int32{1, 1, 1},
			minPct:   50, maxPct: 150,
			want:    []Bounds{{MaxSurge: 1}, {MaxUnavailable: 1}, {}},
			blocked: true,
		},
		{
			name:     "the service itself is blocked",
			total:    ServiceBounds(1, 100, 150),
			replicas: []int32{0, 1},
			minPct:   100, maxPct: 150,
			want:    []Bounds{{MaxUnavailable: 1}, {}},
			blocked: true,
		},
		{
			name:     "an empty part gets maxUnavailable 1 outside the budget",
			total:    ServiceBounds(3, 100, 200),
			replicas: []int32{0, 3},
			minPct:   100, maxPct: 200,
			want: []Bounds{{MaxUnavailable: 1}, {MaxSurge: 3}},
		},
		{
			name:     "parts with replicas come before empty parts",
			total:    ServiceBounds(2, 50, 150), // {1, 1}
			replicas: []int32{0, 1, 1},
			minPct:   50, maxPct: 150,
			want: []Bounds{{MaxUnavailable: 1}, {MaxSurge: 1}, {MaxUnavailable: 1}},
		},
		{
			name:     "an empty part takes leftover nobody else needs",
			total:    Bounds{MaxSurge: 3},
			replicas: []int32{0, 2},
			minPct:   100, maxPct: 200,
			want: []Bounds{{MaxSurge: 1}, {MaxSurge: 2}},
		},
		{
			name:     "unblocked parts get no extra room",
			total:    Bounds{MaxSurge: 10, MaxUnavailable: 10},
			replicas: []int32{2, 1},
			minPct:   50, maxPct: 150,
			want: []Bounds{{MaxSurge: 1, MaxUnavailable: 1}, {MaxSurge: 1}},
		},
		{
			name:     "a smaller total trims the largest parts first",
			total:    Bounds{MaxSurge: 2, MaxUnavailable: 1},
			replicas: []int32{4, 4},
			minPct:   50, maxPct: 150, // each {2, 2}
			want: []Bounds{{MaxSurge: 1, MaxUnavailable: 1}, {MaxSurge: 1}},
		},
		{
			name:     "trimming uneven parts: down to a level, then the later parts",
			total:    Bounds{MaxSurge: 5},
			replicas: []int32{2, 10, 4},
			minPct:   100, maxPct: 200, // {2}, {10}, {4}
			want: []Bounds{{MaxSurge: 2}, {MaxSurge: 2}, {MaxSurge: 1}},
		},
		{
			name:     "a zero total blocks every part",
			total:    Bounds{},
			replicas: []int32{2, 4},
			minPct:   50, maxPct: 150,
			want:    []Bounds{{}, {}},
			blocked: true,
		},
		{
			name:     "a negative total counts as zero",
			total:    Bounds{MaxSurge: -3, MaxUnavailable: -1},
			replicas: []int32{0},
			minPct:   100, maxPct: 200,
			want: []Bounds{{MaxUnavailable: 1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, blocked := SplitBounds(tt.total, tt.replicas, tt.minPct, tt.maxPct)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SplitBounds(%+v, %v, %d, %d) parts (-want +got):\n%s", tt.total, tt.replicas, tt.minPct, tt.maxPct, diff)
			}
			if blocked != tt.blocked {
				t.Errorf("SplitBounds(%+v, %v, %d, %d) blocked = %v, want %v", tt.total, tt.replicas, tt.minPct, tt.maxPct, blocked, tt.blocked)
			}
		})
	}
}

// TestSplitBoundsProperties checks every small input: the parts never exceed the total
// (but for the one unit an empty part may be given), every part is a valid Kubernetes
// rolling update, and a part is blocked only when the total had no room for it.
func TestSplitBoundsProperties(t *testing.T) {
	var replicaSets [][]int32
	var gen func(prefix []int32)
	gen = func(prefix []int32) {
		if len(prefix) > 0 {
			replicaSets = append(replicaSets, append([]int32(nil), prefix...))
		}
		if len(prefix) == 3 {
			return
		}
		for r := int32(0); r <= 5; r++ {
			gen(append(prefix, r))
		}
	}
	gen(nil)

	checked := 0
	for _, replicas := range replicaSets {
		var desired int32
		for _, r := range replicas {
			desired += r
		}
		for _, minPct := range []int32{0, 25, 50, 75, 100} {
			for _, maxPct := range []int32{100, 125, 150, 200} {
				service := ServiceBounds(desired, minPct, maxPct)
				totals := []Bounds{service}
				for s := int32(0); s <= 3; s++ {
					for u := int32(0); u <= 3; u++ {
						totals = append(totals, Bounds{MaxSurge: s, MaxUnavailable: u})
					}
				}
				for _, total := range totals {
					name := fmt.Sprintf("SplitBounds(%+v, %v, %d, %d)", total, replicas, minPct, maxPct)
					parts, blocked := SplitBounds(total, replicas, minPct, maxPct)
					checkSplitBounds(t, name, total, replicas, minPct, maxPct, parts, blocked, total == service)
					checked++
				}
			}
		}
	}
	t.Logf("checked %d inputs", checked)
}

func checkSplitBounds(t *testing.T, name string, total Bounds, replicas []int32, minPct, maxPct int32, parts []Bounds, blocked, serviceTotal bool) {
	t.Helper()
	if len(parts) != len(replicas) {
		t.Fatalf("%s: %d parts for %d replica counts", name, len(parts), len(replicas))
	}
	var surge, unavailable, emptyUnits, wasBlocked int32
	anyBlocked := false
	for i, p := range parts {
		if p.MaxSurge < 0 || p.MaxUnavailable < 0 {
			t.Errorf("%s: part %d has negative bounds %+v", name, i, p)
		}
		if p == (Bounds{}) && replicas[i] == 0 {
			t.Errorf("%s: empty part %d has maxSurge and maxUnavailable 0, which Kubernetes rejects", name, i)
		}
		own := ServiceBounds(replicas[i], minPct, maxPct)
		if replicas[i] == 0 {
			if p.MaxSurge+p.MaxUnavailable != 1 {
				t.Errorf("%s: empty part %d got %+v, want exactly one unit", name, i, p)
			}
			emptyUnits++
		} else {
			if own.Blocked() {
				wasBlocked++
			}
			if serviceTotal && (p.MaxSurge < own.MaxSurge || p.MaxUnavailable < own.MaxUnavailable) {
				t.Errorf("%s: part %d got %+v, less than its own bounds %+v", name, i, p, own)
			}
			if serviceTotal && !own.Blocked() && (p.MaxSurge > own.MaxSurge || p.MaxUnavailable > own.MaxUnavailable) {
				t.Errorf("%s: unblocked part %d got %+v, more than its own bounds %+v", name, i, p, own)
			}
			anyBlocked = anyBlocked || p.Blocked()
		}
		surge += p.MaxSurge
		unavailable += p.MaxUnavailable
	}
	if surge > total.MaxSurge {
		t.Errorf("%s: surge sums to %d, above the total %d (parts %+v)", name, surge, total.MaxSurge, parts)
	}
	if unavailable > max(total.MaxUnavailable, 0)+emptyUnits || surge+unavailable > total.MaxSurge+total.MaxUnavailable+emptyUnits {
		t.Errorf("%s: parts %+v exceed the total", name, parts)
	}
	if blocked != anyBlocked {
		t.Errorf("%s: blocked = %v, but parts %+v say %v", name, blocked, parts, anyBlocked)
	}
	// With the service's own total, the room rounding lost is enough to unblock as many
	// blocked parts as it has units.
	if serviceTotal {
		var ownSurge, ownUnavailable int32
		for _, r := range replicas {
			own := ServiceBounds(r, minPct, maxPct)
			ownSurge += own.MaxSurge
			ownUnavailable += own.MaxUnavailable
		}
		leftover := total.MaxSurge - ownSurge + total.MaxUnavailable - ownUnavailable
		if leftover >= wasBlocked && blocked {
			t.Errorf("%s: %d units left over for %d blocked parts, but still blocked: %+v", name, leftover, wasBlocked, parts)
		}
	}
}
