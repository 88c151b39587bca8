package task

import (
	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/capacity"
)

// Pools and Placement are the capacity package's: Task placement is choosing a provider.
type (
	Pools     = capacity.Pools
	Placement = capacity.Placement
)

// DefaultPools are capacity.DefaultPools.
func DefaultPools() Pools { return capacity.DefaultPools() }

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
	return capacity.For(cluster, lt, provider, pools)
}
