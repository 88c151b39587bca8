// Package capacity says where the tasks of a capacity provider run: the Fargate capacity
// pools the platform team configures, and the nodes an EC2 capacity provider of a Cluster
// selects. It is pure and shared by the Task and Service controllers.
package capacity

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// PoolLabel labels (and taints) the nodes of a Fargate capacity pool.
const PoolLabel = ecsv1alpha1.LabelPrefix + "capacity-pool"

// Pools says where Fargate and Fargate Spot tasks run: the platform team's capacity pools
// (the chart's values fargate and fargateSpot, in the manager's --capacity-pools file).
type Pools struct {
	Fargate     Pool `json:"fargate"`
	FargateSpot Pool `json:"fargateSpot"`
}

// Pool is a set of nodes selected by labels and tolerated taints, with the runtime class
// and isolation of the tasks that run there.
type Pool struct {
	NodeSelector map[string]string   `json:"nodeSelector,omitempty"`
	Tolerations  []corev1.Toleration `json:"tolerations,omitempty"`
	// RuntimeClassName runs the pool's tasks in a sandbox (gVisor, Kata...); empty: the
	// nodes' default runtime.
	RuntimeClassName string `json:"runtimeClassName,omitempty"`
	// Isolation is shared (tasks share nodes) or dedicated (one Fargate task per node, as
	// EKS on Fargate does).
	Isolation string `json:"isolation,omitempty"`
}

// Isolation modes of a pool.
const (
	IsolationShared    = "shared"
	IsolationDedicated = "dedicated"
)

// LoadPools reads the pools from the JSON the chart renders (ConfigMap kube-ecs-config,
// capacity-pools.json). Unknown fields and unknown isolation modes are errors.
func LoadPools(data []byte) (Pools, error) {
	var p Pools
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Pools{}, fmt.Errorf("capacity pools: %w", err)
	}
	for name, pool := range map[string]Pool{"fargate": p.Fargate, "fargateSpot": p.FargateSpot} {
		switch pool.Isolation {
		case "", IsolationShared, IsolationDedicated:
		default:
			return Pools{}, fmt.Errorf("capacity pools: %s.isolation is %q; use shared or dedicated", name, pool.Isolation)
		}
		if len(pool.NodeSelector) == 0 {
			return Pools{}, fmt.Errorf("capacity pools: %s.nodeSelector is empty: Fargate tasks would run on any node", name)
		}
	}
	return p, nil
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
			Isolation: IsolationShared,
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
	RuntimeClassName string
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
	var pool Pool
	switch {
	case provider == ecsv1alpha1.CapacityProviderFargateSpot:
		pool = pools.FargateSpot
	case lt == ecsv1alpha1.LaunchTypeFargate:
		if p.CapacityProvider == "" {
			p.CapacityProvider = ecsv1alpha1.CapacityProviderFargate
		}
		pool = pools.Fargate
	default:
		p.Affinity = EC2Affinity(cluster, provider)
		return p
	}
	p.NodeSelector, p.Tolerations, p.RuntimeClassName = pool.NodeSelector, pool.Tolerations, pool.RuntimeClassName
	if pool.Isolation == IsolationDedicated {
		p.Affinity = dedicated()
	}
	return p
}

// dedicated keeps a Fargate task alone on its node: no other Fargate task's pod there.
func dedicated() *corev1.Affinity {
	return &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{
				ecsv1alpha1.LaunchTypeLabel: string(ecsv1alpha1.LaunchTypeFargate),
			}},
			NamespaceSelector: &metav1.LabelSelector{}, // every namespace: the node is the task's
			TopologyKey:       corev1.LabelHostname,
		}},
	}}
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
