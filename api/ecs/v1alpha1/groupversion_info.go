// Package v1alpha1 holds the ecs.kube-ecs.io/v1alpha1 API: Cluster, TaskDefinition, Task,
// Service and ContainerInstance. Field names and enum values are Amazon ECS's own (camelCase
// JSON as in the ECS API), so that the body of an ECS request or of `aws ecs describe-*`
// output can be pasted under `spec:` unchanged.
//
// +kubebuilder:object:generate=true
// +groupName=ecs.kube-ecs.io
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of the ECS kinds.
	GroupVersion = schema.GroupVersion{Group: "ecs.kube-ecs.io", Version: "v1alpha1"}

	// SchemeBuilder registers the ECS kinds with a runtime.Scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the ECS kinds to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
