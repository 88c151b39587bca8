package agent

import (
	"context"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

const (
	// NameLabel is the label app.kubernetes.io/name every agent Lease has.
	NameLabel = "app.kubernetes.io/name"
	// LeaseNameLabelValue is the value of NameLabel on an agent Lease.
	LeaseNameLabelValue = "kube-ecs-agent"

	// releaseTimeout bounds the deletion of the Lease when the agent stops.
	releaseTimeout = 5 * time.Second
	// firstRetry is the delay before the first retry of a failed renewal; it doubles up to
	// the heartbeat interval.
	firstRetry = time.Second
)

// LeaseName is the name of the Lease of the agent of node: agent-<node>.
func LeaseName(node string) string { return ecsv1alpha1.AgentLeasePrefix + node }

// LeaseSpec is what an agent's Lease says.
type LeaseSpec struct {
	Namespace string
	Node      string
	// Timeout is leaseDurationSeconds: how long after renewTime the agent counts as gone.
	Timeout time.Duration
	Version string
}

// RenewLease returns the Lease to write at now: a new one when existing is nil, else a copy
// of existing renewed by the agent. A Lease another holder held is taken over (acquireTime
// now, leaseTransitions + 1). Labels and annotations are set, others' kept.
func RenewLease(existing *coordinationv1.Lease, want LeaseSpec, now time.Time) *coordinationv1.Lease {
	l := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: want.Namespace, Name: LeaseName(want.Node)}}
	if existing != nil {
		l = existing.DeepCopy()
	}
	if l.Labels == nil {
		l.Labels = map[string]string{}
	}
	l.Labels[NameLabel] = LeaseNameLabelValue
	if l.Annotations == nil {
		l.Annotations = map[string]string{}
	}
	l.Annotations[ecsv1alpha1.AgentVersionAnnotation] = want.Version

	t := metav1.NewMicroTime(now)
	s := &l.Spec
	if s.HolderIdentity == nil || *s.HolderIdentity != want.Node {
		if s.HolderIdentity != nil {
			transitions := int32(1)
			if s.LeaseTransitions != nil {
				transitions = *s.LeaseTransitions + 1
			}
			s.LeaseTransitions = &transitions
		}
		s.HolderIdentity = ptrTo(want.Node)
		s.AcquireTime = &t
	}
	if s.AcquireTime == nil {
		s.AcquireTime = &t
	}
	s.LeaseDurationSeconds = ptrTo(int32(want.Timeout / time.Second))
	s.RenewTime = &t
	return l
}

// RetryDelay is how long to wait before renewing again after failures failed renewals in a
// row: 1 s, doubling, at most interval.
func RetryDelay(interval time.Duration, failures int) time.Duration {
	d := firstRetry
	for i := 1; i < failures && d < interval; i++ {
		d *= 2
	}
	return min(d, interval)
}

// Heartbeat renews the agent's Lease every Interval until its context ends, then deletes it.
type Heartbeat struct {
	// Client writes the Lease; it should read from the API server, not a cache.
	Client   client.Client
	Clock    clock.WithTicker
	Spec     LeaseSpec
	Interval time.Duration
	Log      logr.Logger

	// last is the Lease as last written, nil when it must be read again.
	last *coordinationv1.Lease
}

// Run renews the Lease at once and every Interval (sooner after a failure) until ctx ends,
// then deletes it so the node's container instance disconnects at once. It returns the
// deletion's error.
func (h *Heartbeat) Run(ctx context.Context) error {
	failures := 0
	for {
		delay := h.Interval
		if err := h.Renew(ctx); err != nil && ctx.Err() == nil {
			failures++
			delay = RetryDelay(h.Interval, failures)
			h.Log.Error(err, "Renewing the agent's Lease failed", "lease", h.key(), "retryIn", delay)
		} else if err == nil {
			if failures > 0 {
				h.Log.Info("Renewed the agent's Lease again", "lease", h.key())
			}
			failures = 0
		}
		timer := h.Clock.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			release, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
			defer cancel()
			return h.Release(release)
		case <-timer.C():
		}
	}
}

// Renew writes the renewed Lease once: an update of the Lease as last written, else (first
// time, conflict, Lease gone) a read then a create or update.
func (h *Heartbeat) Renew(ctx context.Context) error {
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		if h.last == nil {
			if h.last, err = h.get(ctx); err != nil {
				return err
			}
		}
		next := RenewLease(h.last, h.Spec, h.Clock.Now())
		create := next.ResourceVersion == ""
		if create {
			err = h.Client.Create(ctx, next)
		} else {
			err = h.Client.Update(ctx, next)
		}
		if err == nil {
			if create {
				h.Log.Info("Created the agent's Lease", "lease", h.key())
			}
			h.last = next
			return nil
		}
		h.last = nil
		if !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) && !apierrors.IsAlreadyExists(err) {
			break
		}
	}
	return fmt.Errorf("writing Lease %s: %w", h.key(), err)
}

// Release deletes the Lease the agent last wrote. A Lease written since (by the next agent of
// the node, during a rolling update) is left alone.
func (h *Heartbeat) Release(ctx context.Context) error {
	if h.last == nil {
		return nil
	}
	l := h.last
	uid, rv := l.UID, l.ResourceVersion
	err := h.Client.Delete(ctx, l, client.Preconditions{UID: &uid, ResourceVersion: &rv})
	switch {
	case err == nil:
		h.Log.Info("Deleted the agent's Lease", "lease", h.key())
	case apierrors.IsNotFound(err), apierrors.IsConflict(err):
		err = nil
	default:
		err = fmt.Errorf("deleting Lease %s: %w", h.key(), err)
	}
	h.last = nil
	return err
}

func (h *Heartbeat) get(ctx context.Context) (*coordinationv1.Lease, error) {
	l := &coordinationv1.Lease{}
	err := h.Client.Get(ctx, client.ObjectKey{Namespace: h.Spec.Namespace, Name: LeaseName(h.Spec.Node)}, l)
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading Lease %s: %w", h.key(), err)
	}
	return l, nil
}

func (h *Heartbeat) key() klog.ObjectRef {
	return klog.ObjectRef{Namespace: h.Spec.Namespace, Name: LeaseName(h.Spec.Node)}
}
