package taskdefinition

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// Reference is what a task or service names: a family and a revision (0: the latest
// ACTIVE revision).
type Reference struct {
	Family   string
	Revision int32
}

func (r Reference) String() string {
	if r.Revision == 0 {
		return r.Family
	}
	return r.Family + ":" + strconv.Itoa(int(r.Revision))
}

var refRE = regexp.MustCompile(`^(?:arn:[^:]+:ecs:[^:]*:[^:]*:task-definition/)?([a-zA-Z0-9_.-]+)(?::([0-9]+))?$`)

// ParseReference parses "family", "family:N" or a task definition ARN. The ARN's region
// and account are ignored: a namespace holds one account's task definitions.
func ParseReference(ref string) (Reference, error) {
	m := refRE.FindStringSubmatch(ref)
	if m == nil {
		return Reference{}, fmt.Errorf("invalid task definition %q: use family, family:revision or a task definition ARN", ref)
	}
	r := Reference{Family: m[1]}
	if m[2] != "" {
		n, err := strconv.ParseInt(m[2], 10, 32)
		if err != nil || n < 1 {
			return Reference{}, fmt.Errorf("invalid revision in task definition %q", ref)
		}
		r.Revision = int32(n)
	}
	return r, nil
}

// Resolution errors, in ECS's words.
var (
	// ErrNotFound: the family or the revision does not exist.
	ErrNotFound = errors.New("Unable to describe task definition.")
	// ErrInactive: the revision is deregistered and cannot start new tasks or services.
	ErrInactive = errors.New("TaskDefinition is inactive")
)

// Resolved is the revision a reference resolves to.
type Resolved struct {
	Reference Reference // with the revision filled in
	Spec      *ecsv1alpha1.TaskDefinitionSpec
	Revision  *appsv1.ControllerRevision
}

// Resolve finds the revision ref names in namespace, as ECS does for RunTask and
// CreateService: a bare family means its latest ACTIVE revision, and an INACTIVE revision
// cannot start anything new. Errors wrap ErrNotFound or ErrInactive; with ErrInactive for
// a pinned revision the revision is returned too.
func Resolve(ctx context.Context, c client.Reader, namespace, ref string) (*Resolved, error) {
	r, err := ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("%w %v", ErrNotFound, err)
	}
	td := &ecsv1alpha1.TaskDefinition{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: r.Family}, td); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("%w No task definition family %q in namespace %q", ErrNotFound, r.Family, namespace)
		}
		return nil, fmt.Errorf("reading task definition %s: %w", r.Family, err)
	}
	list := &appsv1.ControllerRevisionList{}
	if err := c.List(ctx, list, client.InNamespace(namespace), client.MatchingLabels{ecsv1alpha1.FamilyLabel: r.Family}); err != nil {
		return nil, fmt.Errorf("listing revisions of %s: %w", r.Family, err)
	}
	revs := owned(td, list.Items)
	sortRevisions(revs)
	cr, err := pick(td, revs, r)
	if cr == nil {
		return nil, err
	}
	spec, derr := Decode(cr)
	if derr != nil {
		return nil, derr
	}
	// A pinned INACTIVE revision comes back with ErrInactive: nothing new may start from
	// it, but a service already running it keeps its tasks and can still scale, as in ECS.
	return &Resolved{Reference: Reference{Family: r.Family, Revision: revisionNumber(cr)}, Spec: spec, Revision: cr}, err
}

// pick chooses the revision r names among revs (oldest first).
func pick(td *ecsv1alpha1.TaskDefinition, revs []appsv1.ControllerRevision, r Reference) (*appsv1.ControllerRevision, error) {
	if r.Revision == 0 {
		for i := len(revs) - 1; i >= 0; i-- {
			if !isInactive(td, &revs[i]) {
				return &revs[i], nil
			}
		}
		if len(revs) == 0 {
			return nil, fmt.Errorf("%w Task definition %q has no registered revision yet", ErrNotFound, r.Family)
		}
		return nil, fmt.Errorf("%w: every revision of %q is INACTIVE", ErrInactive, r.Family)
	}
	for i := range revs {
		if revisionNumber(&revs[i]) == r.Revision {
			if isInactive(td, &revs[i]) {
				return &revs[i], fmt.Errorf("%w: %s is INACTIVE (deregistered)", ErrInactive, r)
			}
			return &revs[i], nil
		}
	}
	return nil, fmt.Errorf("%w Revision %d of %q does not exist", ErrNotFound, r.Revision, r.Family)
}

// owned keeps the revisions td controls: a ControllerRevision with the family label that
// td does not own is not a revision of it.
func owned(td *ecsv1alpha1.TaskDefinition, revs []appsv1.ControllerRevision) []appsv1.ControllerRevision {
	out := revs[:0:0]
	for _, cr := range revs {
		if ref := metav1.GetControllerOf(&cr); ref != nil && ref.UID == td.UID {
			out = append(out, cr)
		}
	}
	return out
}
