package rollout

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

var (
	epoch         = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	eventIDFormat = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
)

func at(d time.Duration) metav1.Time { return metav1.NewTime(epoch.Add(d)) }

// messages lists the messages of events, newest first.
func messages(events []ecsv1alpha1.ServiceEvent) []string {
	var m []string
	for _, e := range events {
		m = append(m, e.Message)
	}
	return m
}

// eventLog is what Record makes of n events "event 0" ... "event n-1", a minute apart.
func eventLog(n int) []ecsv1alpha1.ServiceEvent {
	var events []ecsv1alpha1.ServiceEvent
	for i := range n {
		events, _ = Record(events, fmt.Sprintf("event %d", i), at(time.Duration(i)*time.Minute))
	}
	return events
}

// overfullLog is a log of n events, newest first, longer than Record would keep.
func overfullLog(n int) []ecsv1alpha1.ServiceEvent {
	events := make([]ecsv1alpha1.ServiceEvent, n)
	for i := range events {
		events[i] = ecsv1alpha1.ServiceEvent{ID: fmt.Sprint(i), Message: fmt.Sprintf("old %d", n-1-i), CreatedAt: at(time.Duration(n-1-i) * time.Minute)}
	}
	return events
}

func TestRecordFirstEvent(t *testing.T) {
	now := at(0)
	got, added := Record(nil, SteadyState("web"), now)
	if !added {
		t.Fatalf("Record() added = false on an empty log")
	}
	if len(got) != 1 {
		t.Fatalf("Record() = %d events, want 1", len(got))
	}
	if !eventIDFormat.MatchString(got[0].ID) {
		t.Errorf("event id %q is not UUID-shaped", got[0].ID)
	}
	want := ecsv1alpha1.ServiceEvent{ID: got[0].ID, CreatedAt: now, Message: "(service web) has reached a steady state."}
	if diff := cmp.Diff(want, got[0]); diff != "" {
		t.Errorf("Record() event (-want +got):\n%s", diff)
	}
}

