package task

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

func TestPlace(t *testing.T) {
	cluster := &ecsv1alpha1.Cluster{Spec: ecsv1alpha1.ClusterSpec{
		CapacityProviders: []string{"FARGATE", "FARGATE_SPOT", "ec2-a", "ec2-b"},
		DefaultCapacityProviderStrategy: []ecsv1alpha1.CapacityProviderStrategyItem{
			{CapacityProvider: "FARGATE_SPOT", Weight: ptr.To[int32](4)},
			{CapacityProvider: "FARGATE", Weight: ptr.To[int32](1)},
		},
		EC2CapacityProviders: []ecsv1alpha1.EC2CapacityProvider{
			{Name: "ec2-a", NodeSelector: metav1.LabelSelector{MatchLabels: map[string]string{"pool": "a"}}},
			{Name: "ec2-b", NodeSelector: metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "pool", Operator: metav1.LabelSelectorOpIn, Values: []string{"b", "c"}}}}},
		},
	}}
	pools := DefaultPools()
	term := func(key string, values ...string) corev1.NodeSelectorTerm {
		return corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: key, Operator: corev1.NodeSelectorOpIn, Values: values}}}
	}
	affinity := func(terms ...corev1.NodeSelectorTerm) *corev1.Affinity {
		return &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: terms}}}
	}
	tests := []struct {
		name    string
		spec    ecsv1alpha1.TaskSpec
		cluster *ecsv1alpha1.Cluster
		want    Placement
	}{
		{"launch type FARGATE", ecsv1alpha1.TaskSpec{LaunchType: ecsv1alpha1.LaunchTypeFargate}, cluster,
			Placement{LaunchType: ecsv1alpha1.LaunchTypeFargate, CapacityProvider: "FARGATE", NodeSelector: pools.Fargate.NodeSelector, Tolerations: pools.Fargate.Tolerations}},
		{"launch type EC2 on every EC2 provider", ecsv1alpha1.TaskSpec{LaunchType: ecsv1alpha1.LaunchTypeEC2}, cluster,
			Placement{LaunchType: ecsv1alpha1.LaunchTypeEC2, Affinity: affinity(term("pool", "a"), term("pool", "b", "c"))}},
		{"EC2 without a cluster places anywhere", ecsv1alpha1.TaskSpec{LaunchType: ecsv1alpha1.LaunchTypeEC2}, nil,
			Placement{LaunchType: ecsv1alpha1.LaunchTypeEC2}},
		{"strategy naming an EC2 provider", ecsv1alpha1.TaskSpec{CapacityProviderStrategy: []ecsv1alpha1.CapacityProviderStrategyItem{{CapacityProvider: "ec2-b", Weight: ptr.To[int32](1)}}}, cluster,
			Placement{LaunchType: ecsv1alpha1.LaunchTypeEC2, CapacityProvider: "ec2-b", Affinity: affinity(term("pool", "b", "c"))}},
		{"base wins over weight", ecsv1alpha1.TaskSpec{CapacityProviderStrategy: []ecsv1alpha1.CapacityProviderStrategyItem{
			{CapacityProvider: "FARGATE_SPOT", Weight: ptr.To[int32](4)}, {CapacityProvider: "FARGATE", Base: ptr.To[int32](1), Weight: ptr.To[int32](1)}}}, cluster,
			Placement{LaunchType: ecsv1alpha1.LaunchTypeFargate, CapacityProvider: "FARGATE", NodeSelector: pools.Fargate.NodeSelector, Tolerations: pools.Fargate.Tolerations}},
		{"cluster default strategy: greatest weight", ecsv1alpha1.TaskSpec{}, cluster,
			Placement{LaunchType: ecsv1alpha1.LaunchTypeFargate, CapacityProvider: "FARGATE_SPOT", NodeSelector: pools.FargateSpot.NodeSelector, Tolerations: pools.FargateSpot.Tolerations}},
		{"no strategy anywhere: EC2", ecsv1alpha1.TaskSpec{}, &ecsv1alpha1.Cluster{},
			Placement{LaunchType: ecsv1alpha1.LaunchTypeEC2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Place(&ecsv1alpha1.Task{Spec: tt.spec}, tt.cluster, pools)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Place() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
