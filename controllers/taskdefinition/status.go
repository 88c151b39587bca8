package taskdefinition

import (
	"slices"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/arn"
)

// revisionNumber is the revision a ControllerRevision registers.
func revisionNumber(cr *appsv1.ControllerRevision) int32 { return int32(cr.Revision) }

// sortRevisions orders revisions oldest first.
func sortRevisions(revs []appsv1.ControllerRevision) {
	slices.SortFunc(revs, func(a, b appsv1.ControllerRevision) int { return int(a.Revision - b.Revision) })
}

// nextRevision is the number the next registration of td gets: one more than the newest,
// or, for a family's first revision, the revision of the pasted describe output (else 1).
func nextRevision(td *ecsv1alpha1.TaskDefinition, revs []appsv1.ControllerRevision) int32 {
	if len(revs) == 0 {
		if td.Spec.Revision != nil && *td.Spec.Revision >= 1 {
			return *td.Spec.Revision
		}
		return 1
	}
	return revisionNumber(&revs[len(revs)-1]) + 1
}

// needsRegistration says whether the current spec (by hash) differs from the newest revision.
func needsRegistration(revs []appsv1.ControllerRevision, hash string) bool {
	return len(revs) == 0 || revs[len(revs)-1].Labels[SpecHashLabel] != hash
}

// isInactive says whether revision cr is deregistered, by the family's spec or by the
// record the controller made (a deregistered revision never becomes ACTIVE again).
func isInactive(td *ecsv1alpha1.TaskDefinition, cr *appsv1.ControllerRevision) bool {
	_, recorded := cr.Annotations[DeregisteredAtAnnotation]
	return recorded || slices.Contains(td.Spec.DeregisteredRevisions, revisionNumber(cr))
}

// toDeregister lists the revisions the spec deregisters that carry no record of it yet.
func toDeregister(td *ecsv1alpha1.TaskDefinition, revs []appsv1.ControllerRevision) []*appsv1.ControllerRevision {
	var out []*appsv1.ControllerRevision
	for i := range revs {
		cr := &revs[i]
		if _, recorded := cr.Annotations[DeregisteredAtAnnotation]; !recorded && slices.Contains(td.Spec.DeregisteredRevisions, revisionNumber(cr)) {
			out = append(out, cr)
		}
	}
	return out
}

// unknownDeregistrations lists numbers in spec.deregisteredRevisions that name no revision.
func unknownDeregistrations(td *ecsv1alpha1.TaskDefinition, revs []appsv1.ControllerRevision) []int32 {
	var out []int32
	for _, n := range td.Spec.DeregisteredRevisions {
		if !slices.ContainsFunc(revs, func(cr appsv1.ControllerRevision) bool { return revisionNumber(&cr) == n }) {
			out = append(out, n)
		}
	}
	return out
}

// computeStatus is the family's status given its revisions (oldest first), the revision
// the current spec registered, and the previous status (for condition transition times).
func computeStatus(td *ecsv1alpha1.TaskDefinition, revs []appsv1.ControllerRevision, current int32, scope arn.Scope, now metav1.Time) ecsv1alpha1.TaskDefinitionStatus {
	st := ecsv1alpha1.TaskDefinitionStatus{
		ObservedGeneration: td.Generation,
		Revision:           current,
		Conditions:         slices.Clone(td.Status.Conditions),
	}
	if current > 0 {
		st.TaskDefinitionArn = scope.TaskDefinition(td.Name, current)
	}
	for i := range revs {
		cr := &revs[i]
		n := revisionNumber(cr)
		r := ecsv1alpha1.TaskDefinitionRevision{
			Revision:           n,
			Status:             ecsv1alpha1.TaskDefinitionRevisionActive,
			TaskDefinitionArn:  scope.TaskDefinition(td.Name, n),
			RegisteredAt:       cr.CreationTimestamp,
			ControllerRevision: cr.Name,
		}
		if isInactive(td, cr) {
			r.Status = ecsv1alpha1.TaskDefinitionRevisionInactive
			if at, err := time.Parse(time.RFC3339, cr.Annotations[DeregisteredAtAnnotation]); err == nil {
				t := metav1.NewTime(at)
				r.DeregisteredAt = &t
			} else {
				r.DeregisteredAt = &now
			}
		} else {
			st.LatestActiveRevision = n
		}
		st.Revisions = append(st.Revisions, r)
	}
	setReady(&st, td, revs, current)
	return st
}

func setReady(st *ecsv1alpha1.TaskDefinitionStatus, td *ecsv1alpha1.TaskDefinition, revs []appsv1.ControllerRevision, current int32) {
	c := metav1.Condition{
		Type:               ecsv1alpha1.ReadyCondition,
		Status:             metav1.ConditionTrue,
		Reason:             ecsv1alpha1.ReconciledReason,
		Message:            "revision " + strconv.Itoa(int(current)) + " is registered",
		ObservedGeneration: td.Generation,
	}
	if st.LatestActiveRevision == 0 {
		c.Status = metav1.ConditionFalse
		c.Reason = ecsv1alpha1.TaskDefinitionInactiveReason
		c.Message = "every revision of the family is INACTIVE: no new task or service can use it until a new revision is registered"
	}
	if unknown := unknownDeregistrations(td, revs); len(unknown) > 0 {
		c.Message += "; deregisteredRevisions names revisions that do not exist: " + joinInts(unknown)
	}
	meta.SetStatusCondition(&st.Conditions, c)
}

func joinInts(ns []int32) string {
	s := ""
	for i, n := range ns {
		if i > 0 {
			s += ", "
		}
		s += strconv.Itoa(int(n))
	}
	return s
}
