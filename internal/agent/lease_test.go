package agent_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/agent"
	"github.com/kube-ecs/kube-ecs/internal/scheme"
)

var leaseSpec = agent.LeaseSpec{Namespace: "kube-ecs-system", Node: "node-a", Timeout: 40 * time.Second, Version: "v1.2.3"}

func micro(t time.Time) *metav1.MicroTime { m := metav1.NewMicroTime(t); return &m }

func TestRenewLease(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	now := t0.Add(10 * time.Second)
	fresh := func(holder string, renewed time.Time, mutate ...func(*coordinationv1.Lease)) *coordinationv1.Lease {
		l := &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{
				Namespace: "kube-ecs-system", Name: "agent-node-a", ResourceVersion: "7", UID: "lease-uid",
				Labels:      map[string]string{"app.kubernetes.io/name": "kube-ecs-agent"},
				Annotations: map[string]string{ecsv1alpha1.AgentVersionAnnotation: "v1.2.3"},
			},
			Spec: coordinationv1.LeaseSpec{
				HolderIdentity: ptr.To(holder), LeaseDurationSeconds: ptr.To[int32](40),
				AcquireTime: micro(t0), RenewTime: micro(renewed),
			},
		}
		for _, m := range mutate {
			m(l)
		}
		return l
	}
	tests := []struct {
		name     string
		existing *coordinationv1.Lease
		want     *coordinationv1.Lease
	}{
		{
			name: "no Lease: a new one, acquired now",
			want: &coordinationv1.Lease{
				ObjectMeta: metav1.ObjectMeta{
					Namespace: "kube-ecs-system", Name: "agent-node-a",
					Labels:      map[string]string{"app.kubernetes.io/name": "kube-ecs-agent"},
					Annotations: map[string]string{ecsv1alpha1.AgentVersionAnnotation: "v1.2.3"},
				},
				Spec: coordinationv1.LeaseSpec{
					HolderIdentity: ptr.To("node-a"), LeaseDurationSeconds: ptr.To[int32](40),
					AcquireTime: micro(now), RenewTime: micro(now),
				},
			},
		},
		{
			name:     "its own Lease: only renewTime moves",
			existing: fresh("node-a", t0),
			want:     fresh("node-a", now),
		},
		{
			name:     "an expired Lease of its own is renewed the same way",
			existing: fresh("node-a", t0.Add(-time.Hour)),
			want:     fresh("node-a", now),
		},
		{
			name: "another holder's Lease is taken over",
			existing: fresh("someone-else", t0, func(l *coordinationv1.Lease) {
				l.Spec.LeaseTransitions = ptr.To[int32](2)
			}),
			want: fresh("node-a", now, func(l *coordinationv1.Lease) {
				l.Spec.LeaseTransitions = ptr.To[int32](3)
				l.Spec.AcquireTime = micro(now)
			}),
		},
		{
			name: "an older agent's Lease gets this version, duration and label; others' labels stay",
			existing: fresh("node-a", t0, func(l *coordinationv1.Lease) {
				l.Labels = map[string]string{"team": "infra"}
				l.Annotations[ecsv1alpha1.AgentVersionAnnotation] = "v1.0.0"
				l.Spec.LeaseDurationSeconds = ptr.To[int32](15)
				l.Spec.AcquireTime = nil
			}),
			want: fresh("node-a", now, func(l *coordinationv1.Lease) {
				l.Labels["team"] = "infra"
				l.Spec.AcquireTime = micro(now)
			}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before *coordinationv1.Lease
			if tt.existing != nil {
				before = tt.existing.DeepCopy()
			}
			got := agent.RenewLease(tt.existing, leaseSpec, now)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("RenewLease (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, tt.existing); diff != "" {
				t.Errorf("RenewLease changed its input (-before +after):\n%s", diff)
			}
		})
	}
}

func TestRetryDelay(t *testing.T) {
	interval := 10 * time.Second
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for i, w := range want {
		if got := agent.RetryDelay(interval, i+1); got != w {
			t.Errorf("RetryDelay(%s, %d) = %s, want %s", interval, i+1, got, w)
		}
	}
	if got := agent.RetryDelay(500*time.Millisecond, 1); got != 500*time.Millisecond {
		t.Errorf("RetryDelay never waits longer than the interval, got %s", got)
	}
}

// heartbeatRun runs a Heartbeat on a fake client and clock.
type heartbeatRun struct {
	t      *testing.T
	c      client.Client
	clock  *clocktesting.FakeClock
	h      *agent.Heartbeat
	cancel context.CancelFunc
	done   chan error
}

func startHeartbeat(t *testing.T, c client.Client) *heartbeatRun {
	t.Helper()
	r := &heartbeatRun{t: t, c: c, clock: clocktesting.NewFakeClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)), done: make(chan error, 1)}
	r.h = &agent.Heartbeat{Client: c, Clock: r.clock, Spec: leaseSpec, Interval: 10 * time.Second, Log: logr.Discard()}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- r.h.Run(ctx) }()
	t.Cleanup(cancel)
	return r
}

