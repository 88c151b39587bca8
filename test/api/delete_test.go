package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

// scaledAboveZero is the message of config/admission/service-delete.yaml for service name
// in namespace ns: ECS's DeleteService error, then the two ways out in kubectl terms.
func scaledAboveZero(ns, name string) string {
	return "InvalidParameterException: The service cannot be stopped while it is scaled above 0." +
		" Scale it to 0 (kubectl -n " + ns + " patch ecsservice " + name + ` --type merge -p '{"spec":{"desiredCount":0}}')` +
		" or force the deletion (kubectl -n " + ns + " annotate ecsservice " + name + " " + ecsv1alpha1.ForceDeleteAnnotation + "=true)"
}

func forceDelete(value string) string {
	return fmt.Sprintf(`{metadata: {annotations: {%q: %q}}}`, ecsv1alpha1.ForceDeleteAnnotation, value)
}

// TestServiceDelete covers DeleteService's rule: a REPLICA service scaled above 0 is only
// deleted with force.
func TestServiceDelete(t *testing.T) {
	ns := newNamespace(t)
	daemon := `{spec: {schedulingStrategy: DAEMON, desiredCount: null, deploymentConfiguration: {maximumPercent: 100, minimumHealthyPercent: 0}}}`
	tests := []struct {
		name    string
		patch   string // merge patch on the "service" base (desiredCount 2)
		refused bool
	}{
		{"scaled to 3", `{spec: {desiredCount: 3}}`, true},
		{"desiredCount omitted means 1", `{spec: {desiredCount: null}}`, true},
		{"explicit REPLICA", `{spec: {schedulingStrategy: REPLICA}}`, true},
		{"force-delete other than true", forceDelete("yes"), true},
		{"scaled to 0", `{spec: {desiredCount: 0}}`, false},
		{"DAEMON", daemon, false},
		{"force-delete true", forceDelete("true"), false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			obj := manifest(t, "service", tc.patch, ns)
			obj.SetName(fmt.Sprintf("web-%c", 'a'+i))
			if err := env.Client.Create(ctx, obj); err != nil {
				t.Fatalf("creating: %v", err)
			}
			err := env.Client.Delete(ctx, obj)
			if !tc.refused {
				if err != nil {
					t.Fatalf("delete refused: %v", err)
				}
				assertGone(t, obj)
				return
			}
			if !apierrors.IsForbidden(err) {
				t.Fatalf("delete error = %v, want Forbidden", err)
			}
			if want := scaledAboveZero(ns, obj.GetName()); !strings.Contains(err.Error(), want) {
				t.Fatalf("message does not contain\n%s\ngot\n%v", want, err)
			}
			// Either way out the message names works.
			if err := env.Client.Patch(ctx, obj, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"desiredCount":0}}`))); err != nil {
				t.Fatalf("scaling to 0: %v", err)
			}
			if err := env.Client.Delete(ctx, obj); err != nil {
				t.Fatalf("delete after scaling to 0 refused: %v", err)
			}
			assertGone(t, obj)
		})
	}
}

// TestServiceDeleteWhileDeleting: a service already being deleted (a finalizer holds it while
// it drains) may be deleted again, whatever its scale.
func TestServiceDeleteWhileDeleting(t *testing.T) {
	ctx := context.Background()
	obj := manifest(t, "service", forceDelete("true"), newNamespace(t))
	obj.SetFinalizers([]string{ecsv1alpha1.ServiceFinalizer})
	if err := env.Client.Create(ctx, obj); err != nil {
		t.Fatalf("creating: %v", err)
	}
	if err := env.Client.Delete(ctx, obj); err != nil {
		t.Fatalf("forced delete refused: %v", err)
	}
	unforce := fmt.Sprintf(`{"metadata":{"annotations":{%q:null}}}`, ecsv1alpha1.ForceDeleteAnnotation)
	if err := env.Client.Patch(ctx, obj, client.RawPatch(types.MergePatchType, []byte(unforce))); err != nil {
		t.Fatalf("removing the annotation: %v", err)
	}
	if err := env.Client.Delete(ctx, obj); err != nil {
		t.Errorf("second delete of a deleting service refused: %v", err)
	}
	if err := env.Client.Patch(ctx, obj, client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`))); err != nil {
		t.Fatalf("removing the finalizer: %v", err)
	}
	assertGone(t, obj)
}

// TestServiceDeleteInTerminatingNamespace: deleting a namespace deletes its services, scaled
// or not. envtest runs no namespace controller, so the test sends the DELETE the controller
// would once the namespace is Terminating; the e2e suite deletes namespaces for real.
func TestServiceDeleteInTerminatingNamespace(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	obj := manifest(t, "service", `{spec: {desiredCount: 3}}`, ns)
	if err := env.Client.Create(ctx, obj); err != nil {
		t.Fatalf("creating: %v", err)
	}
	if err := env.Client.Delete(ctx, obj, client.DryRunAll); !apierrors.IsForbidden(err) {
		t.Fatalf("before the namespace is deleted: delete error = %v, want Forbidden", err)
	}
	if err := env.Client.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatalf("deleting the namespace: %v", err)
	}
	// The policy reads the namespace from the API server's cache: it sees Terminating shortly.
	testenv.Eventually(t, 10*time.Second, func() error { return env.Client.Delete(ctx, obj) })
	assertGone(t, obj)
}

func assertGone(t *testing.T, obj *unstructured.Unstructured) {
	t.Helper()
	got := obj.DeepCopy()
	if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(obj), got); !apierrors.IsNotFound(err) {
		t.Fatalf("service still there after delete (get error %v)", err)
	}
}
