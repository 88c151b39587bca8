//go:build kwok

package kwok

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/capacity"
	"github.com/kube-ecs/kube-ecs/internal/kwokharness"
)

// The simulated fleet: three zones of ten nodes, the instance types alternating.
var (
	zones         = []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	nodesPerZone  = 10
	instanceTypes = []instanceType{
		{name: "m5.large", cpu: 2, memoryGiB: 8},
		{name: "c5.xlarge", cpu: 4, memoryGiB: 8},
	}
)

type instanceType struct {
	name      string
	cpu       int64 // vCPUs
	memoryGiB int64
}

// simNode is one simulated EC2 instance.
type simNode struct {
	name, zone, instanceType, instanceID string
	cpu                                  int64 // CPU units, 1024 per vCPU
	memoryMiB                            int64
}

// fleet is the simulated nodes in name order (zone, then index), set by createFleet.
var fleet []simNode

// fargateNode is a simulated node of a Fargate capacity pool (the chart's default pools:
// labelled and tainted ecs.kube-ecs.io/capacity-pool=<pool>). They are not container
// instances and take no EC2 task.
type fargateNode struct{ name, zone, pool string }

// fargateFleet is two nodes of each pool, in two zones.
var fargateFleet = []fargateNode{
	{"fargate-1a", "us-east-1a", "fargate"}, {"fargate-1b", "us-east-1b", "fargate"},
	{"spot-1a", "us-east-1a", "fargate-spot"}, {"spot-1b", "us-east-1b", "fargate-spot"},
}

func fargateNodeByName(name string) (fargateNode, bool) {
	for _, n := range fargateFleet {
		if n.name == name {
			return n, true
		}
	}
	return fargateNode{}, false
}

// fargateNodeObject is a Fargate pool's node: 16 vCPUs and 64 GiB, like hack/kwok/nodes.yaml.
func fargateNodeObject(n fargateNode, index int) *corev1.Node {
	cidr := fmt.Sprintf("10.244.%d.0/24", 200+index)
	resources := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("16"),
		corev1.ResourceMemory: resource.MustParse("64Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        n.name,
			Annotations: map[string]string{"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
			Labels: map[string]string{
				"kubernetes.io/hostname":        n.name,
				ecsv1alpha1.NodeLabelOS:         "linux",
				ecsv1alpha1.NodeLabelArch:       "amd64",
				"topology.kubernetes.io/region": "us-east-1",
				ecsv1alpha1.NodeLabelZone:       n.zone,
				"type":                          "kwok",
				capacity.PoolLabel:              n.pool,
			},
		},
		Spec: corev1.NodeSpec{
			PodCIDR:  cidr,
			PodCIDRs: []string{cidr},
			Taints:   []corev1.Taint{{Key: capacity.PoolLabel, Value: n.pool, Effect: corev1.TaintEffectNoSchedule}},
		},
		Status: corev1.NodeStatus{
			Addresses: []corev1.NodeAddress{
				{Type: corev1.NodeInternalIP, Address: fmt.Sprintf("10.0.9.%d", 10+index)},
				{Type: corev1.NodeHostName, Address: n.name},
			},
			Capacity:    resources,
			Allocatable: resources,
			NodeInfo:    corev1.NodeSystemInfo{Architecture: "amd64", OperatingSystem: "linux"},
		},
	}
}

// nodeByName finds a node of the fleet.
func nodeByName(name string) (simNode, bool) {
	for _, n := range fleet {
		if n.name == name {
			return n, true
		}
	}
	return simNode{}, false
}

// makeFleet describes the nodes: ec2-1a-01 ... ec2-1c-10, m5.large the odd numbers and
// c5.xlarge the even ones, with instance ids shaped like EC2's (i- and 17 hex digits).
func makeFleet() []simNode {
	var out []simNode
	for z, zone := range zones {
		for i := 0; i < nodesPerZone; i++ {
			it := instanceTypes[i%len(instanceTypes)]
			out = append(out, simNode{
				name:         fmt.Sprintf("ec2-%s-%02d", zone[len(zone)-2:], i+1),
				zone:         zone,
				instanceType: it.name,
				instanceID:   fmt.Sprintf("i-0%x%015d", 10+z, i+1),
				cpu:          it.cpu * 1024,
				memoryMiB:    it.memoryGiB * 1024,
			})
		}
	}
	return out
}

// nodeObject is the Node of a simulated instance, labelled as on EKS (hack/kwok/nodes.yaml)
// and annotated so that kwok runs it. kwok keeps the status given here.
func nodeObject(n simNode, index int) *corev1.Node {
	ip := fmt.Sprintf("10.0.%d.%d", index/nodesPerZone+1, index%nodesPerZone+10)
	cidr := fmt.Sprintf("10.244.%d.0/24", index+1)
	resources := corev1.ResourceList{
		corev1.ResourceCPU:    *resource.NewQuantity(n.cpu/1024, resource.DecimalSI),
		corev1.ResourceMemory: resource.MustParse(fmt.Sprintf("%dMi", n.memoryMiB)),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: n.name,
			Annotations: map[string]string{
				"kwok.x-k8s.io/node":           "fake",
				"node.alpha.kubernetes.io/ttl": "0",
			},
			Labels: map[string]string{
				"kubernetes.io/hostname":          n.name,
				ecsv1alpha1.NodeLabelOS:           "linux",
				ecsv1alpha1.NodeLabelArch:         "amd64",
				"topology.kubernetes.io/region":   "us-east-1",
				ecsv1alpha1.NodeLabelZone:         n.zone,
				ecsv1alpha1.NodeLabelInstanceType: n.instanceType,
				"type":                            "kwok",
			},
		},
		Spec: corev1.NodeSpec{
			PodCIDR:    cidr,
			PodCIDRs:   []string{cidr},
			ProviderID: "aws:///" + n.zone + "/" + n.instanceID,
		},
		Status: corev1.NodeStatus{
			Addresses: []corev1.NodeAddress{
				{Type: corev1.NodeInternalIP, Address: ip},
				{Type: corev1.NodeHostName, Address: n.name},
			},
			Capacity:    resources,
			Allocatable: resources,
			NodeInfo:    corev1.NodeSystemInfo{Architecture: "amd64", OperatingSystem: "linux"},
		},
	}
}

// createFleet creates the nodes and waits until kwok reports them Ready.
func createFleet(ctx context.Context, h *kwokharness.Harness) error {
	fleet = makeFleet()
	var nodes []*corev1.Node
	for i, n := range fleet {
		nodes = append(nodes, nodeObject(n, i))
	}
	for i, n := range fargateFleet {
		nodes = append(nodes, fargateNodeObject(n, i))
	}
	return h.CreateNodes(ctx, nodes)
}