func TestRecord(t *testing.T) {
	tests := []struct {
		name      string
		events    []ecsv1alpha1.ServiceEvent
		msg       string
		now       metav1.Time
		wantAdded bool
		want      []string
	}{
		{
			name:   "newest first",
			events: eventLog(3), msg: "event 3", now: at(3 * time.Minute),
			wantAdded: true,
			want:      []string{"event 3", "event 2", "event 1", "event 0"},
		},
		{
			name:   "the newest message again within 6 hours",
			events: eventLog(3), msg: "event 2", now: at(2*time.Minute + SteadyStateRepeat - time.Second),
			want: []string{"event 2", "event 1", "event 0"},
		},
		{
			name:   "the newest message again at once",
			events: eventLog(3), msg: "event 2", now: at(2 * time.Minute),
			want: []string{"event 2", "event 1", "event 0"},
		},
		{
			name:   "the newest message again, the clock behind",
			events: eventLog(3), msg: "event 2", now: at(0),
			want: []string{"event 2", "event 1", "event 0"},
		},
		{
			name:   "the newest message again after 6 hours",
			events: eventLog(3), msg: "event 2", now: at(2*time.Minute + SteadyStateRepeat),
			wantAdded: true,
			want:      []string{"event 2", "event 2", "event 1", "event 0"},
		},
		{
			name:   "an older message again",
			events: eventLog(3), msg: "event 1", now: at(3 * time.Minute),
			wantAdded: true,
			want:      []string{"event 1", "event 2", "event 1", "event 0"},
		},
		{
			name:   "a full log drops the oldest",
			events: eventLog(MaxEvents), msg: "new", now: at(time.Hour),
			wantAdded: true,
			want:      append([]string{"new"}, messages(eventLog(MaxEvents))[:MaxEvents-1]...),
		},
		{
			name:   "an overfull log is cut to MaxEvents",
			events: overfullLog(MaxEvents + 20), msg: "new", now: at(3 * time.Hour),
			wantAdded: true,
			want:      append([]string{"new"}, messages(overfullLog(MaxEvents + 20))[:MaxEvents-1]...),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := append([]ecsv1alpha1.ServiceEvent(nil), tt.events...)
			got, added := Record(tt.events, tt.msg, tt.now)
			if added != tt.wantAdded {
				t.Errorf("Record() added = %v, want %v", added, tt.wantAdded)
			}
			if diff := cmp.Diff(tt.want, messages(got)); diff != "" {
				t.Errorf("Record() messages (-want +got):\n%s", diff)
			}
			if len(got) > MaxEvents {
				t.Errorf("Record() kept %d events, more than %d", len(got), MaxEvents)
			}
			if diff := cmp.Diff(before, tt.events); diff != "" {
				t.Errorf("Record() modified its input (-before +after):\n%s", diff)
			}
			if !added {
				if diff := cmp.Diff(tt.events, got); diff != "" {
					t.Errorf("Record() changed the log without adding (-want +got):\n%s", diff)
				}
				return
			}
			if got[0].CreatedAt != tt.now {
				t.Errorf("Record() createdAt = %v, want %v", got[0].CreatedAt, tt.now)
			}
			// The events kept are the input's, unchanged.
			if diff := cmp.Diff(tt.events[:len(got)-1], got[1:]); diff != "" {
				t.Errorf("Record() changed older events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRecordDoesNotShareTheInput(t *testing.T) {
	events := make([]ecsv1alpha1.ServiceEvent, 2, 10) // room to append in place
	events[0] = ecsv1alpha1.ServiceEvent{ID: "b", Message: "b", CreatedAt: at(time.Minute)}
	events[1] = ecsv1alpha1.ServiceEvent{ID: "a", Message: "a", CreatedAt: at(0)}
	out, _ := Record(events, "c", at(2*time.Minute))
	out[1].Message = "changed"
	if events[0].Message != "b" {
		t.Errorf("changing Record()'s result changed its input: %+v", events)
	}
	if spare := events[:3][2]; spare != (ecsv1alpha1.ServiceEvent{}) {
		t.Errorf("Record() wrote into its input's spare capacity: %+v", spare)
	}
}

func TestRecordIDs(t *testing.T) {
	base := eventLog(2)
	first, _ := Record(base, "m", at(time.Hour))
	retry, _ := Record(base, "m", at(time.Hour))
	if first[0].ID != retry[0].ID {
		t.Errorf("a retry got id %q, want %q", retry[0].ID, first[0].ID)
	}
	subSecond, _ := Record(base, "m", metav1.NewTime(epoch.Add(time.Hour+300*time.Millisecond)))
	if subSecond[0].ID != first[0].ID {
		t.Errorf("the same second got id %q, want %q (metav1.Time keeps seconds)", subSecond[0].ID, first[0].ID)
	}

	ids := map[string]string{}
	check := func(what string, events []ecsv1alpha1.ServiceEvent) {
		t.Helper()
		id := events[0].ID
		if !eventIDFormat.MatchString(id) {
			t.Errorf("%s: id %q is not UUID-shaped", what, id)
		}
		if other, ok := ids[id]; ok {
			t.Errorf("%s: id %q already given to %s", what, id, other)
		}
		ids[id] = what
	}
	check("m", first)
	other, _ := Record(base, "n", at(time.Hour))
	check("another message", other)
	later, _ := Record(base, "m", at(time.Hour+time.Second))
	check("a second later", later)
	afterOther, _ := Record(other, "m", at(time.Hour))
	check("the same message and second after another event", afterOther)
	for _, e := range eventLog(MaxEvents) {
		if !eventIDFormat.MatchString(e.ID) {
			t.Errorf("id %q is not UUID-shaped", e.ID)
		}
		if other, ok := ids[e.ID]; ok {
			t.Errorf("%s: id %q already given to %s", e.Message, e.ID, other)
		}
		ids[e.ID] = e.Message
	}
}

func TestRecordKeepsTheNewest(t *testing.T) {
	events := eventLog(MaxEvents + 50)
	if len(events) != MaxEvents {
		t.Fatalf("%d events recorded one by one kept %d, want %d", MaxEvents+50, len(events), MaxEvents)
	}
	if newest, oldest := events[0].Message, events[MaxEvents-1].Message; newest != "event 149" || oldest != "event 50" {
		t.Errorf("kept %q ... %q, want \"event 149\" ... \"event 50\"", newest, oldest)
	}
}
