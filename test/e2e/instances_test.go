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
)

// onlyNode is the kind cluster's node.
func onlyNode() string {
	GinkgoHelper()
	nodes := &corev1.NodeList{}
	Expect(getJSON(nodes, "nodes")).To(Succeed())
	Expect(nodes.Items).To(HaveLen(1))
	return nodes.Items[0].Name
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
		node := onlyNode()
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
