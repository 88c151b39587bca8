package spot

import (
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

type nodeOpt func(*corev1.Node)

func node(opts ...nodeOpt) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "spot-1", Annotations: map[string]string{}}}
	for _, o := range opts {
		o(n)
	}
	return n
}

func requested(n *corev1.Node) { n.Annotations[ecsv1alpha1.SpotInterruptionAnnotation] = "now" }

func reclaimAt(at time.Time) nodeOpt {
	return func(n *corev1.Node) { n.Annotations[ecsv1alpha1.SpotReclaimAtAnnotation] = at.Format(time.RFC3339) }
}

func tainted(n *corev1.Node) {
	n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: ecsv1alpha1.SpotInterruptionTaint, Effect: corev1.TaintEffectNoSchedule})
}

type podOpt func(*corev1.Pod)

func pod(name, provider string, opts ...podOpt) corev1.Pod {
	p := corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{}},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning},
	}
	if provider != "" {
		p.Labels[ecsv1alpha1.CapacityProviderLabel] = provider
	}
	for _, o := range opts {
		o(&p)
	}
	return p
}

func notified(p *corev1.Pod)  { p.Status.Conditions = append(p.Status.Conditions, Notice(t0)) }
func deleting(p *corev1.Pod)  { p.DeletionTimestamp = &metav1.Time{Time: t0} }
func succeeded(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded }

func names(ps []*corev1.Pod) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}

func TestPlan(t *testing.T) {
	const spot, fargate = ecsv1alpha1.CapacityProviderFargateSpot, ecsv1alpha1.CapacityProviderFargate
	warning := 2 * time.Minute
	pods := []corev1.Pod{
		pod("a", spot), pod("b", spot, notified), pod("c", spot, deleting), pod("d", spot, succeeded),
		pod("e", fargate), pod("kube-proxy", ""),
	}
	tests := []struct {
		name   string
		node   *corev1.Node
		inPool bool
		now    time.Time
		want   Step
		notify []string
		kill   []string
	}{
		{name: "nothing asked", node: node(), inPool: true, now: t0, want: Step{}},
		{
			name: "asked: taint, reclaim in two minutes, notify the running Spot tasks",
			node: node(requested), inPool: true, now: t0,
			want:   Step{ReclaimAt: t0.Add(warning), Taint: true, RequeueAfter: warning},
			notify: []string{"a"},
		},
		{
			name: "asked between two seconds: the reclaim time rounds up, never shortening the warning",
			node: node(requested), inPool: true, now: t0.Add(300 * time.Millisecond),
			want:   Step{ReclaimAt: t0.Add(warning + time.Second), Taint: true, RequeueAfter: warning + 700*time.Millisecond},
			notify: []string{"a"},
		},
		{
			name: "during the warning: notify what was missed, look again at the reclaim",
			node: node(requested, reclaimAt(t0.Add(warning)), tainted), inPool: true, now: t0.Add(30 * time.Second),
			want:   Step{ReclaimAt: t0.Add(warning), RequeueAfter: 90 * time.Second},
			notify: []string{"a"},
		},
		{
			name: "during the warning, taint removed by someone: taint again",
			node: node(requested, reclaimAt(t0.Add(warning))), inPool: true, now: t0.Add(time.Minute),
			want:   Step{ReclaimAt: t0.Add(warning), Taint: true, RequeueAfter: time.Minute},
			notify: []string{"a"},
		},
		{
			name:   "an unreadable reclaim time starts the warning over",
			node:   node(requested, tainted, func(n *corev1.Node) { n.Annotations[ecsv1alpha1.SpotReclaimAtAnnotation] = "soon" }),
			inPool: true, now: t0,
			want:   Step{ReclaimAt: t0.Add(warning), Taint: true, RequeueAfter: warning},
			notify: []string{"a"},
		},
		{
			name: "warning over: kill the Spot tasks still there, replace the capacity",
			node: node(requested, reclaimAt(t0.Add(warning)), tainted), inPool: true, now: t0.Add(warning),
			want: Step{Finish: true},
			kill: []string{"a", "b", "c"},
		},
		{
			name: "annotation removed during the warning: cancelled",
			node: node(reclaimAt(t0.Add(warning)), tainted), inPool: true, now: t0.Add(time.Second),
			want: Step{Finish: true},
		},
		{
			name: "not in the FARGATE_SPOT pool: ignored",
			node: node(requested), inPool: false, now: t0,
			want: Step{Ignored: true},
		},
		{
			name: "left the pool during the warning: ended",
			node: node(requested, reclaimAt(t0.Add(warning)), tainted), inPool: false, now: t0,
			want: Step{Ignored: true, Finish: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Plan(tt.node, pods, tt.inPool, warning, tt.now)
			if n, k := names(got.Notify), names(got.Kill); !slices.Equal(n, tt.notify) || !slices.Equal(k, tt.kill) {
				t.Errorf("notify %v kill %v, want notify %v kill %v", n, k, tt.notify, tt.kill)
			}
			got.Notify, got.Kill = nil, nil
			if !got.ReclaimAt.Equal(tt.want.ReclaimAt) || got.Taint != tt.want.Taint || got.Finish != tt.want.Finish ||
				got.Ignored != tt.want.Ignored || got.RequeueAfter != tt.want.RequeueAfter {
				t.Errorf("Plan() = %+v, want %+v", got, tt.want)
			}
		})
	}
}
