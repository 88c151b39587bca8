//go:build e2e

package e2e

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("The Helm chart", func() {
	It("runs the manager with every CRD established", func() {
		for _, crd := range []string{"clusters", "taskdefinitions", "tasks", "services", "containerinstances"} {
			mustKubectl("", "wait", "--for=condition=Established", "crd/"+crd+".ecs.kube-ecs.io", "--timeout=60s")
		}
		mustKubectl("", "wait", "--for=condition=Established", "crd/apprunnerservices.apprunner.kube-ecs.io", "--timeout=60s")
		mustKubectl("", "-n", namespace, "rollout", "status", "deploy/kube-ecs-manager", "--timeout=120s")
		mustKubectl("", "-n", namespace, "rollout", "status", "deploy/kube-ecs-activator", "--timeout=120s")
	})
})

var _ = Describe("The samples", func() {
	It("apply, and their task definitions register revision 1", func() {
		ns := newNamespace("samples")
		mustKubectl("", "apply", "-n", ns, "-f", root+"/config/samples")
		for _, td := range []string{"web", "report", "batch-resize"} {
			Eventually(func() (string, error) {
				return kubectl("", "get", "-n", ns, "taskdefinition.ecs.kube-ecs.io/"+td, "-o", "jsonpath={.status.revision}")
			}).WithTimeout(60*time.Second).Should(Equal("1"), "task definition %s", td)
		}
		out := mustKubectl("", "get", "ecs", "-n", ns)
		for _, name := range []string{"cluster.ecs.kube-ecs.io/default", "service.ecs.kube-ecs.io/web", "task.ecs.kube-ecs.io/report-2026-10", "apprunnerservice.apprunner.kube-ecs.io/hello"} {
			Expect(out).To(ContainSubstring(name))
		}
	})
})
