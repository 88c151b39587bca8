//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

const serviceTimeout = 4 * time.Minute

// registerWeb registers (a new revision of) family: one HTTP container with an ECS health
// check. env makes revisions differ; command replaces the server's arguments.
func registerWeb(ns, family, env string, command string) {
	GinkgoHelper()
	if command == "" {
		command = "[serve]"
	}
	mustKubectl(fmt.Sprintf(`apiVersion: ecs.kube-ecs.io/v1alpha1
kind: TaskDefinition
metadata: {name: %s}
spec:
  networkMode: awsvpc
  requiresCompatibilities: [EC2]
  containerDefinitions:
  - name: web
    image: %s
    memory: 64
    command: %s
    environment: [{name: VERSION, value: %q}]
    portMappings: [{containerPort: 8080}]
    stopTimeout: 10
    healthCheck: {command: [CMD, /kube-ecs, check, "http://localhost:8080/healthz"], interval: 5, timeout: 2, retries: 2}
`, family, workload, command, env), "apply", "-n", ns, "-f", "-")
}

func getService(ns, name string) (*ecsv1alpha1.Service, error) {
	s := &ecsv1alpha1.Service{}
	return s, getJSON(s, "-n", ns, "service.ecs.kube-ecs.io/"+name)
}

// stable is `aws ecs wait services-stable`'s condition: one deployment and runningCount ==
// desiredCount, here also with the deployment COMPLETED.
func stable(s *ecsv1alpha1.Service) bool {
	return len(s.Status.Deployments) == 1 && s.Status.RunningCount == s.Status.DesiredCount &&
		s.Status.Deployments[0].RolloutState == ecsv1alpha1.RolloutCompleted && s.Status.ObservedGeneration == s.Generation
}

func waitStable(ns, name string) *ecsv1alpha1.Service {
	GinkgoHelper()
	var svc *ecsv1alpha1.Service
	Eventually(func() (string, error) {
		var err error
		svc, err = getService(ns, name)
		if err != nil {
			return "", err
		}
		if stable(svc) {
			return "stable", nil
		}
		return fmt.Sprintf("deployments=%+v running=%d desired=%d", svc.Status.Deployments, svc.Status.RunningCount, svc.Status.DesiredCount), nil
	}).WithTimeout(serviceTimeout).WithPolling(2*time.Second).Should(Equal("stable"), "service %s/%s", ns, name)
	return svc
}

func eventMessages(s *ecsv1alpha1.Service) []string {
	var out []string
	for _, e := range s.Status.Events {
		out = append(out, e.Message)
	}
	return out
}

// sample counts the service's tasks like ECS's bounds do: RUNNING or PENDING (pods not
// terminating), and healthy (ready).
type sample struct{ active, healthy int }

func sampleTasks(ns, service string) (sample, error) {
	pods := &corev1.PodList{}
	if err := getJSON(pods, "-n", ns, "pods", "-l", ecsv1alpha1.ServiceLabel+"="+service); err != nil {
		return sample{}, err
	}
	var s sample
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		s.active++
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				s.healthy++
			}
		}
	}
	return s, nil
}

