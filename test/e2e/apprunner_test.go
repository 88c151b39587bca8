//go:build e2e

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/apprunner"
)

// domain is the chart's activator.domain, as hack/e2e.sh installs it.
const domain = apprunner.DefaultDomain

// appRunnerTimeout bounds a service reaching a status (a deployment of real containers).
const appRunnerTimeout = 3 * time.Minute

// createAppRunnerService applies an App Runner service of the test workload (it serves on
// $PORT, which App Runner sets) with an HTTP health check on /healthz and the smallest
// instance size.
func createAppRunnerService(ns, name string, minSize, maxSize, maxConcurrency int, env string) {
	GinkgoHelper()
	mustKubectl(fmt.Sprintf(`apiVersion: apprunner.kube-ecs.io/v1alpha1
kind: AppRunnerService
metadata: {name: %[1]s}
spec:
  sourceConfiguration:
    autoDeploymentsEnabled: false
    imageRepository:
      imageIdentifier: %[2]s
      imageRepositoryType: ECR
      imageConfiguration:
        port: "8080"
        runtimeEnvironmentVariables: {VERSION: "%[6]s"}
  instanceConfiguration: {cpu: 0.25 vCPU, memory: 0.5 GB}
  healthCheckConfiguration: {protocol: HTTP, path: /healthz, interval: 1, timeout: 1, healthyThreshold: 1, unhealthyThreshold: 3}
  autoScalingConfiguration: {minSize: %[3]d, maxSize: %[4]d, maxConcurrency: %[5]d}
`, name, workload, minSize, maxSize, maxConcurrency, env), "apply", "-n", ns, "-f", "-")
}

func getAppRunnerService(ns, name string) (*apprunnerv1alpha1.AppRunnerService, error) {
	s := &apprunnerv1alpha1.AppRunnerService{}
	return s, getJSON(s, "-n", ns, "apprunnerservice.apprunner.kube-ecs.io/"+name)
}

// waitAppRunnerStatus waits until the service's status is want and returns it.
func waitAppRunnerStatus(ns, name string, want apprunnerv1alpha1.ServiceStatusValue) *apprunnerv1alpha1.AppRunnerService {
	GinkgoHelper()
	var svc *apprunnerv1alpha1.AppRunnerService
	Eventually(func() (string, error) {
		var err error
		if svc, err = getAppRunnerService(ns, name); err != nil {
			return "", err
		}
		op := ""
		if o := svc.Status.CurrentOperation; o != nil {
			op = fmt.Sprintf(" (%s %s)", o.Type, o.Status)
		}
		return string(svc.Status.Status) + op, nil
	}).WithTimeout(appRunnerTimeout).WithPolling(time.Second).Should(HavePrefix(string(want)), "App Runner service %s/%s", ns, name)
	return svc
}

// replicas is the Deployment's spec.replicas and ready replicas.
func replicas(ns, name string) (int32, int32, error) {
	d := &appsv1.Deployment{}
	if err := getJSON(d, "-n", ns, "deployment/"+name); err != nil {
		return 0, 0, err
	}
	if d.Spec.Replicas == nil {
		return 1, d.Status.ReadyReplicas, nil
	}
	return *d.Spec.Replicas, d.Status.ReadyReplicas, nil
}

// activatorURL is the activator's Kubernetes Service inside the cluster.
func activatorURL(scheme string) string {
	return fmt.Sprintf("%s://kube-ecs-activator.%s.svc.cluster.local/", scheme, namespace)
}

// runClient runs the workload's load command in a pod of ns (on the EC2 node, with the App
// Runner CA at /ca/ca.crt) until it ends, and returns its last output line.
func runClient(ns, name string, timeout time.Duration, args ...string) string {
	GinkgoHelper()
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = fmt.Sprintf("%q", a)
	}
	mustKubectl(fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %[1]s}
