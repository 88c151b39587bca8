package containerinstance

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

func matches(p ecsv1alpha1.EC2CapacityProvider, node *corev1.Node) bool {
	sel, err := metav1.LabelSelectorAsSelector(&p.NodeSelector)
	if err != nil {
		return false
	}
	return sel.Matches(labels.Set(node.Labels))
}
