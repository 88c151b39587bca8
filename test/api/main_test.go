// Package api_test checks the kube-ecs API as a user meets it: manifests applied to a real
// kube-apiserver (envtest) are accepted or rejected with the message a user can act on.
package api_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	var err error
	env, err = testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping envtest:", err)
	}
	os.Exit(code)
}

// newNamespace creates a namespace of its own for one test.
func newNamespace(t *testing.T) string { return env.NewNamespace(t, "api") }
