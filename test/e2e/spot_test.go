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

// spotWarning is the chart's fargateSpot.interruptionWarning as hack/e2e.sh installs it.
const spotWarning = 15 * time.Second

var _ = Describe("A Fargate Spot interruption", func() {
	It("sends SIGTERM to the Spot tasks, stops them with SpotInterruption, and the service replaces them", func() {
		ns := newNamespace("spot")
		createFargateService(ns, "web", 5)
		// A standalone Spot task whose container exits 143 on SIGTERM: its exit code shows
		// the signal reached it (SIGKILL would be 137).
		mustKubectl(fmt.Sprintf(`apiVersion: ecs.kube-ecs.io/v1alpha1
kind: TaskDefinition
metadata: {name: batch}
spec:
  networkMode: awsvpc
  requiresCompatibilities: [FARGATE]
  cpu: "256"
  memory: "512"
  containerDefinitions:
  - {name: job, image: %s, command: [serve, --term-exit-code, "143"], stopTimeout: 10}
---
apiVersion: ecs.kube-ecs.io/v1alpha1
kind: Task
metadata: {name: batch}
spec:
  taskDefinition: batch
  capacityProviderStrategy: [{capacityProvider: FARGATE_SPOT, weight: 1}]
`, workload), "apply", "-n", ns, "-f", "-")
		waitStable(ns, "web")
		task := waitTask(ns, "batch", ecsv1alpha1.TaskRunning)
		Expect(task.Status.CapacityProviderName).To(Equal(ecsv1alpha1.CapacityProviderFargateSpot))

		before := podsByPool(servicePods(ns, "web"))
		Expect(before["fargate"]).To(HaveLen(2), "FARGATE base 1 + 1:4 of 5")
		Expect(before["fargate-spot"]).To(HaveLen(3))
		spotNode := before["fargate-spot"][0].Spec.NodeName
		interrupted := map[string]bool{}
		for _, p := range before["fargate-spot"] {
			interrupted[p.Name] = true
		}

		start := time.Now()
		mustKubectl("", "annotate", "node", spotNode, ecsv1alpha1.SpotInterruptionAnnotation+"=now")

		task = waitTask(ns, "batch", ecsv1alpha1.TaskStopped)
		Expect(task.Status.StopCode).To(Equal(ecsv1alpha1.StopCodeSpotInterruption))
		Expect(task.Status.StoppedReason).To(Equal("Your Spot Task was interrupted."))
		job := containerOf(task, "job")
		Expect(job.ExitCode).NotTo(BeNil(), "the container's exit code")
		Expect(*job.ExitCode).To(Equal(int32(143)), "the container exited on SIGTERM")

		// The service's Spot tasks are replaced on Spot capacity once it is back.
		Eventually(func() (string, error) {
			by := podsByPool(servicePods(ns, "web"))
			left := 0
			for _, p := range by["fargate-spot"] {
				if interrupted[p.Name] {
					left++
				}
			}
			return fmt.Sprintf("fargate %d, fargate-spot %d, interrupted still running %d", len(by["fargate"]), len(by["fargate-spot"]), left), nil
		}).WithTimeout(3 * time.Minute).WithPolling(time.Second).Should(Equal("fargate 2, fargate-spot 3, interrupted still running 0"))
		Expect(time.Since(start)).To(BeNumerically(">=", spotWarning), "the replacements waited for the Spot capacity to come back")
		for _, p := range before["fargate"] {
			_, err := kubectl("", "get", "pod", "-n", ns, p.Name)
			Expect(err).NotTo(HaveOccurred(), "the FARGATE task %s was not interrupted", p.Name)
		}
		waitStable(ns, "web")
		events := &corev1.EventList{}
		Expect(getJSON(events, "-n", ns, "events")).To(Succeed())
		var stopped []string
		for _, e := range events.Items {
			if e.InvolvedObject.Kind == "Service" && e.Reason == string(ecsv1alpha1.StopCodeSpotInterruption) &&
				strings.Contains(e.Message, "SpotInterruption: Your Spot Task was interrupted.") {
				stopped = append(stopped, e.Message)
			}
		}
		Expect(len(stopped)).To(BeNumerically(">=", 3), "an event of the service per interrupted task: %v", stopped)

		Eventually(func() (string, error) {
			node := &corev1.Node{}
			if err := getJSON(node, "node", spotNode); err != nil {
				return "", err
			}
			for _, t := range node.Spec.Taints {
				if t.Key == ecsv1alpha1.SpotInterruptionTaint {
					return "tainted", nil
				}
			}
			if _, ok := node.Annotations[ecsv1alpha1.SpotInterruptionAnnotation]; ok {
				return "annotated", nil
			}
			return "open", nil
		}).WithTimeout(time.Minute).Should(Equal("open"), "the Spot node takes tasks again")
	})
})
