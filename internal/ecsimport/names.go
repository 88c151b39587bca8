package ecsimport

import (
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kube-ecs/kube-ecs/internal/names"
)

// Name limits: every kube-ecs name is a DNS-1123 label (it is a label value); Services and
// AppRunnerServices also start with a letter, as they name Kubernetes Services.
const maxLabel = validation.DNS1123LabelMaxLength // 63

// nameFor returns the object name for an ECS name and whether it differs from it.
func nameFor(ecsName string, maxLen int, label bool) (string, bool) {
	var valid bool
	if label {
		valid = len(validation.IsDNS1123Label(ecsName)) == 0 && len(ecsName) <= maxLen
	} else {
		valid = len(validation.IsDNS1123Subdomain(ecsName)) == 0 && len(ecsName) <= maxLen
	}
	if valid {
		return ecsName, false
	}
	return names.Kube(ecsName, maxLen, label), true
}
