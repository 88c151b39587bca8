//go:build e2e

package e2e

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/capacity"
)

// The Fargate size of fargateTaskDefinition, as its pods' CapacityProvisioned annotation says.
const fargateSize = "0.25vCPU 0.5GB"

// createFargateService makes a Fargate service as a user would, in namespace ns (from
// newNamespace): the Cluster default with the FARGATE and FARGATE_SPOT capacity providers,
// the task definition family name (awsvpc, cpu 256, memory 512: a Fargate size; the test
// workload serving HTTP on 8080 with an ECS health check) and the Service name with desired
// tasks over FARGATE (base 1, weight 1) and FARGATE_SPOT (weight 4), behind a load balancer
// (the Kubernetes Service name, port 8080). The kind cluster has one node in each pool
// (hack/kind/cluster.yaml).
func createFargateService(ns, name string, desired int) {
	GinkgoHelper()
	mustKubectl(fmt.Sprintf(`apiVersion: ecs.kube-ecs.io/v1alpha1
kind: Cluster
metadata: {name: default}
spec:
  capacityProviders: [FARGATE, FARGATE_SPOT]
---
apiVersion: ecs.kube-ecs.io/v1alpha1
kind: TaskDefinition
metadata: {name: %[1]s}
spec:
  networkMode: awsvpc
  requiresCompatibilities: [FARGATE]
  cpu: "256"
  memory: "512"
  containerDefinitions:
  - name: web
    image: %[2]s
    command: [serve]
    portMappings: [{containerPort: 8080}]
    stopTimeout: 10
    healthCheck: {command: [CMD, /kube-ecs, check, "http://localhost:8080/healthz"], interval: 5, timeout: 2, retries: 2}
---
apiVersion: ecs.kube-ecs.io/v1alpha1
kind: Service
metadata: {name: %[1]s}
spec:
  taskDefinition: %[1]s
  desiredCount: %[3]d
  capacityProviderStrategy:
  - {capacityProvider: FARGATE, base: 1, weight: 1}
  - {capacityProvider: FARGATE_SPOT, weight: 4}
  loadBalancers: [{containerName: web, containerPort: 8080, deregistrationDelaySeconds: 3}]
`, name, workload, desired), "apply", "-n", ns, "-f", "-")
}

// servicePods are the service's tasks that run (pods Running and not terminating).
func servicePods(ns, service string) []corev1.Pod {
	GinkgoHelper()
	pods := &corev1.PodList{}
	Expect(getJSON(pods, "-n", ns, "pods", "-l", ecsv1alpha1.ServiceLabel+"="+service)).To(Succeed())
	var running []corev1.Pod
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning {
			running = append(running, p)
		}
	}
	return running
}

// nodePools maps each node to its capacity pool (the ecs.kube-ecs.io/capacity-pool label:
// fargate, fargate-spot; empty for the EC2 node).
func nodePools() map[string]string {
	GinkgoHelper()
	nodes := &corev1.NodeList{}
	Expect(getJSON(nodes, "nodes")).To(Succeed())
	pools := map[string]string{}
	for _, n := range nodes.Items {
		pools[n.Name] = n.Labels[capacity.PoolLabel]
	}
	return pools
}

// podsByPool groups pods by the capacity pool of their node.
func podsByPool(pods []corev1.Pod) map[string][]corev1.Pod {
	GinkgoHelper()
	pools := nodePools()
	by := map[string][]corev1.Pod{}
	for _, p := range pods {
		by[pools[p.Spec.NodeName]] = append(by[pools[p.Spec.NodeName]], p)
	}
	return by
}

var _ = Describe("A Fargate service", func() {
	It("splits its tasks over FARGATE and FARGATE_SPOT by base and weight, on the Fargate pools' nodes, sized and Guaranteed", func() {
		ns := newNamespace("fargate")
		createFargateService(ns, "web", 5)

		By("reaching a steady state with 5 tasks")
		svc := waitStable(ns, "web")
		Expect(svc.Status.RunningCount).To(Equal(int32(5)))
		Expect(svc.Status.Deployments[0].TaskDefinition).To(HaveSuffix(":task-definition/web:1"))

		By("2 tasks on the fargate node (base 1 + 1 of 4 by weight 1:4), 3 on the fargate-spot node")
		var pods []corev1.Pod
		Eventually(func() int {
			pods = servicePods(ns, "web")
			return len(pods)
		}).WithTimeout(time.Minute).Should(Equal(5), "the 5 tasks' pods, Running")
		byPool := podsByPool(pods)
		Expect(byPool).To(HaveLen(2), "only the Fargate pools' nodes run the tasks: %v", byPool)
		Expect(byPool["fargate"]).To(HaveLen(2))
		Expect(byPool["fargate-spot"]).To(HaveLen(3))
		provider := map[string]string{"fargate": ecsv1alpha1.CapacityProviderFargate, "fargate-spot": ecsv1alpha1.CapacityProviderFargateSpot}
		for pool, ps := range byPool {
			for _, p := range ps {
				Expect(p.Labels).To(HaveKeyWithValue(ecsv1alpha1.CapacityProviderLabel, provider[pool]), "pod %s on the %s node", p.Name, pool)
				Expect(p.Labels).To(HaveKeyWithValue(ecsv1alpha1.LaunchTypeLabel, string(ecsv1alpha1.LaunchTypeFargate)), "pod %s", p.Name)
				Expect(p.Annotations).To(HaveKeyWithValue(ecsv1alpha1.CapacityProvisionedAnnotation, fargateSize), "pod %s", p.Name)
				Expect(p.Status.QOSClass).To(Equal(corev1.PodQOSGuaranteed), "pod %s", p.Name)
			}
		}

		By("answering through the Kubernetes Service from the EC2 node")
		mustKubectl(fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  restartPolicy: Never
  containers:
  - name: load
    image: %s
    args: [load, --duration, 5s, --interval, 50ms, "http://web.%s.svc.cluster.local:8080/"]
`, workload, ns), "apply", "-n", ns, "-f", "-")
		Eventually(func() (corev1.PodPhase, error) {
			p := &corev1.Pod{}
			err := getJSON(p, "-n", ns, "pod/client")
			return p.Status.Phase, err
		}).WithTimeout(time.Minute).Should(Or(Equal(corev1.PodSucceeded), Equal(corev1.PodFailed)))
		logs := mustKubectl("", "logs", "-n", ns, "client")
		Expect(lastLine(logs)).To(MatchRegexp(`^requests=[1-9][0-9]* failures=0 `), logs)
		client := &corev1.Pod{}
		Expect(getJSON(client, "-n", ns, "pod/client")).To(Succeed())
		Expect(nodePools()[client.Spec.NodeName]).To(BeEmpty(), "the client ran on the EC2 node")
	})
})
