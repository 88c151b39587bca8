package task

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

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

// DefaultPools match the nodes hack/dev.sh creates: labelled and tainted
// ecs.kube-ecs.io/capacity-pool=fargate (or fargate-spot).
func DefaultPools() Pools {
	pool := func(name string) Pool {
		return Pool{
			NodeSelector: map[string]string{CapacityPoolLabel: name},
			Tolerations: []corev1.Toleration{{
				Key: CapacityPoolLabel, Operator: corev1.TolerationOpEqual, Value: name, Effect: corev1.TaintEffectNoSchedule,
			}},
		}
	}
	return Pools{Fargate: pool("fargate"), FargateSpot: pool("fargate-spot")}
}

// CapacityPoolLabel labels (and taints) the nodes of a Fargate capacity pool.
const CapacityPoolLabel = ecsv1alpha1.LabelPrefix + "capacity-pool"

// Placement is where a task goes: its launch type, its capacity provider, and the node
// constraints of its pod.
type Placement struct {
	LaunchType       ecsv1alpha1.LaunchType
	CapacityProvider string
	NodeSelector     map[string]string
	Affinity         *corev1.Affinity
	Tolerations      []corev1.Toleration
}

// choose picks the task's launch type and capacity provider, as RunTask does: the launch
// type if given, else the task's capacity provider strategy, else the cluster's default
// strategy, else EC2. For a single task a strategy picks the provider with a base, else the
// one with the greatest weight (the first on a tie).
func choose(task *ecsv1alpha1.Task, cluster *ecsv1alpha1.Cluster) (ecsv1alpha1.LaunchType, string) {
	if task.Spec.LaunchType != "" {
		return task.Spec.LaunchType, ""
	}
	strategy := task.Spec.CapacityProviderStrategy
	if len(strategy) == 0 && cluster != nil {
		strategy = cluster.Spec.DefaultCapacityProviderStrategy
	}
	if len(strategy) == 0 {
		return ecsv1alpha1.LaunchTypeEC2, ""
	}
	best := strategy[0]
	for _, s := range strategy {
		if s.Base != nil && *s.Base > 0 {
			best = s
			break
		}
		if weight(s) > weight(best) {
			best = s
		}
	}
	switch best.CapacityProvider {
	case ecsv1alpha1.CapacityProviderFargate, ecsv1alpha1.CapacityProviderFargateSpot:
		return ecsv1alpha1.LaunchTypeFargate, best.CapacityProvider
	}
	return ecsv1alpha1.LaunchTypeEC2, best.CapacityProvider
}

func weight(s ecsv1alpha1.CapacityProviderStrategyItem) int32 {
	if s.Weight == nil {
		return 0
	}
	return *s.Weight
}

// Place computes the task's placement. EC2 tasks go to the nodes of their capacity provider
// (or of any of the cluster's EC2 providers); Fargate tasks to the capacity pool.
func Place(task *ecsv1alpha1.Task, cluster *ecsv1alpha1.Cluster, pools Pools) Placement {
	lt, provider := choose(task, cluster)
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
		p.Affinity = ec2Affinity(cluster, provider)
	}
	return p
}

// ec2Affinity requires the nodes of the named EC2 capacity provider, or of any EC2 provider
// of the cluster when none is named. A cluster without EC2 providers places anywhere.
func ec2Affinity(cluster *ecsv1alpha1.Cluster, provider string) *corev1.Affinity {
	if cluster == nil {
		return nil
	}
	var terms []corev1.NodeSelectorTerm
	for _, cp := range cluster.Spec.EC2CapacityProviders {
		if provider != "" && cp.Name != provider {
			continue
		}
		terms = append(terms, nodeSelectorTerm(cp.NodeSelector))
	}
	if len(terms) == 0 {
		return nil
	}
	return &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: terms},
	}}
}

// nodeSelectorTerm turns a label selector into the equivalent node selector term.
func nodeSelectorTerm(sel metav1.LabelSelector) corev1.NodeSelectorTerm {
	var term corev1.NodeSelectorTerm
	for _, k := range sortedKeys(sel.MatchLabels) {
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
