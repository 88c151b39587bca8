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

const taskTimeout = 3 * time.Minute

// runTask registers family with the given container definitions (YAML list items, indented
// by four spaces) and runs one task of it, as a user would with kubectl.
func runTask(ns, family, containers string) {
	GinkgoHelper()
	manifest := fmt.Sprintf(`apiVersion: ecs.kube-ecs.io/v1alpha1
kind: TaskDefinition
metadata: {name: %[1]s}
spec:
  networkMode: awsvpc
  requiresCompatibilities: [EC2]
  containerDefinitions:
%[2]s
---
apiVersion: ecs.kube-ecs.io/v1alpha1
kind: Task
metadata: {name: %[1]s}
spec:
  taskDefinition: %[1]s
  launchType: EC2
`, family, strings.ReplaceAll(containers, "IMAGE", workload))
	mustKubectl(manifest, "apply", "-n", ns, "-f", "-")
}

func getTask(ns, name string) (*ecsv1alpha1.Task, error) {
	t := &ecsv1alpha1.Task{}
	return t, getJSON(t, "-n", ns, "task.ecs.kube-ecs.io/"+name)
}

// waitTask waits until the task's lastStatus is want and returns it.
func waitTask(ns, name string, want ecsv1alpha1.TaskLifecycleStatus) *ecsv1alpha1.Task {
	GinkgoHelper()
	var task *ecsv1alpha1.Task
	Eventually(func() (ecsv1alpha1.TaskLifecycleStatus, error) {
		var err error
		task, err = getTask(ns, name)
		if err != nil {
			return "", err
		}
		return task.Status.LastStatus, nil
	}).WithTimeout(taskTimeout).WithPolling(time.Second).Should(Equal(want), "task %s/%s", ns, name)
	return task
}

func containerOf(task *ecsv1alpha1.Task, name string) ecsv1alpha1.Container {
	GinkgoHelper()
	for _, c := range task.Status.Containers {
		if c.Name == name {
			return c
		}
	}
	Fail(fmt.Sprintf("task %s has no container %s: %+v", task.Name, name, task.Status.Containers))
	return ecsv1alpha1.Container{}
}