func (r *heartbeatRun) lease() (*coordinationv1.Lease, error) {
	l := &coordinationv1.Lease{}
	err := r.c.Get(context.Background(), client.ObjectKey{Namespace: "kube-ecs-system", Name: "agent-node-a"}, l)
	return l, err
}

// waitRenewed waits until the Lease was renewed at the fake clock's time and the heartbeat
// waits for its next tick.
func (r *heartbeatRun) waitRenewed() *coordinationv1.Lease {
	r.t.Helper()
	var got *coordinationv1.Lease
	err := wait.PollUntilContextTimeout(context.Background(), 5*time.Millisecond, 5*time.Second, true, func(context.Context) (bool, error) {
		l, err := r.lease()
		if err != nil || l.Spec.RenewTime == nil || !l.Spec.RenewTime.Time.Equal(r.clock.Now()) || !r.clock.HasWaiters() {
			return false, nil
		}
		got = l
		return true, nil
	})
	if err != nil {
		l, lerr := r.lease()
		r.t.Fatalf("the Lease was not renewed at %s: %v (lease %+v, %v)", r.clock.Now(), err, l.Spec, lerr)
	}
	return got
}

func (r *heartbeatRun) stop() error {
	r.t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		return err
	case <-time.After(5 * time.Second):
		r.t.Fatal("the heartbeat did not stop")
		return nil
	}
}

func TestHeartbeatRenewsThenDeletesItsLease(t *testing.T) {
	c := fake.NewClientBuilder().WithScheme(scheme.New()).Build()
	r := startHeartbeat(t, c)
	first := r.waitRenewed()
	if *first.Spec.HolderIdentity != "node-a" || *first.Spec.LeaseDurationSeconds != 40 || first.Annotations[ecsv1alpha1.AgentVersionAnnotation] != "v1.2.3" {
		t.Errorf("the Lease is %+v %v", first.Spec, first.Annotations)
	}
	for range 3 {
		r.clock.Step(10 * time.Second)
		got := r.waitRenewed()
		if !got.Spec.AcquireTime.Equal(first.Spec.AcquireTime) {
			t.Errorf("acquireTime moved from %s to %s", first.Spec.AcquireTime, got.Spec.AcquireTime)
		}
	}
	if err := r.stop(); err != nil {
		t.Fatalf("Run returned %v", err)
	}
	if _, err := r.lease(); !apierrors.IsNotFound(err) {
		t.Errorf("the Lease is still there after the agent stopped (err %v)", err)
	}
}

func TestHeartbeatRecoversFromAConflict(t *testing.T) {
	c := fake.NewClientBuilder().WithScheme(scheme.New()).Build()
	r := startHeartbeat(t, c)
	r.waitRenewed()
	// Someone else writes the Lease: the agent's next update conflicts, it reads again.
	l, _ := r.lease()
	l.Labels["touched"] = "yes"
	if err := c.Update(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	r.clock.Step(10 * time.Second)
	got := r.waitRenewed()
	if got.Labels["touched"] != "yes" {
		t.Errorf("the renewal lost someone else's label: %v", got.Labels)
	}
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
}

func TestHeartbeatLeavesANewerAgentsLease(t *testing.T) {
	c := fake.NewClientBuilder().WithScheme(scheme.New()).Build()
	r := startHeartbeat(t, c)
	r.waitRenewed()
	// The next agent of the node (a surge rolling update) renews the Lease; when this one
	// stops it must not delete it.
	l, _ := r.lease()
	l.Spec.RenewTime = micro(r.clock.Now().Add(time.Second))
	if err := c.Update(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.lease(); err != nil {
		t.Errorf("the newer agent's Lease was deleted: %v", err)
	}
}

func TestHeartbeatRetriesSoonerAfterAFailure(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	c := fake.NewClientBuilder().WithScheme(scheme.New()).WithInterceptorFuncs(interceptorCreateFails(&fail)).Build()
	r := startHeartbeat(t, c)
	// The first create fails: the heartbeat retries after 1 s, not 10.
	if err := wait.PollUntilContextTimeout(context.Background(), 5*time.Millisecond, 5*time.Second, true, func(context.Context) (bool, error) {
		return r.clock.HasWaiters(), nil
	}); err != nil {
		t.Fatal("the heartbeat did not wait after the failure")
	}
	fail.Store(false)
	r.clock.Step(time.Second)
	r.waitRenewed()
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
}

func interceptorCreateFails(fail *atomic.Bool) interceptor.Funcs {
	return interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			if fail.Load() {
				return errors.New("the API server is away")
			}
			return c.Create(ctx, obj, opts...)
		},
	}
}
