//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/apprunner"
)

// The App Runner data plane benchmark (figure 7 of the benchmarks, which `make bench` reads
// from KUBE_ECS_BENCH_OUT): the latency the activator adds over calling an instance directly,
// at a fixed request rate, and a cold start from zero against the pod's own start time.
const (
	benchRate     = 50 // requests a second
	benchDuration = 20 * time.Second
)

// dataPlaneBench is the JSON the spec writes to KUBE_ECS_BENCH_OUT.
type dataPlaneBench struct {
	RateRps         float64        `json:"rateRps"`
	DurationSeconds float64        `json:"durationSeconds"`
	Runs            []dataPlaneRun `json:"runs"`
}

// dataPlaneRun is one run: latencies in milliseconds, start times in seconds.
type dataPlaneRun struct {
	DirectP50Ms      float64 `json:"directP50Ms"`
	DirectP99Ms      float64 `json:"directP99Ms"`
	ActivatorP50Ms   float64 `json:"activatorP50Ms"`
	ActivatorP99Ms   float64 `json:"activatorP99Ms"`
	ColdStartSeconds float64 `json:"coldStartSeconds"`
	PodStartSeconds  float64 `json:"podStartSeconds"`
}

var loadLine = regexp.MustCompile(`^requests=[0-9]+ failures=0 p50=(\S+) p99=(\S+) max=(\S+)`)

