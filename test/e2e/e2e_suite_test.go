//go:build e2e

// Package e2e drives kube-ecs installed by its Helm chart in a real kind cluster, with kubectl,
// as a user would. hack/e2e.sh (make test-e2e) sets the cluster up and runs these specs.
package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "kube-ecs e2e")
}

var (
	root      = repoRoot()
	imageTag  = envOr("E2E_IMAGE_TAG", "e2e")
	workload  = "kube-ecs-test-workload:" + imageTag
	namespace = envOr("E2E_NAMESPACE", "kube-ecs-system")
)

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// kubectl runs kubectl (the one hack/tools.sh built) with stdin, as a user would.
func kubectl(stdin string, args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(root, "bin", "kubectl"), args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func mustKubectl(stdin string, args ...string) string {
	GinkgoHelper()
	out, err := kubectl(stdin, args...)
	Expect(err).NotTo(HaveOccurred(), "kubectl %s: %s", strings.Join(args, " "), out)
	return out
}

// getJSON reads an object with kubectl get -o json into v.
func getJSON(v any, args ...string) error {
	out, err := kubectl("", append([]string{"get", "-o", "json"}, args...)...)
	if err != nil {
		return fmt.Errorf("kubectl get %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return json.Unmarshal([]byte(out), v)
}

// newNamespace creates a namespace with the cluster "default" for one spec.
func newNamespace(prefix string) string {
	GinkgoHelper()
	ns := fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()%1e9)
	mustKubectl("", "create", "namespace", ns)
	DeferCleanup(func() { _, _ = kubectl("", "delete", "namespace", ns, "--wait=false") })
	mustKubectl("apiVersion: ecs.kube-ecs.io/v1alpha1\nkind: Cluster\nmetadata: {name: default}\n", "apply", "-n", ns, "-f", "-")
	return ns
}
