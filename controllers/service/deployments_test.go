package service

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/rollout"
)

var (
	then = metav1.NewTime(time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC))
	now  = metav1.NewTime(time.Date(2025, 3, 1, 11, 0, 0, 0, time.UTC))
)

const (
	idA = "ecs-svc/1000000000000000001"
	idB = "ecs-svc/2000000000000000002"
	idC = "ecs-svc/3000000000000000003"
	idN = "ecs-svc/9000000000000000009"
)

func tdArn(rev string) string {
	return "arn:aws:ecs:us-east-1:000000000000:task-definition/web:" + rev
}

// dep is a deployment as an earlier pass left it.
func dep(id string, status ecsv1alpha1.DeploymentStatus, state ecsv1alpha1.DeploymentRolloutState, hash string) ecsv1alpha1.Deployment {
	reason := rollout.InProgressReason(id)
	switch state {
	case ecsv1alpha1.RolloutCompleted:
		reason = rollout.CompletedReason(id)
	case ecsv1alpha1.RolloutFailed:
		reason = rollout.FailedReason
	}
	return ecsv1alpha1.Deployment{
		ID: id, Status: status, TaskDefinition: tdArn(hash), RolloutState: state, RolloutStateReason: reason,
		SpecHash: hash, CreatedAt: &then, UpdatedAt: &then, LaunchType: ecsv1alpha1.LaunchTypeEC2,
	}
}

func with(d ecsv1alpha1.Deployment, f func(*ecsv1alpha1.Deployment)) ecsv1alpha1.Deployment {
	f(&d)
	return d
}

