package rollout

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// MaxEvents is how many events a service keeps (ECS: 100).
const MaxEvents = 100

// SteadyStateRepeat is how long an unchanged message, typically the steady state, goes
// unrepeated (ECS repeats it about every 6 hours).
const SteadyStateRepeat = 6 * time.Hour

// Record puts an event with message msg at the front of events (newest first) and keeps
// at most MaxEvents. A message equal to the newest event's that is younger than
// SteadyStateRepeat is not added again: Record then returns events itself and added false.
// events is never modified.
//
// The event's id is UUID-shaped and derived from msg, now (to the second, as metav1.Time
// keeps it) and the id of the newest event, so a reconcile that retries after a failed
// status write records the very same event, while the same message in the same second
// after another one still gets an id of its own.
func Record(events []ecsv1alpha1.ServiceEvent, msg string, now metav1.Time) (out []ecsv1alpha1.ServiceEvent, added bool) {
	var previousID string
	if len(events) > 0 {
		newest := events[0]
		previousID = newest.ID
		if newest.Message == msg && now.Sub(newest.CreatedAt.Time) < SteadyStateRepeat {
			return events, false
		}
	}
	kept := events[:min(len(events), MaxEvents-1)]
	out = make([]ecsv1alpha1.ServiceEvent, 0, len(kept)+1)
	out = append(out, ecsv1alpha1.ServiceEvent{ID: eventID(msg, now, previousID), CreatedAt: now, Message: msg})
	out = append(out, kept...)
	return out, true
}

// eventID is a version 8 (custom) UUID made of a SHA-256 of the event's inputs.
func eventID(msg string, now metav1.Time, previousID string) string {
	h := sha256.New()
	var sec [8]byte
	binary.BigEndian.PutUint64(sec[:], uint64(now.Unix()))
	h.Write(sec[:])
	h.Write([]byte(previousID))
	h.Write([]byte{0})
	h.Write([]byte(msg))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x80 // version 8
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], u[10:16])
	return string(b[:])
}
