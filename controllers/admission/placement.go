// Package admission is kube-ecs's validating webhook: the checks the API server cannot make
// with OpenAPI and CEL. Today that is the cluster query language of memberOf placement
// constraints, parsed by internal/placement/cql, so that `kubectl apply` of a Task, Service or
// TaskDefinition with an invalid expression fails with the parser's message.
package admission

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/placement/cql"
)

// PlacementPath is where the webhook serves the placement checks.
const PlacementPath = "/validate-placement"

// Register adds the webhook's handlers to server.
func Register(server webhook.Server, scheme *runtime.Scheme) {
	server.Register(PlacementPath, &webhook.Admission{Handler: &placementValidator{decoder: admission.NewDecoder(scheme)}})
}

type placementValidator struct {
	decoder admission.Decoder
}

// Handle checks every memberOf expression of the object.
func (v *placementValidator) Handle(_ context.Context, req admission.Request) admission.Response {
	var errs field.ErrorList
	switch req.Kind.Kind {
	case "Task":
		t := &ecsv1alpha1.Task{}
		if err := v.decoder.Decode(req, t); err != nil {
			return admission.Errored(http.StatusBadRequest, err)
		}
		errs = Constraints(field.NewPath("spec", "placementConstraints"), t.Spec.PlacementConstraints)
	case "Service":
		s := &ecsv1alpha1.Service{}
		if err := v.decoder.Decode(req, s); err != nil {
			return admission.Errored(http.StatusBadRequest, err)
		}
		errs = Constraints(field.NewPath("spec", "placementConstraints"), s.Spec.PlacementConstraints)
	case "TaskDefinition":
		td := &ecsv1alpha1.TaskDefinition{}
		if err := v.decoder.Decode(req, td); err != nil {
			return admission.Errored(http.StatusBadRequest, err)
		}
		path := field.NewPath("spec", "placementConstraints")
		for i, c := range td.Spec.PlacementConstraints {
			errs = append(errs, Expression(path.Index(i).Child("expression"), c.Expression)...)
		}
	default:
		return admission.Allowed("")
	}
	if len(errs) > 0 {
		return admission.Denied(errs.ToAggregate().Error())
	}
	return admission.Allowed("")
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
