//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/capacity"
)

// ec2Node is the kind cluster's one EC2 node: the control plane. The two workers are the
// Fargate capacity pools' nodes (hack/kind/cluster.yaml), which are not container instances.
func ec2Node() string {
	GinkgoHelper()
	nodes := &corev1.NodeList{}
	Expect(getJSON(nodes, "nodes")).To(Succeed())
	var ec2, pools []string
	for _, n := range nodes.Items {
		if pool, ok := n.Labels[capacity.PoolLabel]; ok {
			pools = append(pools, pool)
			continue
		}
		ec2 = append(ec2, n.Name)
		Expect(n.Labels).To(HaveKey("node-role.kubernetes.io/control-plane"), "the EC2 node is the control plane")
		Expect(n.Spec.Taints).To(BeEmpty(), "the control plane runs ordinary pods")
	}
	Expect(pools).To(ConsistOf("fargate", "fargate-spot"))
	Expect(ec2).To(HaveLen(1))
	return ec2[0]
}

func instanceNames(ns string) ([]string, error) {
	list := &ecsv1alpha1.ContainerInstanceList{}
	if err := getJSON(list, "-n", ns, "containerinstances.ecs.kube-ecs.io"); err != nil {
		return nil, err
	}
	var names []string
	for _, ci := range list.Items {
		names = append(names, ci.Name)
	}
	return names, nil
}

func getInstance(ns, name string) (*ecsv1alpha1.ContainerInstance, error) {
	ci := &ecsv1alpha1.ContainerInstance{}
	return ci, getJSON(ci, "-n", ns, "containerinstance.ecs.kube-ecs.io/"+name)
}

func attribute(ci *ecsv1alpha1.ContainerInstance, name string) string {
	for _, a := range ci.Status.Attributes {
		if a.Name == name {
			return a.Value
		}
	}
	return ""
}

var _ = Describe("The ECS agent", Serial, func() {
	It("registers the node as a container instance and serves the task metadata endpoint", func() {
		ns := newNamespace("agent")
		node := ec2Node()
		agents, err := kubectl("", "get", "-n", namespace, "daemonset/kube-ecs-agent", "-o", "jsonpath={.status.desiredNumberScheduled}")
		Expect(err).NotTo(HaveOccurred(), agents)
		Expect(agents).To(Equal("1"), "the agent runs on the EC2 node only, not in the Fargate pools")
		var ci *ecsv1alpha1.ContainerInstance
		Eventually(func() (bool, error) {
			var err error
			ci, err = getInstance(ns, node)
			if err != nil {
				return false, err
			}
			return ci.Status.AgentConnected && ci.Status.Status == ecsv1alpha1.ContainerInstanceActive, nil
		}).WithTimeout(2*time.Minute).WithPolling(2*time.Second).Should(BeTrue(), "the node registers with its agent connected")
		Expect(ci.Spec.Cluster).To(Equal("default"))
		By("only the EC2 node is a container instance: the Fargate pools' nodes are not")
		Eventually(func() (int32, error) {
			c := &ecsv1alpha1.Cluster{}
			err := getJSON(c, "-n", ns, "cluster.ecs.kube-ecs.io/default")
			return c.Status.RegisteredContainerInstancesCount, err
		}).WithTimeout(time.Minute).Should(Equal(int32(1)))
		Consistently(func() ([]string, error) { return instanceNames(ns) }).WithTimeout(5 * time.Second).Should(Equal([]string{node}))
		Expect(attribute(ci, ecsv1alpha1.AttributeOSType)).To(Equal("linux"))
		Expect(attribute(ci, ecsv1alpha1.AttributeCPUArchitecture)).NotTo(BeEmpty())
		Expect(ci.Status.ContainerInstanceArn).To(HavePrefix("arn:aws:ecs:"))
		Expect(ci.Status.RegisteredResources).NotTo(BeEmpty())
		Expect(ci.Status.VersionInfo).NotTo(BeNil())
		Expect(ci.Status.VersionInfo.AgentVersion).NotTo(BeEmpty(), "the agent's heartbeat carries its version")

		By("a task reads its own ARN from the metadata endpoint")
		runTask(ns, "whoami", `  - {name: app, image: IMAGE, memory: 32, command: [metadata]}`)
		task := waitTask(ns, "whoami", ecsv1alpha1.TaskStopped)
		Expect(task.Status.StopCode).To(Equal(ecsv1alpha1.StopCodeEssentialContainerExited))
		Expect(*containerOf(task, "app").ExitCode).To(Equal(int32(0)), "the metadata subcommand succeeded")
		logs := mustKubectl("", "logs", "-n", ns, task.Status.PodName)
		Expect(logs).To(ContainSubstring("TaskARN="+task.Status.TaskArn), logs)
		Expect(logs).To(ContainSubstring("Family=whoami"), logs)

		By("stopping the agent turns agentConnected false, and no task is placed meanwhile")
		ds := "daemonset/kube-ecs-agent"
		mustKubectl("", "patch", "-n", namespace, ds, "--type=merge", "-p", `{"spec":{"template":{"spec":{"nodeSelector":{"kube-ecs.io/e2e-no-node":"true"}}}}}`)
		restore := func() {
			mustKubectl("", "patch", "-n", namespace, ds, "--type=json", "-p", `[{"op":"remove","path":"/spec/template/spec/nodeSelector"}]`)
		}
		DeferCleanup(func() {
			_, _ = kubectl("", "patch", "-n", namespace, ds, "--type=json", "-p", `[{"op":"remove","path":"/spec/template/spec/nodeSelector"}]`)
		})
		Eventually(func() (bool, error) {
			ci, err := getInstance(ns, node)
			if err != nil {
				return true, err
			}
			return ci.Status.AgentConnected, nil
		}).WithTimeout(2 * time.Minute).WithPolling(2 * time.Second).Should(BeFalse())
		runTask(ns, "waits", `  - {name: app, image: IMAGE, memory: 32, command: [serve]}`)
		Eventually(func() (string, error) {
			t, err := getTask(ns, "waits")
			if err != nil {
				return "", err
			}
			for _, c := range t.Status.Conditions {
				if c.Type == ecsv1alpha1.PlacedCondition {
					return c.Message, nil
				}
			}
			return fmt.Sprintf("lastStatus %s, no Placed condition", t.Status.LastStatus), nil
		}).WithTimeout(time.Minute).Should(ContainSubstring(`encountered error "AGENT"`))
		t, err := getTask(ns, "waits")
		Expect(err).NotTo(HaveOccurred())
		Expect(string(t.Status.LastStatus)).To(BeElementOf("PROVISIONING", "PENDING"), "the task waits")

		By("the agent back, the waiting task is placed")
		restore()
		waitTask(ns, "waits", ecsv1alpha1.TaskRunning)
		ci, err = getInstance(ns, node)
		Expect(err).NotTo(HaveOccurred())
		Expect(ci.Status.AgentConnected).To(BeTrue())
		Expect(strings.Join([]string{string(ci.Status.Status)}, "")).To(Equal("ACTIVE"))
	})
})