func TestPlanDeployments(t *testing.T) {
	w := want{hash: "h2", taskDefinition: tdArn("2"), launchType: ecsv1alpha1.LaunchTypeEC2}
	fresh := ecsv1alpha1.Deployment{
		ID: idN, Status: ecsv1alpha1.DeploymentPrimary, TaskDefinition: tdArn("2"),
		CreatedAt: &now, UpdatedAt: &now, LaunchType: ecsv1alpha1.LaunchTypeEC2,
		RolloutState: ecsv1alpha1.RolloutInProgress, RolloutStateReason: "ECS deployment " + idN + " in progress.",
		SpecHash: "h2",
	}
	for _, tc := range []struct {
		name       string
		prev       []ecsv1alpha1.Deployment
		lastFailed *ecsv1alpha1.Deployment
		want       want
		out        []ecsv1alpha1.Deployment
		created    bool
	}{
		{
			name: "first deployment", want: w,
			out: []ecsv1alpha1.Deployment{fresh}, created: true,
		},
		{
			name: "first deployment with a capacity provider strategy",
			want: want{hash: "h2", taskDefinition: tdArn("2"), strategy: []ecsv1alpha1.CapacityProviderStrategyItem{{CapacityProvider: "FARGATE", Weight: ptr.To[int32](1)}}},
			out: []ecsv1alpha1.Deployment{with(fresh, func(d *ecsv1alpha1.Deployment) {
				d.LaunchType = ""
				d.CapacityProviderStrategy = []ecsv1alpha1.CapacityProviderStrategyItem{{CapacityProvider: "FARGATE", Weight: ptr.To[int32](1)}}
			})},
			created: true,
		},
		{
			name: "same hash keeps the PRIMARY deployment",
			prev: []ecsv1alpha1.Deployment{dep(idA, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutCompleted, "h2")},
			want: w,
			out:  []ecsv1alpha1.Deployment{dep(idA, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutCompleted, "h2")},
		},
		{
			name: "same hash keeps a rollout in progress and its ACTIVE deployment",
			prev: []ecsv1alpha1.Deployment{
				dep(idB, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h2"),
				dep(idA, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutCompleted, "h1"),
			},
			want: w,
			out: []ecsv1alpha1.Deployment{
				dep(idB, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h2"),
				dep(idA, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutCompleted, "h1"),
			},
		},
		{
			name: "new hash: new PRIMARY, the old PRIMARY becomes ACTIVE",
			prev: []ecsv1alpha1.Deployment{dep(idA, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutCompleted, "h1")},
			want: w,
			out: []ecsv1alpha1.Deployment{
				fresh,
				with(dep(idA, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutCompleted, "h1"), func(d *ecsv1alpha1.Deployment) { d.UpdatedAt = &now }),
			},
			created: true,
		},
		{
			name: "new hash during a rollout: the ACTIVE deployments stay behind the new one",
			prev: []ecsv1alpha1.Deployment{
				dep(idB, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h1b"),
				dep(idA, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutCompleted, "h1"),
			},
			want: w,
			out: []ecsv1alpha1.Deployment{
				fresh,
				with(dep(idB, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutInProgress, "h1b"), func(d *ecsv1alpha1.Deployment) { d.UpdatedAt = &now }),
				dep(idA, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutCompleted, "h1"),
			},
			created: true,
		},
		{
			name: "the hash of a FAILED deployment still listed is not deployed again",
			prev: []ecsv1alpha1.Deployment{
				dep(idA, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h1"),
				dep(idB, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutFailed, "h2"),
			},
			want: w,
			out: []ecsv1alpha1.Deployment{
				dep(idA, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h1"),
				dep(idB, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutFailed, "h2"),
			},
		},
		{
			name:       "the hash of the last FAILED deployment, gone from the list, is not deployed again",
			prev:       []ecsv1alpha1.Deployment{dep(idA, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h1")},
			lastFailed: ptr.To(dep(idB, ecsv1alpha1.DeploymentInactive, ecsv1alpha1.RolloutFailed, "h2")),
			want:       w,
			out:        []ecsv1alpha1.Deployment{dep(idA, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h1")},
		},
		{
			name: "a FAILED PRIMARY without rollback stays until the spec changes",
			prev: []ecsv1alpha1.Deployment{dep(idB, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutFailed, "h2")},
			want: w,
			out:  []ecsv1alpha1.Deployment{dep(idB, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutFailed, "h2")},
		},
		{
			name: "a new spec after a FAILED deployment is deployed",
			prev: []ecsv1alpha1.Deployment{
				dep(idA, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h1"),
				dep(idB, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutFailed, "h1b"),
			},
			lastFailed: ptr.To(dep(idC, ecsv1alpha1.DeploymentInactive, ecsv1alpha1.RolloutFailed, "h0")),
			want:       w,
			out: []ecsv1alpha1.Deployment{
				fresh,
				with(dep(idA, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutInProgress, "h1"), func(d *ecsv1alpha1.Deployment) { d.UpdatedAt = &now }),
				dep(idB, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutFailed, "h1b"),
			},
			created: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prev := cloneDeps(tc.prev)
			out, created := planDeployments(prev, tc.lastFailed, tc.want, now, idN)
			if created != tc.created {
				t.Errorf("created = %v, want %v", created, tc.created)
			}
			if diff := cmp.Diff(tc.out, out); diff != "" {
				t.Errorf("deployments (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.prev, prev); diff != "" {
				t.Errorf("planDeployments changed its input (-before +after):\n%s", diff)
			}
		})
	}
}

func cloneDeps(in []ecsv1alpha1.Deployment) []ecsv1alpha1.Deployment {
	if in == nil {
		return nil
	}
	out := make([]ecsv1alpha1.Deployment, len(in))
	for i := range in {
		in[i].DeepCopyInto(&out[i])
	}
	return out
}

func failed(d ecsv1alpha1.Deployment, n int32) ecsv1alpha1.Deployment {
	d.FailedTasks = n
	return d
}

func TestTripBreaker(t *testing.T) {
	enabled := &ecsv1alpha1.DeploymentCircuitBreaker{Enable: true}
	rollback := &ecsv1alpha1.DeploymentCircuitBreaker{Enable: true, Rollback: true}
	tripped := func(d ecsv1alpha1.Deployment, status ecsv1alpha1.DeploymentStatus) ecsv1alpha1.Deployment {
		d.Status, d.RolloutState, d.RolloutStateReason, d.UpdatedAt = status, ecsv1alpha1.RolloutFailed, rollout.FailedReason, &now
		return d
	}
	backTo := func(d ecsv1alpha1.Deployment) ecsv1alpha1.Deployment {
		d.Status, d.RolloutState, d.UpdatedAt, d.FailedTasks = ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, &now, 0
		d.RolloutStateReason = "ECS deployment circuit breaker: rolling back to deploymentId " + d.ID + "."
		return d
	}
	completedA := failed(dep(idA, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutCompleted, "h1"), 1)
	for _, tc := range []struct {
		name string
		cb   *ecsv1alpha1.DeploymentCircuitBreaker
		deps []ecsv1alpha1.Deployment
		want []ecsv1alpha1.Deployment
		res  breakerResult
	}{
		{
			name: "no circuit breaker",
			deps: []ecsv1alpha1.Deployment{failed(dep(idB, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h2"), 10), completedA},
			want: []ecsv1alpha1.Deployment{failed(dep(idB, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h2"), 10), completedA},
		},
		{
			name: "disabled circuit breaker",
			cb:   &ecsv1alpha1.DeploymentCircuitBreaker{Enable: false, Rollback: true},
			deps: []ecsv1alpha1.Deployment{failed(dep(idB, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h2"), 10), completedA},
			want: []ecsv1alpha1.Deployment{failed(dep(idB, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h2"), 10), completedA},
		},
		{
			name: "below the threshold nothing happens",
			cb:   rollback,
			deps: []ecsv1alpha1.Deployment{failed(dep(idB, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h2"), 2), completedA},
			want: []ecsv1alpha1.Deployment{failed(dep(idB, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h2"), 2), completedA},
		},
		{
			name: "a COMPLETED PRIMARY deployment is not failed",
			cb:   rollback,
			deps: []ecsv1alpha1.Deployment{failed(dep(idA, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutCompleted, "h1"), 5)},
			want: []ecsv1alpha1.Deployment{failed(dep(idA, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutCompleted, "h1"), 5)},
		},
		{
			name: "a FAILED PRIMARY deployment does not trip again",
			cb:   enabled,
			deps: []ecsv1alpha1.Deployment{failed(dep(idB, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutFailed, "h2"), 4)},
			want: []ecsv1alpha1.Deployment{failed(dep(idB, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutFailed, "h2"), 4)},
		},
		{
			name: "at the threshold without rollback: FAILED, still PRIMARY",
			cb:   enabled,
			deps: []ecsv1alpha1.Deployment{failed(dep(idB, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h2"), 3), completedA},
			want: []ecsv1alpha1.Deployment{tripped(failed(dep(idB, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h2"), 3), ecsv1alpha1.DeploymentPrimary), completedA},
			res:  breakerResult{failedID: idB},
		},
		{
			name: "at the threshold with rollback: the COMPLETED deployment is PRIMARY again, same id",
			cb:   rollback,
			deps: []ecsv1alpha1.Deployment{failed(dep(idB, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h2"), 3), completedA},
			want: []ecsv1alpha1.Deployment{
				backTo(completedA),
				tripped(failed(dep(idB, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h2"), 3), ecsv1alpha1.DeploymentActive),
			},
			res: breakerResult{failedID: idB, rolledBackTo: idA},
		},
		{
			name: "rollback goes to the most recent COMPLETED deployment and keeps the order of the rest",
			cb:   rollback,
			deps: []ecsv1alpha1.Deployment{
				failed(dep(idC, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h3"), 4),
				dep(idN, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutInProgress, "h2x"),
				dep(idB, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutCompleted, "h2"),
				completedA,
			},
			want: []ecsv1alpha1.Deployment{
				backTo(dep(idB, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutCompleted, "h2")),
				tripped(failed(dep(idC, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h3"), 4), ecsv1alpha1.DeploymentActive),
				dep(idN, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutInProgress, "h2x"),
				completedA,
			},
			res: breakerResult{failedID: idC, rolledBackTo: idB},
		},
		{
			name: "an INACTIVE COMPLETED deployment is no rollback target",
			cb:   rollback,
			deps: []ecsv1alpha1.Deployment{
				failed(dep(idB, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h2"), 3),
				dep(idA, ecsv1alpha1.DeploymentInactive, ecsv1alpha1.RolloutCompleted, "h1"),
			},
			want: []ecsv1alpha1.Deployment{
				tripped(failed(dep(idB, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h2"), 3), ecsv1alpha1.DeploymentPrimary),
				dep(idA, ecsv1alpha1.DeploymentInactive, ecsv1alpha1.RolloutCompleted, "h1"),
			},
			res: breakerResult{failedID: idB},
		},
		{
			name: "rollback without a COMPLETED deployment: FAILED, still PRIMARY",
			cb:   rollback,
			deps: []ecsv1alpha1.Deployment{
				failed(dep(idB, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h2"), 3),
				dep(idA, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutInProgress, "h1"),
			},
			want: []ecsv1alpha1.Deployment{
				tripped(failed(dep(idB, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h2"), 3), ecsv1alpha1.DeploymentPrimary),
				dep(idA, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutInProgress, "h1"),
			},
			res: breakerResult{failedID: idB},
		},
		{
			name: "the first deployment fails with nothing to roll back to",
			cb:   rollback,
			deps: []ecsv1alpha1.Deployment{failed(dep(idA, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h1"), 3)},
			want: []ecsv1alpha1.Deployment{tripped(failed(dep(idA, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h1"), 3), ecsv1alpha1.DeploymentPrimary)},
			res:  breakerResult{failedID: idA},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			deps := cloneDeps(tc.deps)
			got, res := tripBreaker(deps, tc.cb, 3, now)
			if res != tc.res {
				t.Errorf("result %+v, want %+v", res, tc.res)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("deployments (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.deps, deps); diff != "" {
				t.Errorf("tripBreaker changed its input (-before +after):\n%s", diff)
			}
		})
	}
}

func counted(d ecsv1alpha1.Deployment, desired, pending, running int32) ecsv1alpha1.Deployment {
	d.DesiredCount, d.PendingCount, d.RunningCount = desired, pending, running
	return d
}

func updated(d ecsv1alpha1.Deployment) ecsv1alpha1.Deployment {
	d.UpdatedAt = &now
	return d
}

func completed(d ecsv1alpha1.Deployment) ecsv1alpha1.Deployment {
	d.RolloutState, d.RolloutStateReason, d.UpdatedAt = ecsv1alpha1.RolloutCompleted, "ECS deployment "+d.ID+" completed.", &now
	return d
}

func TestSettle(t *testing.T) {
	primaryB := dep(idB, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h2")
	activeA := dep(idA, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutCompleted, "h1")
	for _, tc := range []struct {
		name          string
		deps          []ecsv1alpha1.Deployment
		counts        map[string]taskCounts
		unsettled     bool // a workload has not carried out its spec yet
		want          []ecsv1alpha1.Deployment
		completed     []string
		retiredFailed *ecsv1alpha1.Deployment
	}{
		{
			name:   "counts are recorded; a rollout with old tasks left is not complete",
			deps:   []ecsv1alpha1.Deployment{primaryB, activeA},
			counts: map[string]taskCounts{idB: {desired: 3, running: 3, healthy: 3, tasks: 3}, idA: {desired: 1, running: 1, healthy: 1, tasks: 1}},
			want:   []ecsv1alpha1.Deployment{updated(counted(primaryB, 3, 0, 3)), updated(counted(activeA, 1, 0, 1))},
		},
		{
			name:      "completed once no other deployment has tasks and desired tasks are healthy",
			deps:      []ecsv1alpha1.Deployment{counted(primaryB, 3, 0, 3), counted(activeA, 0, 0, 1)},
			counts:    map[string]taskCounts{idB: {desired: 3, running: 3, healthy: 3, tasks: 3}},
			want:      []ecsv1alpha1.Deployment{completed(counted(primaryB, 3, 0, 3))},
			completed: []string{idB},
		},
		{
			name:      "not completed before the workloads carried out their spec",
			deps:      []ecsv1alpha1.Deployment{counted(primaryB, 3, 0, 3)},
			counts:    map[string]taskCounts{idB: {desired: 3, running: 3, healthy: 3, tasks: 3}},
			unsettled: true,
			want:      []ecsv1alpha1.Deployment{counted(primaryB, 3, 0, 3)},
		},
		{
			name:   "not completed while tasks are not healthy yet",
			deps:   []ecsv1alpha1.Deployment{counted(primaryB, 3, 0, 3)},
			counts: map[string]taskCounts{idB: {desired: 3, running: 3, healthy: 2, tasks: 3}},
			want:   []ecsv1alpha1.Deployment{counted(primaryB, 3, 0, 3)},
		},
		{
			name:   "not completed while tasks are pending",
			deps:   []ecsv1alpha1.Deployment{primaryB},
			counts: map[string]taskCounts{idB: {desired: 3, pending: 1, running: 2, healthy: 2, tasks: 3}},
			want:   []ecsv1alpha1.Deployment{updated(counted(primaryB, 3, 1, 2))},
		},
		{
			name:   "not completed while a surplus task runs",
			deps:   []ecsv1alpha1.Deployment{counted(primaryB, 3, 0, 3)},
			counts: map[string]taskCounts{idB: {desired: 3, running: 3, healthy: 4, tasks: 4}},
			want:   []ecsv1alpha1.Deployment{counted(primaryB, 3, 0, 3)},
		},
		{
			name:   "an ACTIVE deployment that only has pending tasks holds completion back",
			deps:   []ecsv1alpha1.Deployment{counted(primaryB, 3, 0, 3), counted(activeA, 0, 1, 0)},
			counts: map[string]taskCounts{idB: {desired: 3, running: 3, healthy: 3, tasks: 3}, idA: {pending: 1, tasks: 1}},
			want:   []ecsv1alpha1.Deployment{counted(primaryB, 3, 0, 3), counted(activeA, 0, 1, 0)},
		},
		{
			name:      "a scale-to-zero deployment completes with no tasks",
			deps:      []ecsv1alpha1.Deployment{primaryB},
			counts:    map[string]taskCounts{idB: {}},
			want:      []ecsv1alpha1.Deployment{completed(primaryB)},
			completed: []string{idB},
		},
		{
			name:   "a COMPLETED deployment stays COMPLETED; unchanged counts keep updatedAt",
			deps:   []ecsv1alpha1.Deployment{counted(dep(idA, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutCompleted, "h1"), 2, 0, 2)},
			counts: map[string]taskCounts{idA: {desired: 2, running: 2, healthy: 2, tasks: 2}},
			want:   []ecsv1alpha1.Deployment{counted(dep(idA, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutCompleted, "h1"), 2, 0, 2)},
		},
		{
			name:   "a FAILED PRIMARY deployment is not completed",
			deps:   []ecsv1alpha1.Deployment{dep(idB, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutFailed, "h2")},
			counts: map[string]taskCounts{idB: {}},
			want:   []ecsv1alpha1.Deployment{dep(idB, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutFailed, "h2")},
		},
		{
			name:   "ACTIVE deployments without tasks leave the list",
			deps:   []ecsv1alpha1.Deployment{primaryB, activeA, dep(idC, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutInProgress, "h0")},
			counts: map[string]taskCounts{idB: {desired: 3, running: 1, tasks: 1}, idA: {desired: 2, running: 2, tasks: 2}},
			want:   []ecsv1alpha1.Deployment{updated(counted(primaryB, 3, 0, 1)), updated(counted(activeA, 2, 0, 2))},
		},
		{
			name: "the newest FAILED deployment without tasks is retired INACTIVE and remembered",
			deps: []ecsv1alpha1.Deployment{
				dep(idA, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h1"),
				failed(dep(idC, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutFailed, "h3"), 3),
				failed(dep(idB, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutFailed, "h2"), 3),
			},
			counts: map[string]taskCounts{idA: {desired: 1, running: 1, tasks: 1}},
			want:   []ecsv1alpha1.Deployment{updated(counted(dep(idA, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h1"), 1, 0, 1))},
			retiredFailed: ptr.To(with(failed(dep(idC, ecsv1alpha1.DeploymentInactive, ecsv1alpha1.RolloutFailed, "h3"), 3), func(d *ecsv1alpha1.Deployment) {
				d.UpdatedAt = &now
			})),
		},
		{
			name: "a FAILED deployment with tasks stays ACTIVE",
			deps: []ecsv1alpha1.Deployment{
				dep(idA, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h1"),
				failed(dep(idB, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutFailed, "h2"), 3),
			},
			counts: map[string]taskCounts{idA: {desired: 1, running: 1, tasks: 1}, idB: {pending: 1, tasks: 1}},
			want: []ecsv1alpha1.Deployment{
				updated(counted(dep(idA, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h1"), 1, 0, 1)),
				updated(counted(failed(dep(idB, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutFailed, "h2"), 3), 0, 1, 0)),
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			deps := cloneDeps(tc.deps)
			got, done, retired := settle(deps, tc.counts, !tc.unsettled, now)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("deployments (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.completed, done); diff != "" {
				t.Errorf("completed (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.retiredFailed, retired); diff != "" {
				t.Errorf("retired FAILED deployment (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.deps, deps); diff != "" {
				t.Errorf("settle changed its input (-before +after):\n%s", diff)
			}
		})
	}
}

func TestBreakerStatus(t *testing.T) {
	enabled := &ecsv1alpha1.DeploymentCircuitBreaker{Enable: true, Rollback: true}
	lastFailed := failed(dep(idB, ecsv1alpha1.DeploymentInactive, ecsv1alpha1.RolloutFailed, "h2"), 3)
	for _, tc := range []struct {
		name       string
		cb         *ecsv1alpha1.DeploymentCircuitBreaker
		deps       []ecsv1alpha1.Deployment
		lastFailed *ecsv1alpha1.Deployment
		specHash   string
		want       ecsv1alpha1.ServiceCircuitBreakerStatus
	}{
		{
			name: "no circuit breaker",
			deps: []ecsv1alpha1.Deployment{failed(dep(idB, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutFailed, "h2"), 3)},
			want: ecsv1alpha1.ServiceCircuitBreakerStatus{Status: ecsv1alpha1.CircuitBreakerDisabled, Threshold: 3},
		},
		{
			name: "disabled",
			cb:   &ecsv1alpha1.DeploymentCircuitBreaker{Rollback: true},
			deps: []ecsv1alpha1.Deployment{dep(idB, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h2")},
			want: ecsv1alpha1.ServiceCircuitBreakerStatus{Status: ecsv1alpha1.CircuitBreakerDisabled, Threshold: 3},
		},
		{
			name: "no deployment yet",
			cb:   enabled,
			want: ecsv1alpha1.ServiceCircuitBreakerStatus{Status: ecsv1alpha1.CircuitBreakerDisabled, Threshold: 3},
		},
		{
			name: "monitoring a rollout, with the PRIMARY's failures",
			cb:   enabled,
			deps: []ecsv1alpha1.Deployment{failed(dep(idB, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h2"), 2), failed(dep(idA, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutCompleted, "h1"), 1)},
			want: ecsv1alpha1.ServiceCircuitBreakerStatus{Status: ecsv1alpha1.CircuitBreakerMonitoring, FailureCount: 2, Threshold: 3},
		},
		{
			name: "monitoring complete",
			cb:   enabled,
			deps: []ecsv1alpha1.Deployment{dep(idA, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutCompleted, "h1")},
			want: ecsv1alpha1.ServiceCircuitBreakerStatus{Status: ecsv1alpha1.CircuitBreakerMonitoringComplete, Threshold: 3},
		},
		{
			name: "triggered: the FAILED PRIMARY",
			cb:   &ecsv1alpha1.DeploymentCircuitBreaker{Enable: true},
			deps: []ecsv1alpha1.Deployment{failed(dep(idB, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutFailed, "h2"), 3)},
			want: ecsv1alpha1.ServiceCircuitBreakerStatus{Status: ecsv1alpha1.CircuitBreakerTriggered, FailureCount: 3, Threshold: 3},
		},
		{
			name: "triggered while rolling back from the FAILED deployment",
			cb:   enabled,
			deps: []ecsv1alpha1.Deployment{
				dep(idA, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h1"),
				failed(dep(idB, ecsv1alpha1.DeploymentActive, ecsv1alpha1.RolloutFailed, "h2"), 3),
			},
			want: ecsv1alpha1.ServiceCircuitBreakerStatus{Status: ecsv1alpha1.CircuitBreakerTriggered, FailureCount: 3, Threshold: 3},
		},
		{
			name:       "still triggered after the rollback while the spec asks for what failed",
			cb:         enabled,
			deps:       []ecsv1alpha1.Deployment{dep(idA, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutCompleted, "h1")},
			lastFailed: &lastFailed, specHash: "h2",
			want: ecsv1alpha1.ServiceCircuitBreakerStatus{Status: ecsv1alpha1.CircuitBreakerTriggered, FailureCount: 3, Threshold: 3},
		},
		{
			name:       "monitoring the deployment of a new spec after a failed one",
			cb:         enabled,
			deps:       []ecsv1alpha1.Deployment{failed(dep(idC, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutInProgress, "h3"), 1)},
			lastFailed: &lastFailed, specHash: "h3",
			want: ecsv1alpha1.ServiceCircuitBreakerStatus{Status: ecsv1alpha1.CircuitBreakerMonitoring, FailureCount: 1, Threshold: 3},
		},
		{
			name:       "a spec back on the rolled back deployment's is no longer held back",
			cb:         enabled,
			deps:       []ecsv1alpha1.Deployment{dep(idA, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutCompleted, "h1")},
			lastFailed: &lastFailed, specHash: "h1",
			want: ecsv1alpha1.ServiceCircuitBreakerStatus{Status: ecsv1alpha1.CircuitBreakerMonitoringComplete, Threshold: 3},
		},
		{
			name:       "a task definition that does not resolve says nothing about the spec",
			cb:         enabled,
			deps:       []ecsv1alpha1.Deployment{dep(idA, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutCompleted, "h1")},
			lastFailed: &lastFailed,
			want:       ecsv1alpha1.ServiceCircuitBreakerStatus{Status: ecsv1alpha1.CircuitBreakerMonitoringComplete, Threshold: 3},
		},
		{
			name:       "a disabled breaker is DISABLED whatever failed before",
			cb:         &ecsv1alpha1.DeploymentCircuitBreaker{},
			deps:       []ecsv1alpha1.Deployment{dep(idA, ecsv1alpha1.DeploymentPrimary, ecsv1alpha1.RolloutCompleted, "h1")},
			lastFailed: &lastFailed, specHash: "h2",
			want: ecsv1alpha1.ServiceCircuitBreakerStatus{Status: ecsv1alpha1.CircuitBreakerDisabled, Threshold: 3},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := breakerStatus(tc.deps, tc.lastFailed, tc.specHash, tc.cb, 3)
			if diff := cmp.Diff(&tc.want, got); diff != "" {
				t.Errorf("breakerStatus (-want +got):\n%s", diff)
			}
		})
	}
}