// loadResult parses the load command's last line into its p50, p99 and max.
func loadResult(logs string) (p50, p99, most time.Duration) {
	GinkgoHelper()
	m := loadLine.FindStringSubmatch(lastLine(logs))
	Expect(m).NotTo(BeNil(), "no failure-free result line in %s", logs)
	ds := make([]time.Duration, 3)
	for i := range ds {
		var err error
		ds[i], err = time.ParseDuration(m[i+1])
		Expect(err).NotTo(HaveOccurred())
	}
	return ds[0], ds[1], ds[2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// activatorServiceURL is the activator's Service by its cluster IP: the load tool opens a
// connection per request and Go's resolver does not cache, so a name would add a DNS lookup
// (several, with the pod's search domains) to every request through the activator.
func activatorServiceURL() string {
	GinkgoHelper()
	svc := &corev1.Service{}
	Expect(getJSON(svc, "-n", namespace, "service/kube-ecs-activator")).To(Succeed())
	Expect(svc.Spec.ClusterIP).NotTo(BeEmpty())
	return "http://" + svc.Spec.ClusterIP + "/"
}

// instancePodIP is the IP of the one ready instance of an App Runner service.
func instancePodIP(ns, name string) string {
	GinkgoHelper()
	pods := &corev1.PodList{}
	Expect(getJSON(pods, "-n", ns, "pods", "-l", apprunner.ServiceLabel+"="+name)).To(Succeed())
	var ips []string
	for _, p := range pods.Items {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue && p.DeletionTimestamp == nil {
				ips = append(ips, p.Status.PodIP)
			}
		}
	}
	Expect(ips).To(HaveLen(1), "ready instances of %s/%s", ns, name)
	return ips[0]
}

// waitNoPods waits until no pod matches the selector (the instances have stopped, not only
// been asked to).
func waitNoPods(ns, selector string) {
	GinkgoHelper()
	Eventually(func() ([]corev1.Pod, error) {
		pods := &corev1.PodList{}
		err := getJSON(pods, "-n", ns, "pods", "-l", selector)
		return pods.Items, err
	}).WithTimeout(3*time.Minute).WithPolling(time.Second).Should(BeEmpty(), "pods %s in %s", selector, ns)
}

var _ = Describe("App Runner data plane benchmark", Label("bench"), func() {
	It("measures the activator's added latency and its cold start against the pod's own start", func() {
		out := os.Getenv("KUBE_ECS_BENCH_OUT")
		if out == "" {
			Skip("KUBE_ECS_BENCH_OUT names no output file (make bench sets it)")
		}
		runs, err := strconv.Atoi(envOr("KUBE_ECS_BENCH_RUNS", "3"))
		Expect(err).NotTo(HaveOccurred(), "KUBE_ECS_BENCH_RUNS")
		Expect(runs).To(BeNumerically(">", 0), "KUBE_ECS_BENCH_RUNS")

		ns := newNamespace("bench")
		// A fixed single instance for the latency (maxSize 1 and maxConcurrency far above
		// what the rate keeps in flight), and one that scales to zero for the cold starts.
		createAppRunnerService(ns, "fixed", 1, 1, 200, "1")
		createAppRunnerService(ns, "cold", 0, 1, 100, "1")
		waitAppRunnerStatus(ns, "fixed", apprunnerv1alpha1.StatusRunning)
		waitAppRunnerStatus(ns, "cold", apprunnerv1alpha1.StatusRunning)
		copyCA(ns)
		activator := activatorServiceURL()
		direct := fmt.Sprintf("http://%s:8080/", instancePodIP(ns, "fixed"))
		fixedHost, coldHost := apprunner.Host("fixed", ns, domain), apprunner.Host("cold", ns, domain)

		// The baseline of the cold start: the cold service's pods as a plain Deployment.
		applyPlainCopy(ns, "cold")

		latency := func(name, url string) (p50, p99 time.Duration) {
			// Plain HTTP straight to the instance needs no NetworkPolicy exception: the e2e
			// cluster's bridge CNI does not enforce the service's ingress policy.
			logs := runClient(ns, name, 2*time.Minute, "--rate", strconv.Itoa(benchRate), "--duration", benchDuration.String(),
				"--concurrency", "50", "--timeout", "5s", "--host", fixedHost, url)
			p50, p99, _ = loadResult(logs)
			return p50, p99
		}
		coldStart := func(i int) time.Duration {
			Eventually(func() (string, error) {
				r, ready, err := replicas(ns, "cold")
				return fmt.Sprintf("%d/%d", ready, r), err
			}).WithTimeout(3*time.Minute).WithPolling(time.Second).Should(Equal("0/0"), "the cold service at zero")
			waitNoPods(ns, apprunner.ServiceLabel+"=cold")
			logs := runClient(ns, fmt.Sprintf("cold-%d", i), 3*time.Minute, "--requests", "1", "--timeout", "90s",
				"--host", coldHost, activator)
			_, _, answer := loadResult(logs)
			return answer
		}
		podStart := func() time.Duration {
			start := time.Now()
			mustKubectl("", "scale", "-n", ns, "deployment/plain", "--replicas=1")
			mustKubectl("", "rollout", "status", "-n", ns, "deployment/plain", "--watch", "--timeout=2m")
			took := time.Since(start)
			mustKubectl("", "scale", "-n", ns, "deployment/plain", "--replicas=0")
			waitNoPods(ns, apprunner.ServiceLabel+"=plain")
			return took
		}

		result := dataPlaneBench{RateRps: benchRate, DurationSeconds: benchDuration.Seconds()}
		for i := range runs {
			var r dataPlaneRun
			var dp50, dp99, ap50, ap99, cold, pod time.Duration
			// Alternate which side goes first, so neither always meets a cooler (or warmer) cluster.
			if i%2 == 0 {
				dp50, dp99 = latency(fmt.Sprintf("direct-%d", i), direct)
				ap50, ap99 = latency(fmt.Sprintf("activator-%d", i), activator)
				cold = coldStart(i)
				pod = podStart()
			} else {
				ap50, ap99 = latency(fmt.Sprintf("activator-%d", i), activator)
				dp50, dp99 = latency(fmt.Sprintf("direct-%d", i), direct)
				pod = podStart()
				cold = coldStart(i)
			}
			r.DirectP50Ms, r.DirectP99Ms, r.ActivatorP50Ms, r.ActivatorP99Ms = ms(dp50), ms(dp99), ms(ap50), ms(ap99)
			r.ColdStartSeconds, r.PodStartSeconds = cold.Seconds(), pod.Seconds()
			result.Runs = append(result.Runs, r)
			GinkgoWriter.Printf("bench run %d/%d at %d req/s for %s: direct p50 %s p99 %s; through the activator p50 %s p99 %s (added %s, %s); cold start from zero %s, pod start (scale 0 to 1, to Ready) %s, ratio %.2f\n",
				i+1, runs, benchRate, benchDuration, dp50, dp99, ap50, ap99, ap50-dp50, ap99-dp99,
				cold.Round(time.Millisecond), pod.Round(time.Millisecond), cold.Seconds()/pod.Seconds())
		}

		data, err := json.MarshalIndent(result, "", "  ")
		Expect(err).NotTo(HaveOccurred())
		Expect(os.MkdirAll(filepath.Dir(out), 0o755)).To(Succeed())
		Expect(os.WriteFile(out, append(data, '\n'), 0o644)).To(Succeed())
		GinkgoWriter.Printf("wrote %s\n", out)
	})
})