spec:
  restartPolicy: Never
  containers:
  - name: load
    image: %[2]s
    args: [load, %[3]s]
    volumeMounts: [{name: ca, mountPath: /ca}]
  volumes:
  - name: ca
    secret: {secretName: apprunner-ca}
`, name, workload, strings.Join(quoted, ", ")), "apply", "-n", ns, "-f", "-")
	Eventually(func() (corev1.PodPhase, error) {
		p := &corev1.Pod{}
		err := getJSON(p, "-n", ns, "pod/"+name)
		return p.Status.Phase, err
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Or(Equal(corev1.PodSucceeded), Equal(corev1.PodFailed)))
	logs := mustKubectl("", "logs", "-n", ns, name)
	GinkgoWriter.Printf("%s: %s\n", name, lastLine(logs))
	return logs
}

// applyPlainCopy applies Deployment "plain": the pods of App Runner service name's
// Deployment, at zero replicas and labelled as a service of its own (the baseline of a cold
// start).
func applyPlainCopy(ns, name string) {
	GinkgoHelper()
	d := &appsv1.Deployment{}
	Expect(getJSON(d, "-n", ns, "deployment/"+name)).To(Succeed())
	plain := &appsv1.Deployment{}
	plain.APIVersion, plain.Kind, plain.Name = "apps/v1", "Deployment", "plain"
	plain.Spec = *d.Spec.DeepCopy()
	plain.Spec.Replicas = new(int32)
	for _, m := range []map[string]string{plain.Spec.Selector.MatchLabels, plain.Spec.Template.Labels} {
		m[apprunner.ServiceLabel] = "plain"
	}
	manifest, err := json.Marshal(plain)
	Expect(err).NotTo(HaveOccurred())
	mustKubectl(string(manifest), "apply", "-n", ns, "-f", "-")
}

// copyCA copies the App Runner CA certificate (the manager's Secret) into a Secret
// "apprunner-ca" of ns, for client pods, and into a file for curl; it returns the file.
func copyCA(ns string) string {
	GinkgoHelper()
	var b64 string
	Eventually(func() (string, error) {
		out, err := kubectl("", "-n", namespace, "get", "secret", "kube-ecs-apprunner-ca", "-o", `jsonpath={.data.ca\.crt}`)
		b64 = strings.TrimSpace(out)
		return b64, err
	}).WithTimeout(time.Minute).ShouldNot(BeEmpty())
	mustKubectl(fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata: {name: apprunner-ca}\ndata: {ca.crt: %s}\n", b64), "apply", "-n", ns, "-f", "-")
	file := filepath.Join(GinkgoT().TempDir(), "ca.crt")
	out, err := kubectl("", "-n", ns, "get", "secret", "apprunner-ca", "-o", `go-template={{index .data "ca.crt" | base64decode}}`)
	Expect(err).NotTo(HaveOccurred(), out)
	Expect(os.WriteFile(file, []byte(out), 0o644)).To(Succeed())
	return file
}

// portForward forwards a local port to the activator's https port and returns it; the
// kubectl process is stopped by PID when the spec ends.
func portForward() int {
	GinkgoHelper()
	cmd := exec.Command("kubectl", "-n", namespace, "port-forward", "svc/kube-ecs-activator", ":443")
	out, err := cmd.StdoutPipe()
	Expect(err).NotTo(HaveOccurred())
	cmd.Stderr = GinkgoWriter
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	Expect(cmd.Start()).To(Succeed())
	DeferCleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	ports := make(chan int, 1)
	go func() {
		re := regexp.MustCompile(`Forwarding from 127\.0\.0\.1:([0-9]+)`)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				var p int
				_, _ = fmt.Sscan(m[1], &p)
				ports <- p
			}
		}
	}()
	select {
	case p := <-ports:
		return p
	case <-time.After(30 * time.Second):
		Fail("kubectl port-forward did not start")
	}
	return 0
}

var _ = Describe("An App Runner service", func() {
	It("answers its HTTPS URL through the activator and scales out on concurrent requests", func() {
		ns := newNamespace("apprunner")
		createAppRunnerService(ns, "hello", 1, 5, 10, "1")
		svc := waitAppRunnerStatus(ns, "hello", apprunnerv1alpha1.StatusRunning)
		host := apprunner.Host("hello", ns, domain)
		Expect(svc.Status.ServiceURL).To(Equal("https://" + host))
		Expect(svc.Status.ServiceArn).To(HavePrefix("arn:aws:apprunner:"))
		ca := copyCA(ns)

		By("(a) curl --cacert <CA> https://<serviceUrl>")
		port := portForward()
		Eventually(func() (string, error) {
			out, err := exec.Command("curl", "-sS", "--max-time", "10", "--cacert", ca,
				"--resolve", fmt.Sprintf("%s:%d:127.0.0.1", host, port),
				"-o", "/dev/null", "-w", "%{http_code} %{http_version}", fmt.Sprintf("https://%s:%d/", host, port)).CombinedOutput()
			return string(out), err
		}).WithTimeout(time.Minute).WithPolling(2*time.Second).Should(Equal("200 2"), "HTTPS with the CA, over HTTP/2")

		By("(c) 200 concurrent requests with maxConcurrency 10 and maxSize 5")
		stop, sampled := make(chan struct{}), make(chan [2]int32, 1)
		go func() {
			var most, mostReady int32
			for {
				select {
				case <-stop:
					sampled <- [2]int32{most, mostReady}
					return
				case <-time.After(time.Second):
				}
				if r, ready, err := replicas(ns, "hello"); err == nil {
					most, mostReady = max(most, r), max(mostReady, ready)
				}
			}
		}()
		logs := runClient(ns, "burst", 3*time.Minute, "--concurrency", "200", "--duration", "40s", "--interval", "0",
			"--timeout", "30s", "--host", host, "--cacert", "/ca/ca.crt", strings.TrimSuffix(activatorURL("https"), "/")+"/sleep?d=1s")
		close(stop)
		most := <-sampled
		GinkgoWriter.Printf("scale out: at most %d instances (%d ready) during the burst\n", most[0], most[1])
		Expect(lastLine(logs)).To(MatchRegexp(`^requests=[1-9][0-9]* failures=0 `), logs)
		Expect(most[0]).To(Equal(int32(5)), "ceil(200/10) = 20, capped at maxSize 5")
		Expect(most[1]).To(Equal(int32(5)), "all 5 instances became ready")
		events := mustKubectl("", "get", "events", "-n", ns, "--field-selector", "reason=Scaled", "-o", "jsonpath={.items[*].message}")
		GinkgoWriter.Printf("Scaled events: %s\n", events)
	})

	It("scales to zero when idle and the next request succeeds", func() {
		ns := newNamespace("apprunner-zero")
		createAppRunnerService(ns, "idle", 0, 2, 10, "1")
		waitAppRunnerStatus(ns, "idle", apprunnerv1alpha1.StatusRunning)
		copyCA(ns)
		start := time.Now()
		Eventually(func() (string, error) {
			r, ready, err := replicas(ns, "idle")
			return fmt.Sprintf("%d/%d", ready, r), err
		}).WithTimeout(3 * time.Minute).WithPolling(time.Second).Should(Equal("0/0"))
		GinkgoWriter.Printf("scaled to zero %s after RUNNING\n", time.Since(start).Round(time.Second))
		svc, err := getAppRunnerService(ns, "idle")
		Expect(err).NotTo(HaveOccurred())
		Expect(svc.Status.Status).To(Equal(apprunnerv1alpha1.StatusRunning), "a service at zero is RUNNING")

		logs := runClient(ns, "cold", 3*time.Minute, "--requests", "1", "--timeout", "90s",
			"--host", apprunner.Host("idle", ns, domain), activatorURL("http"))
		Expect(lastLine(logs)).To(MatchRegexp(`^requests=1 failures=0 `), logs)
		cold, err := time.ParseDuration(regexp.MustCompile(`max=(\S+)`).FindStringSubmatch(lastLine(logs))[1])
		Expect(err).NotTo(HaveOccurred())

		By("the baseline: the same pods as a plain Deployment scaled from 0 to 1")
		applyPlainCopy(ns, "idle")
		start = time.Now()
		mustKubectl("", "scale", "-n", ns, "deployment/plain", "--replicas=1")
		Eventually(func() (int32, error) {
			_, ready, err := replicas(ns, "plain")
			return ready, err
		}).WithTimeout(2 * time.Minute).WithPolling(200 * time.Millisecond).Should(Equal(int32(1)))
		baseline := time.Since(start)
		GinkgoWriter.Printf("cold start from zero through the activator (request to answer): %s; baseline, a plain Deployment scaled 0 to 1 until Ready (polled every 200 ms): %s; ratio %.2f\n",
			cold, baseline.Round(time.Millisecond), float64(cold)/float64(baseline))
	})

	It("answers 503 while paused and 200 again once resumed", func() {
		ns := newNamespace("apprunner-pause")
		createAppRunnerService(ns, "pausable", 1, 2, 10, "1")
		waitAppRunnerStatus(ns, "pausable", apprunnerv1alpha1.StatusRunning)
		copyCA(ns)
		host := apprunner.Host("pausable", ns, domain)
		mustKubectl("", "patch", "-n", ns, "apprunnerservice.apprunner.kube-ecs.io/pausable", "--type=merge", "-p", `{"spec":{"paused":true}}`)
		waitAppRunnerStatus(ns, "pausable", apprunnerv1alpha1.StatusPaused)
		logs := runClient(ns, "paused", time.Minute, "--requests", "1", "--host", host, activatorURL("http"))
		Expect(lastLine(logs)).To(MatchRegexp(`^requests=1 failures=1 `), logs)
		Expect(logs).To(ContainSubstring("503"))

		mustKubectl("", "patch", "-n", ns, "apprunnerservice.apprunner.kube-ecs.io/pausable", "--type=merge", "-p", `{"spec":{"paused":false}}`)
		waitAppRunnerStatus(ns, "pausable", apprunnerv1alpha1.StatusRunning)
		logs = runClient(ns, "resumed", 2*time.Minute, "--requests", "1", "--timeout", "60s", "--host", host, activatorURL("http"))
		Expect(lastLine(logs)).To(MatchRegexp(`^requests=1 failures=0 `), logs)
	})

	It("rolls out a new version under steady load without losing a request", func() {
		ns := newNamespace("apprunner-roll")
		createAppRunnerService(ns, "rolling", 2, 4, 10, "1")
		waitAppRunnerStatus(ns, "rolling", apprunnerv1alpha1.StatusRunning)
		copyCA(ns)
		host := apprunner.Host("rolling", ns, domain)
		done := make(chan string, 1)
		go func() {
			defer GinkgoRecover()
			done <- runClient(ns, "steady", 3*time.Minute, "--concurrency", "4", "--duration", "45s", "--interval", "50ms",
				"--host", host, activatorURL("http"))
		}()
		time.Sleep(10 * time.Second)
		createAppRunnerService(ns, "rolling", 2, 4, 10, "2")
		Eventually(func() (string, error) {
			svc, err := getAppRunnerService(ns, "rolling")
			if err != nil || svc.Status.CurrentOperation == nil {
				return "", err
			}
			return fmt.Sprintf("%s %s %s", svc.Status.Status, svc.Status.CurrentOperation.Type, svc.Status.CurrentOperation.Status), nil
		}).WithTimeout(appRunnerTimeout).WithPolling(time.Second).Should(Equal("RUNNING UPDATE_SERVICE SUCCEEDED"))
		logs := <-done
		Expect(lastLine(logs)).To(MatchRegexp(`^requests=[1-9][0-9]* failures=0 `), logs)
	})
})
