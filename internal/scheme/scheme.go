// Package scheme builds the runtime.Scheme every kube-ecs process and test uses: the
// Kubernetes built-in kinds plus the ecs.kube-ecs.io and apprunner.kube-ecs.io kinds.
package scheme

import (
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// New returns a scheme with every kind kube-ecs reads or writes.
func New() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(ecsv1alpha1.AddToScheme(s))
	utilruntime.Must(apprunnerv1alpha1.AddToScheme(s))
	return s
}
