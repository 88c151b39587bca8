package testenv

import (
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Recorder keeps the events a controller records, so that a test can read them at once, as
// well as sending them on to Next (set it before the controller starts).
type Recorder struct {
	Next   events.EventRecorder
	mu     sync.Mutex
	events []recordedEvent
}

// recordedEvent is an event: the object it regards, its reason and note.
type recordedEvent struct {
	key          types.NamespacedName
	reason, note string
}

// Eventf records the event and sends it on.
func (r *Recorder) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any) {
	if o, ok := regarding.(client.Object); ok {
		r.mu.Lock()
		r.events = append(r.events, recordedEvent{client.ObjectKeyFromObject(o), reason, fmt.Sprintf(note, args...)})
		r.mu.Unlock()
	}
	if r.Next != nil {
		r.Next.Eventf(regarding, related, eventtype, reason, action, note, args...)
	}
}

// Of returns the notes of the events recorded for o with reason, oldest first.
func (r *Recorder) Of(o client.Object, reason string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var notes []string
	for _, e := range r.events {
		if e.key == client.ObjectKeyFromObject(o) && e.reason == reason {
			notes = append(notes, e.note)
		}
	}
	return notes
}
