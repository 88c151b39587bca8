package capacity

import (
	"encoding/json"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// Scheduling is what the ECS scheduler places an EC2 task's pod by, carried by the pod's
// ecsv1alpha1.PlacementAnnotation: the task's (or service's) placement constraints with its
// task definition's, its strategy (ECS's default when it has none) and its capacity
// provider.
type Scheduling struct {
	Constraints      []ecsv1alpha1.PlacementConstraint `json:"constraints,omitempty"`
	Strategy         []ecsv1alpha1.PlacementStrategy   `json:"strategy,omitempty"`
	CapacityProvider string                            `json:"capacityProvider,omitempty"`
}

// ServiceStrategy is ECS's default strategy for services: spread across availability zones,
// then across instances.
var ServiceStrategy = []ecsv1alpha1.PlacementStrategy{
	{Type: ecsv1alpha1.PlacementStrategySpread, Field: "attribute:" + ecsv1alpha1.AttributeAvailabilityZone},
	{Type: ecsv1alpha1.PlacementStrategySpread, Field: "instanceId"},
}

// TaskStrategy is ECS's default strategy for RunTask: random.
var TaskStrategy = []ecsv1alpha1.PlacementStrategy{{Type: ecsv1alpha1.PlacementStrategyRandom}}

// NewScheduling combines a task's or service's placement with its task definition's
// memberOf constraints; def is the default strategy.
func NewScheduling(constraints []ecsv1alpha1.PlacementConstraint, strategy []ecsv1alpha1.PlacementStrategy,
	td []ecsv1alpha1.TaskDefinitionPlacementConstraint, def []ecsv1alpha1.PlacementStrategy, provider string) Scheduling {
	s := Scheduling{Strategy: strategy, CapacityProvider: provider}
	s.Constraints = append(s.Constraints, constraints...)
	for _, c := range td {
		s.Constraints = append(s.Constraints, ecsv1alpha1.PlacementConstraint{Type: ecsv1alpha1.PlacementConstraintMemberOf, Expression: c.Expression})
	}
	if len(s.Strategy) == 0 {
		s.Strategy = def
	}
	return s
}

// Annotation encodes s for ecsv1alpha1.PlacementAnnotation.
func (s Scheduling) Annotation() string {
	data, _ := json.Marshal(s)
	return string(data)
}

// ParseScheduling decodes a pod's placement annotation.
func ParseScheduling(v string) (Scheduling, error) {
	var s Scheduling
	if v == "" {
		return s, nil
	}
	err := json.Unmarshal([]byte(v), &s)
	return s, err
}
