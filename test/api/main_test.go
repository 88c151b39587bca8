// Package api_test checks the kube-ecs API as a user meets it: manifests applied to a real
// kube-apiserver (envtest) are accepted or rejected with the message a user can act on.
package api_test

import (
	"testing"

	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { testenv.Main(m, &env, nil) }

// newNamespace creates a namespace of its own for one test.
func newNamespace(t *testing.T) string { return env.NewNamespace(t, "api") }
