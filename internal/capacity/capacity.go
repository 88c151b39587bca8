// Package capacity says where the tasks of a capacity provider run: the Fargate capacity
// pools the platform team configures, and the nodes an EC2 capacity provider of a Cluster
// selects. It is pure and shared by the Task and Service controllers.
package capacity

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// PoolLabel labels (and taints) the nodes of a Fargate capacity pool.
const PoolLabel = ecsv1alpha1.LabelPrefix + "capacity-pool"

// Pools says where Fargate and Fargate Spot tasks run: the platform team's capacity pools.
type Pools struct {
	Fargate     Pool
	FargateSpot Pool
}

// Pool is a set of nodes selected by labels and tolerated taints.
type Pool struct {
	NodeSelector map[string]string
	Tolerations  []corev1.Toleration
}

// DefaultPools match the nodes hack/dev.sh and hack/kind.sh create: labelled and tainted
// ecs.kube-ecs.io/capacity-pool=fargate (or fargate-spot).
func DefaultPools() Pools {
	pool := func(name string) Pool {
		return Pool{
			NodeSelector: map[string]string{PoolLabel: name},
			Tolerations: []corev1.Toleration{{
				Key: PoolLabel, Operator: corev1.TolerationOpEqual, Value: name, Effect: corev1.TaintEffectNoSchedule,
			}},
		}
	}
	return Pools{Fargate: pool("fargate"), FargateSpot: pool("fargate-spot")}
}

// Placement is where a task goes: its launch type, its capacity provider, and the node
// constraints of its pod.
type Placement struct {
	LaunchType       ecsv1alpha1.LaunchType
	CapacityProvider string
	NodeSelector     map[string]string
	Affinity         *corev1.Affinity
	Tolerations      []corev1.Toleration
}

// IsFargate says whether a capacity provider is FARGATE or FARGATE_SPOT.
func IsFargate(provider string) bool {
	return provider == ecsv1alpha1.CapacityProviderFargate || provider == ecsv1alpha1.CapacityProviderFargateSpot
}

// LaunchTypeOf is the launch type of a capacity provider's tasks.
func LaunchTypeOf(provider string) ecsv1alpha1.LaunchType {
	if IsFargate(provider) {
		return ecsv1alpha1.LaunchTypeFargate
	}
	return ecsv1alpha1.LaunchTypeEC2
}

// For computes the placement of a task with launch type lt on provider (empty: none named).
// EC2 tasks go to the nodes of their capacity provider (or of any of the cluster's EC2
// providers); Fargate tasks to the capacity pool.
func For(cluster *ecsv1alpha1.Cluster, lt ecsv1alpha1.LaunchType, provider string, pools Pools) Placement {
	p := Placement{LaunchType: lt, CapacityProvider: provider}
	switch {
	case provider == ecsv1alpha1.CapacityProviderFargateSpot:
		p.NodeSelector, p.Tolerations = pools.FargateSpot.NodeSelector, pools.FargateSpot.Tolerations
	case lt == ecsv1alpha1.LaunchTypeFargate:
		if p.CapacityProvider == "" {
			p.CapacityProvider = ecsv1alpha1.CapacityProviderFargate
		}
		p.NodeSelector, p.Tolerations = pools.Fargate.NodeSelector, pools.Fargate.Tolerations
	default:
		p.Affinity = EC2Affinity(cluster, provider)
	}
	return p
}

// EC2Affinity requires the nodes of the named EC2 capacity provider, or of any EC2 provider
// of the cluster when none is named. A cluster without EC2 providers places anywhere (nil).
func EC2Affinity(cluster *ecsv1alpha1.Cluster, provider string) *corev1.Affinity {
	if cluster == nil {
		return nil
	}
	var terms []corev1.NodeSelectorTerm
	for _, cp := range cluster.Spec.EC2CapacityProviders {
		if provider != "" && cp.Name != provider {
			continue
		}
		terms = append(terms, NodeSelectorTerm(cp.NodeSelector))
	}
	if len(terms) == 0 {
		return nil
	}
	return &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: terms},
	}}
}

// NodeSelectorTerm turns a label selector into the equivalent node selector term.
func NodeSelectorTerm(sel metav1.LabelSelector) corev1.NodeSelectorTerm {
	var term corev1.NodeSelectorTerm
	keys := make([]string, 0, len(sel.MatchLabels))
	for k := range sel.MatchLabels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		term.MatchExpressions = append(term.MatchExpressions, corev1.NodeSelectorRequirement{
			Key: k, Operator: corev1.NodeSelectorOpIn, Values: []string{sel.MatchLabels[k]},
		})
	}
	for _, e := range sel.MatchExpressions {
		term.MatchExpressions = append(term.MatchExpressions, corev1.NodeSelectorRequirement{
			Key: e.Key, Operator: corev1.NodeSelectorOperator(e.Operator), Values: e.Values,
		})
	}
	return term
}