var _ = Describe("A task", func() {
	It("stops when its essential container exits, and stops its sidecar", func() {
		ns := newNamespace("essential")
		runTask(ns, "exit3", `  - {name: app, image: IMAGE, memory: 64, command: [serve, --exit-after, 5s, --exit-code, "3"]}
  - {name: sidecar, image: IMAGE, memory: 64, essential: false, command: [serve, --listen, ":8081"], stopTimeout: 5}`)
		waitTask(ns, "exit3", ecsv1alpha1.TaskRunning)
		task := waitTask(ns, "exit3", ecsv1alpha1.TaskStopped)
		Expect(task.Status.StopCode).To(Equal(ecsv1alpha1.StopCodeEssentialContainerExited))
		Expect(task.Status.StoppedReason).To(Equal("Essential container in task exited"))
		app := containerOf(task, "app")
		Expect(app.ExitCode).NotTo(BeNil())
		Expect(*app.ExitCode).To(Equal(int32(3)))
		sidecar := containerOf(task, "sidecar")
		Expect(sidecar.LastStatus).To(Equal(ecsv1alpha1.TaskStopped), "the sidecar was stopped with the task")
		Expect(task.Status.StoppedAt).NotTo(BeNil())
	})

	It("keeps running when a non-essential container exits", func() {
		ns := newNamespace("nonessential")
		runTask(ns, "helper-exits", `  - {name: app, image: IMAGE, memory: 64, command: [serve]}
  - {name: helper, image: IMAGE, memory: 32, essential: false, command: [run, --sleep, 2s, --exit-code, "1"]}`)
		waitTask(ns, "helper-exits", ecsv1alpha1.TaskRunning)
		Eventually(func() (string, error) {
			t, err := getTask(ns, "helper-exits")
			if err != nil {
				return "", err
			}
			c := containerOf(t, "helper")
			if c.ExitCode == nil {
				return string(c.LastStatus), nil
			}
			return fmt.Sprintf("%s %d", c.LastStatus, *c.ExitCode), nil
		}).WithTimeout(taskTimeout).Should(Equal("STOPPED 1"))
		Consistently(func() (ecsv1alpha1.TaskLifecycleStatus, error) {
			t, err := getTask(ns, "helper-exits")
			if err != nil {
				return "", err
			}
			return t.Status.LastStatus, nil
		}).WithTimeout(10 * time.Second).Should(Equal(ecsv1alpha1.TaskRunning))
	})

	It("starts a container only after its HEALTHY and SUCCESS dependencies", func() {
		ns := newNamespace("depends")
		runTask(ns, "ordered", `  - name: app
    image: IMAGE
    memory: 64
    command: [serve]
    dependsOn: [{containerName: db, condition: HEALTHY}, {containerName: migrate, condition: SUCCESS}]
  - name: db
    image: IMAGE
    memory: 64
    command: [serve, --listen, ":8081"]
    healthCheck: {command: [CMD, /kube-ecs, check, "http://localhost:8081/healthz"], interval: 5, retries: 3}
  - {name: migrate, image: IMAGE, memory: 32, essential: false, command: [run, --sleep, 3s, --exit-code, "0"]}`)
		waitTask(ns, "ordered", ecsv1alpha1.TaskRunning)
		pod := &corev1.Pod{}
		Expect(getJSON(pod, "-n", ns, "pod/ordered")).To(Succeed())
		started := map[string]time.Time{}
		finished := map[string]time.Time{}
		for _, s := range append(pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses...) {
			switch {
			case s.State.Running != nil:
				started[s.Name] = s.State.Running.StartedAt.Time
			case s.State.Terminated != nil:
				started[s.Name] = s.State.Terminated.StartedAt.Time
				finished[s.Name] = s.State.Terminated.FinishedAt.Time
			}
		}
		Expect(finished).To(HaveKey("migrate"), "migrate ran to completion")
		Expect(started).To(HaveKey("app"))
		Expect(started).To(HaveKey("db"))
		Expect(started["app"]).NotTo(BeTemporally("<", finished["migrate"]), "app started after migrate succeeded")
		Expect(started["app"]).To(BeTemporally(">", started["db"]), "app started after db")
	})

	It("stops on StopTask with UserInitiated", func() {
		ns := newNamespace("stoptask")
		runTask(ns, "stop-me", `  - {name: app, image: IMAGE, memory: 64, command: [serve], stopTimeout: 10}`)
		waitTask(ns, "stop-me", ecsv1alpha1.TaskRunning)
		mustKubectl("", "patch", "-n", ns, "task.ecs.kube-ecs.io/stop-me", "--type=merge", "-p", `{"spec":{"desiredStatus":"STOPPED"}}`)
		task := waitTask(ns, "stop-me", ecsv1alpha1.TaskStopped)
		Expect(task.Status.StopCode).To(Equal(ecsv1alpha1.StopCodeUserInitiated))
		Expect(task.Status.StoppedReason).To(Equal("Task stopped by user"))
		Expect(task.Status.StoppingAt).NotTo(BeNil())
		Expect(task.Status.StoppedAt.Sub(task.Status.StoppingAt.Time)).To(BeNumerically("<=", 10*time.Second+5*time.Second), "stopped within the stopTimeout")
	})

	It("reports a failing health check as UNHEALTHY", func() {
		ns := newNamespace("health")
		runTask(ns, "sick", `  - name: app
    image: IMAGE
    memory: 64
    command: [serve, --unhealthy-after, 5s]
    healthCheck: {command: [CMD, /kube-ecs, check, "http://localhost:8080/healthz"], interval: 5, timeout: 2, retries: 1}`)
		waitTask(ns, "sick", ecsv1alpha1.TaskRunning)
		Eventually(func() (string, error) {
			t, err := getTask(ns, "sick")
			if err != nil {
				return "", err
			}
			return string(containerOf(t, "app").HealthStatus) + " " + string(t.Status.HealthStatus), nil
		}).WithTimeout(taskTimeout).WithPolling(time.Second).Should(Equal("UNHEALTHY UNHEALTHY"))
	})
})
