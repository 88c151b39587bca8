package capacity

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

func TestLoadPools(t *testing.T) {
	valid := `{"fargate": {"nodeSelector": {"pool": "f"}, "runtimeClassName": "gvisor", "isolation": "dedicated"},
	           "fargateSpot": {"nodeSelector": {"pool": "s"}, "tolerations": [{"key": "spot", "operator": "Exists", "effect": "NoSchedule"}]}}`
	got, err := LoadPools([]byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	want := Pools{
		Fargate:     Pool{NodeSelector: map[string]string{"pool": "f"}, RuntimeClassName: "gvisor", Isolation: IsolationDedicated},
		FargateSpot: Pool{NodeSelector: map[string]string{"pool": "s"}, Tolerations: []corev1.Toleration{{Key: "spot", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LoadPools (-want +got):\n%s", diff)
	}
	invalid := []struct{ name, json, want string }{
		{"unknown field", `{"fargate": {"nodeSelector": {"a": "b"}, "sandbox": true}, "fargateSpot": {"nodeSelector": {"a": "c"}}}`, `unknown field "sandbox"`},
		{"unknown isolation", `{"fargate": {"nodeSelector": {"a": "b"}, "isolation": "vm"}, "fargateSpot": {"nodeSelector": {"a": "c"}}}`, `fargate.isolation is "vm"; use shared or dedicated`},
		{"no node selector", `{"fargate": {"nodeSelector": {"a": "b"}}, "fargateSpot": {}}`, "fargateSpot.nodeSelector is empty"},
		{"not JSON", `fargate:`, "capacity pools"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadPools([]byte(tt.json))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("LoadPools error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestForFargatePools(t *testing.T) {
	pools := DefaultPools()
	pools.Fargate.RuntimeClassName = "gvisor"
	pools.FargateSpot.Isolation = IsolationDedicated

	p := For(nil, ecsv1alpha1.LaunchTypeFargate, "", pools)
	if p.CapacityProvider != ecsv1alpha1.CapacityProviderFargate || p.RuntimeClassName != "gvisor" || p.Affinity != nil {
		t.Errorf("FARGATE placement %+v: want provider FARGATE, runtime class gvisor, shared nodes", p)
	}
	if diff := cmp.Diff(pools.Fargate.NodeSelector, p.NodeSelector); diff != "" {
		t.Errorf("FARGATE node selector (-want +got):\n%s", diff)
	}

	spot := For(nil, ecsv1alpha1.LaunchTypeFargate, ecsv1alpha1.CapacityProviderFargateSpot, pools)
	if spot.RuntimeClassName != "" || spot.Affinity == nil || spot.Affinity.PodAntiAffinity == nil {
		t.Fatalf("FARGATE_SPOT placement %+v: want no runtime class and a dedicated node", spot)
	}
	term := spot.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	if len(term) != 1 || term[0].TopologyKey != corev1.LabelHostname ||
		term[0].LabelSelector.MatchLabels[ecsv1alpha1.LaunchTypeLabel] != string(ecsv1alpha1.LaunchTypeFargate) || term[0].NamespaceSelector == nil {
		t.Errorf("dedicated isolation: %+v, want one Fargate task per node across namespaces", term)
	}

	ec2 := For(&ecsv1alpha1.Cluster{}, ecsv1alpha1.LaunchTypeEC2, "", pools)
	if ec2.RuntimeClassName != "" || ec2.NodeSelector != nil || ec2.Tolerations != nil {
		t.Errorf("EC2 placement %+v: the Fargate pools do not apply", ec2)
	}
}