var _ = Describe("A service", func() {
	It("reaches a steady state, then rolls a new revision out within its bounds while traffic keeps flowing", func() {
		ns := newNamespace("rolling")
		registerWeb(ns, "web", "1", "")
		mustKubectl(`apiVersion: ecs.kube-ecs.io/v1alpha1
kind: Service
metadata: {name: web}
spec:
  taskDefinition: web
  desiredCount: 4
  launchType: EC2
  deploymentConfiguration: {minimumHealthyPercent: 50, maximumPercent: 150}
  loadBalancers: [{containerName: web, containerPort: 8080, deregistrationDelaySeconds: 3}]
`, "apply", "-n", ns, "-f", "-")

		By("(a) reaching a steady state: one deployment, running == desired")
		svc := waitStable(ns, "web")
		Expect(svc.Status.RunningCount).To(Equal(int32(4)))
		first := svc.Status.Deployments[0]
		Expect(first.ID).To(MatchRegexp(`^ecs-svc/[1-9][0-9]{18}$`))
		Expect(first.TaskDefinition).To(HaveSuffix(":task-definition/web:1"))
		Eventually(func() ([]string, error) {
			s, err := getService(ns, "web")
			if err != nil {
				return nil, err
			}
			return eventMessages(s), nil
		}).WithTimeout(time.Minute).Should(ContainElements(
			"(service web) has reached a steady state.",
			fmt.Sprintf("(service web) (deployment %s) deployment completed.", first.ID),
			ContainSubstring("(service web) has started"),
		))

		By("(d) sending traffic through the Kubernetes Service during the rollout")
		mustKubectl(fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: load}
spec:
  restartPolicy: Never
  containers:
  - name: load
    image: %s
    args: [load, --duration, 75s, --interval, 25ms, "http://web.%s.svc.cluster.local:8080/"]
`, workload, ns), "apply", "-n", ns, "-f", "-")
		Eventually(func() (corev1.PodPhase, error) {
			p := &corev1.Pod{}
			err := getJSON(p, "-n", ns, "pod/load")
			return p.Status.Phase, err
		}).WithTimeout(time.Minute).Should(Equal(corev1.PodRunning))

		By("(b) sampling the tasks while revision 2 rolls out")
		var mu sync.Mutex
		var samples []sample
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer GinkgoRecover()
			defer close(done)
			for {
				select {
				case <-stop:
					return
				default:
				}
				if s, err := sampleTasks(ns, "web"); err == nil {
					mu.Lock()
					samples = append(samples, s)
					mu.Unlock()
				}
				time.Sleep(200 * time.Millisecond)
			}
		}()
		time.Sleep(5 * time.Second) // traffic before the rollout too
		registerWeb(ns, "web", "2", "")
		Eventually(func() (string, error) {
			s, err := getService(ns, "web")
			if err != nil {
				return "", err
			}
			return s.Status.Deployments[0].TaskDefinition, nil
		}).WithTimeout(time.Minute).Should(HaveSuffix(":task-definition/web:2"))
		svc = waitStable(ns, "web")
		close(stop)
		<-done
		Expect(svc.Status.Deployments[0].ID).NotTo(Equal(first.ID), "a new deployment")
		mu.Lock()
		defer mu.Unlock()
		Expect(len(samples)).To(BeNumerically(">", 10))
		maxActive, minHealthy := 0, 1<<30
		for _, s := range samples {
			maxActive, minHealthy = max(maxActive, s.active), min(minHealthy, s.healthy)
		}
		GinkgoWriter.Printf("rollout: %d samples, at most %d tasks RUNNING or PENDING (maximumPercent 150%% = 6), at least %d healthy (minimumHealthyPercent 50%% = 2)\n", len(samples), maxActive, minHealthy)
		Expect(maxActive).To(BeNumerically("<=", 6), "never above maximumPercent")
		Expect(minHealthy).To(BeNumerically(">=", 2), "never below minimumHealthyPercent")

		By("(d) counting failed requests")
		Eventually(func() (corev1.PodPhase, error) {
			p := &corev1.Pod{}
			err := getJSON(p, "-n", ns, "pod/load")
			return p.Status.Phase, err
		}).WithTimeout(2 * time.Minute).Should(Or(Equal(corev1.PodSucceeded), Equal(corev1.PodFailed)))
		logs := mustKubectl("", "logs", "-n", ns, "load")
		GinkgoWriter.Printf("load: %s\n", lastLine(logs))
		Expect(lastLine(logs)).To(MatchRegexp(`^requests=[1-9][0-9]* failures=0 `), logs)
		Expect(eventMessages(svc)).To(ContainElements(
			MatchRegexp(`^\(service web\) registered [0-9]+ targets in \(target-group service/`+ns+`/web\)$`),
			MatchRegexp(`^\(service web\) has begun draining connections on [0-9]+ tasks\.$`),
			MatchRegexp(`^\(service web\) deregistered [0-9]+ targets in \(target-group service/`+ns+`/web\)$`),
		), "the load balancer events")
	})

	It("trips the circuit breaker on a revision whose essential container exits and rolls back", func() {
		ns := newNamespace("breaker")
		registerWeb(ns, "app", "1", "")
		mustKubectl(`apiVersion: ecs.kube-ecs.io/v1alpha1
kind: Service
metadata: {name: app}
spec:
  taskDefinition: app
  desiredCount: 3
  deploymentConfiguration:
    deploymentCircuitBreaker: {enable: true, rollback: true}
`, "apply", "-n", ns, "-f", "-")
		good := waitStable(ns, "app").Status.Deployments[0]

		registerWeb(ns, "app", "2", `[run, --exit-code, "1"]`)
		var svc *ecsv1alpha1.Service
		Eventually(func() (string, error) {
			var err error
			svc, err = getService(ns, "app")
			if err != nil {
				return "", err
			}
			cb := svc.Status.DeploymentCircuitBreaker
			if cb == nil {
				return "no breaker status", nil
			}
			return fmt.Sprintf("%s %d/%d primary=%s", cb.Status, cb.FailureCount, cb.Threshold, svc.Status.Deployments[0].ID), nil
		}).WithTimeout(serviceTimeout).WithPolling(time.Second).Should(Equal(fmt.Sprintf("TRIGGERED 3/3 primary=%s", good.ID)))
		var failed *ecsv1alpha1.Deployment
		for i := range svc.Status.Deployments {
			if svc.Status.Deployments[i].RolloutState == ecsv1alpha1.RolloutFailed {
				failed = &svc.Status.Deployments[i]
			}
		}
		if failed == nil {
			failed = svc.Status.LastFailedDeployment
		}
		Expect(failed).NotTo(BeNil(), "the failed deployment is reported: %+v", svc.Status)
		Expect(failed.TaskDefinition).To(HaveSuffix(":task-definition/app:2"))
		Expect(failed.RolloutStateReason).To(Equal("ECS deployment circuit breaker: tasks failed to start."))

		svc = waitStable(ns, "app")
		Expect(svc.Status.Deployments[0].ID).To(Equal(good.ID), "rolled back to the last COMPLETED deployment")
		Expect(svc.Status.Deployments[0].TaskDefinition).To(HaveSuffix(":task-definition/app:1"))
		Expect(svc.Status.LastFailedDeployment).NotTo(BeNil())
		Expect(eventMessages(svc)).To(ContainElements(
			fmt.Sprintf("(service app) (deployment %s) deployment failed: tasks failed to start.", failed.ID),
			fmt.Sprintf("(service app) rolling back to (deployment %s).", good.ID),
		))
		Consistently(func() (string, error) {
			s, err := getService(ns, "app")
			if err != nil {
				return "", err
			}
			return s.Status.Deployments[0].TaskDefinition, nil
		}).WithTimeout(10*time.Second).Should(HaveSuffix(":task-definition/app:1"), "the failed revision is not deployed again")
	})

	It("cannot be deleted while scaled above 0, and keeps its cluster from being deleted", func() {
		ns := newNamespace("delete")
		registerWeb(ns, "api", "1", "")
		mustKubectl(`apiVersion: ecs.kube-ecs.io/v1alpha1
kind: Service
metadata: {name: api}
spec: {taskDefinition: api, desiredCount: 2}
`, "apply", "-n", ns, "-f", "-")
		waitStable(ns, "api")

		By("(e) delete is refused while desiredCount is 2")
		out, err := kubectl("", "delete", "-n", ns, "ecsservice", "api", "--wait=false")
		Expect(err).To(HaveOccurred(), out)
		Expect(out).To(ContainSubstring("InvalidParameterException: The service cannot be stopped while it is scaled above 0."))

		By("(e) the cluster cannot be deleted while the service exists")
		mustKubectl("", "delete", "-n", ns, "cluster.ecs.kube-ecs.io", "default", "--wait=false")
		Eventually(func() (string, error) {
			c := &ecsv1alpha1.Cluster{}
			if err := getJSON(c, "-n", ns, "cluster.ecs.kube-ecs.io/default"); err != nil {
				return "", err
			}
			for _, cond := range c.Status.Conditions {
				if cond.Type == ecsv1alpha1.DeletingCondition {
					return cond.Reason, nil
				}
			}
			return "", nil
		}).WithTimeout(time.Minute).Should(Equal(ecsv1alpha1.ClusterContainsServicesReason))

		By("(e) scaled to 0, the service drains and goes; then the cluster goes")
		mustKubectl("", "patch", "-n", ns, "ecsservice", "api", "--type=merge", "-p", `{"spec":{"desiredCount":0}}`)
		mustKubectl("", "delete", "-n", ns, "ecsservice", "api", "--wait=false")
		Eventually(func() string {
			out, _ := kubectl("", "get", "-n", ns, "ecsservice,cluster.ecs.kube-ecs.io,pods", "-o", "name")
			return strings.TrimSpace(out)
		}).WithTimeout(2 * time.Minute).WithPolling(2 * time.Second).Should(BeEmpty())
	})
})

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
