package admission

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/placement/cql"
)

// PlacementPath is where the webhook serves its checks.
const PlacementPath = "/validate-placement"

// The webhook reads the task definitions, revisions and clusters it checks against.
// +kubebuilder:rbac:groups=ecs.kube-ecs.io,resources=taskdefinitions;clusters,verbs=get
// +kubebuilder:rbac:groups=apps,resources=controllerrevisions,verbs=list

// Register adds the webhook's handlers to server. reader reads task definitions, their
// revisions and clusters; the manager's API reader, so that a revision registered a moment
// ago is seen.
func Register(server webhook.Server, scheme *runtime.Scheme, reader client.Reader) {
	server.Register(PlacementPath, &webhook.Admission{Handler: &validator{decoder: admission.NewDecoder(scheme), reader: reader}})
}

type validator struct {
	decoder admission.Decoder
	reader  client.Reader
}

// Handle checks a Task, Service or TaskDefinition being created or updated.
func (v *validator) Handle(ctx context.Context, req admission.Request) admission.Response {
	var (
		errs     field.ErrorList
		warnings []string
	)
	constraints := field.NewPath("spec", "placementConstraints")
	switch req.Kind.Kind {
	case "Task":
		t, old := &ecsv1alpha1.Task{}, &ecsv1alpha1.Task{}
		if err := v.decode(req, t, old); err != nil {
			return admission.Errored(http.StatusBadRequest, err)
		}
		if !t.DeletionTimestamp.IsZero() {
			return admission.Allowed("")
		}
		if req.Operation != admissionv1.Update || !equality.Semantic.DeepEqual(old.Spec.PlacementConstraints, t.Spec.PlacementConstraints) {
			errs = Constraints(constraints, t.Spec.PlacementConstraints)
		}
		if req.Operation != admissionv1.Update || taskLaunchChanged(old, t) {
			e, w := v.checkTaskFargate(ctx, t)
			errs, warnings = append(errs, e...), w
		}
	case "Service":
		s, old := &ecsv1alpha1.Service{}, &ecsv1alpha1.Service{}
		if err := v.decode(req, s, old); err != nil {
			return admission.Errored(http.StatusBadRequest, err)
		}
		if !s.DeletionTimestamp.IsZero() {
			return admission.Allowed("")
		}
		if req.Operation != admissionv1.Update || !equality.Semantic.DeepEqual(old.Spec.PlacementConstraints, s.Spec.PlacementConstraints) {
			errs = Constraints(constraints, s.Spec.PlacementConstraints)
		}
		if req.Operation != admissionv1.Update || serviceLaunchChanged(old, s) {
			e, w := v.checkServiceFargate(ctx, s)
			errs, warnings = append(errs, e...), w
		}
	case "TaskDefinition":
		td, old := &ecsv1alpha1.TaskDefinition{}, &ecsv1alpha1.TaskDefinition{}
		if err := v.decode(req, td, old); err != nil {
			return admission.Errored(http.StatusBadRequest, err)
		}
		if !td.DeletionTimestamp.IsZero() ||
			req.Operation == admissionv1.Update && equality.Semantic.DeepEqual(old.Spec.PlacementConstraints, td.Spec.PlacementConstraints) {
			return admission.Allowed("")
		}
		for i, c := range td.Spec.PlacementConstraints {
			errs = append(errs, Expression(constraints.Index(i).Child("expression"), c.Expression)...)
		}
	default:
		return admission.Allowed("")
	}
	if len(errs) > 0 {
		return admission.Denied(errs.ToAggregate().Error()).WithWarnings(warnings...)
	}
	return admission.Allowed("").WithWarnings(warnings...)
}

// decode decodes the request's object into obj and, for an update, the stored one into old.
func (v *validator) decode(req admission.Request, obj, old runtime.Object) error {
	if err := v.decoder.Decode(req, obj); err != nil {
		return err
	}
	if req.Operation == admissionv1.Update {
		return v.decoder.DecodeRaw(req.OldObject, old)
	}
	return nil
}

// Constraints checks the memberOf expressions of placement constraints.
func Constraints(path *field.Path, cs []ecsv1alpha1.PlacementConstraint) field.ErrorList {
	var errs field.ErrorList
	for i, c := range cs {
		if c.Type == ecsv1alpha1.PlacementConstraintMemberOf {
			errs = append(errs, Expression(path.Index(i).Child("expression"), c.Expression)...)
		}
	}
	return errs
}

// Expression checks one cluster query language expression.
func Expression(path *field.Path, expr string) field.ErrorList {
	if _, err := cql.Parse(expr); err != nil {
		msg := err.Error()
		var pe *cql.ParseError
		if errors.As(err, &pe) {
			msg = pe.Error()
		}
		return field.ErrorList{field.Invalid(path, expr, fmt.Sprintf("%s (cluster query language, for example %s)", strings.TrimSuffix(msg, "."),
			"'attribute:ecs.instance-type =~ t3.* and attribute:ecs.availability-zone in [us-east-1a, us-east-1b]'"))}
	}
	return nil
}
