// Package v1alpha1 holds the apprunner.kube-ecs.io/v1alpha1 API: AppRunnerService. Its spec
// carries App Runner's CreateService input with Kubernetes camelCase names, so App Runner's
// PascalCase JSON converts by renaming keys alone.
//
// +kubebuilder:object:generate=true
// +groupName=apprunner.kube-ecs.io
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of the App Runner kinds.
	GroupVersion = schema.GroupVersion{Group: "apprunner.kube-ecs.io", Version: "v1alpha1"}

	// SchemeBuilder registers the App Runner kinds with a runtime.Scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the App Runner kinds to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
