package taskdefinition_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/controllers/taskdefinition"
	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

const timeout = 20 * time.Second

func webTaskDefinition(ns string) *ecsv1alpha1.TaskDefinition {
	return &ecsv1alpha1.TaskDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: ecsv1alpha1.TaskDefinitionSpec{
			NetworkMode: ecsv1alpha1.NetworkModeAwsvpc,
			ContainerDefinitions: []ecsv1alpha1.ContainerDefinition{{
				Name: "web", Image: "nginx:1.27", Memory: ptr.To[int32](256),
			}},
		},
	}
}

// waitForRevision waits until the family reports revision n as its current one and returns it.
func waitForRevision(t *testing.T, key client.ObjectKey, n int32) *ecsv1alpha1.TaskDefinition {
	t.Helper()
	td := &ecsv1alpha1.TaskDefinition{}
	testenv.Eventually(t, timeout, func() error {
		if err := env.Client.Get(context.Background(), key, td); err != nil {
			return err
		}
		if td.Status.ObservedGeneration != td.Generation || td.Status.Revision != n {
			return fmt.Errorf("status revision %d (generation %d observed %d), want %d",
				td.Status.Revision, td.Generation, td.Status.ObservedGeneration, n)
		}
		return nil
	})
	return td
}

func revisions(t *testing.T, ns, family string) []appsv1.ControllerRevision {
	t.Helper()
	list := &appsv1.ControllerRevisionList{}
	if err := env.Client.List(context.Background(), list, client.InNamespace(ns), client.MatchingLabels{ecsv1alpha1.FamilyLabel: family}); err != nil {
		t.Fatal(err)
	}
	return list.Items
}

func update(t *testing.T, td *ecsv1alpha1.TaskDefinition, mutate func(*ecsv1alpha1.TaskDefinition)) {
	t.Helper()
	testenv.Eventually(t, timeout, func() error {
		cur := &ecsv1alpha1.TaskDefinition{}
		if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(td), cur); err != nil {
			return err
		}
		mutate(cur)
		return env.Client.Update(context.Background(), cur)
	})
}

func TestRevisions(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	td := webTaskDefinition(ns)
	if err := env.Client.Create(ctx, td); err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKeyFromObject(td)

	got := waitForRevision(t, key, 1)
	if want := "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:1"; got.Status.TaskDefinitionArn != want {
		t.Errorf("taskDefinitionArn = %q, want %q", got.Status.TaskDefinitionArn, want)
	}
	revs := revisions(t, ns, "web")
	if len(revs) != 1 || revs[0].Name != "web-1" || revs[0].Revision != 1 || revs[0].Labels[ecsv1alpha1.RevisionLabel] != "1" {
		t.Fatalf("revisions = %+v, want one web-1", revs)
	}
	if ref := metav1.GetControllerOf(&revs[0]); ref == nil || ref.UID != got.UID {
		t.Errorf("web-1 is not controlled by the family: %v", revs[0].OwnerReferences)
	}

	t.Run("re-applying the same spec registers nothing", func(t *testing.T) {
		update(t, td, func(cur *ecsv1alpha1.TaskDefinition) {
			cur.Labels = map[string]string{"team": "web"}
			cur.Spec.Status = "ACTIVE" // read-only describe fields do not make a revision
			cur.Spec.Revision = ptr.To[int32](42)
		})
		waitForRevision(t, key, 1)
		if n := len(revisions(t, ns, "web")); n != 1 {
			t.Fatalf("%d revisions, want 1", n)
		}
	})

	t.Run("a change registers revision 2", func(t *testing.T) {
		update(t, td, func(cur *ecsv1alpha1.TaskDefinition) { cur.Spec.ContainerDefinitions[0].Image = "nginx:1.28" })
		got := waitForRevision(t, key, 2)
		if got.Status.LatestActiveRevision != 2 || len(got.Status.Revisions) != 2 {
			t.Fatalf("status = %+v", got.Status)
		}
		spec := decodeRevision(t, ns, "web-2")
		if spec.ContainerDefinitions[0].Image != "nginx:1.28" {
			t.Errorf("revision 2 holds image %s", spec.ContainerDefinitions[0].Image)
		}
		if spec1 := decodeRevision(t, ns, "web-1"); spec1.ContainerDefinitions[0].Image != "nginx:1.27" {
			t.Errorf("revision 1 changed: image %s", spec1.ContainerDefinitions[0].Image)
		}
	})

	t.Run("deregistering makes a revision INACTIVE for good", func(t *testing.T) {
		update(t, td, func(cur *ecsv1alpha1.TaskDefinition) { cur.Spec.DeregisteredRevisions = []int32{1} })
		testenv.Eventually(t, timeout, func() error {
			got := &ecsv1alpha1.TaskDefinition{}
			if err := env.Client.Get(ctx, key, got); err != nil {
				return err
			}
			r := got.Status.Revisions
			if len(r) != 2 || r[0].Status != ecsv1alpha1.TaskDefinitionRevisionInactive || r[0].DeregisteredAt == nil || r[1].Status != ecsv1alpha1.TaskDefinitionRevisionActive {
				return fmt.Errorf("revisions %+v", r)
			}
			return nil
		})
		if _, err := taskdefinition.Resolve(ctx, env.Client, ns, "web:1"); !errors.Is(err, taskdefinition.ErrInactive) {
			t.Errorf("Resolve(web:1) = %v, want ErrInactive", err)
		}
		update(t, td, func(cur *ecsv1alpha1.TaskDefinition) { cur.Spec.DeregisteredRevisions = nil })
		got := waitForRevision(t, key, 2)
		if got.Status.Revisions[0].Status != ecsv1alpha1.TaskDefinitionRevisionInactive {
			t.Errorf("revision 1 became %s after leaving deregisteredRevisions; ECS never reactivates", got.Status.Revisions[0].Status)
		}
	})

	t.Run("references resolve as in ECS", func(t *testing.T) {
		tests := []struct {
			ref     string
			want    int32
			wantErr error
		}{
			{"web", 2, nil},
			{"web:2", 2, nil},
			{"arn:aws:ecs:us-east-1:000000000000:task-definition/web:2", 2, nil},
			{"web:1", 0, taskdefinition.ErrInactive},
			{"web:9", 0, taskdefinition.ErrNotFound},
			{"api", 0, taskdefinition.ErrNotFound},
			{"web:x", 0, taskdefinition.ErrNotFound},
		}
		for _, tt := range tests {
			testenv.Eventually(t, timeout, func() error {
				r, err := taskdefinition.Resolve(ctx, env.Client, ns, tt.ref)
				if tt.wantErr != nil {
					if !errors.Is(err, tt.wantErr) {
						return fmt.Errorf("Resolve(%s) error = %v, want %v", tt.ref, err, tt.wantErr)
					}
					return nil
				}
				if err != nil || r.Reference.Revision != tt.want || r.Spec == nil {
					return fmt.Errorf("Resolve(%s) = %+v, %v; want revision %d", tt.ref, r, err, tt.want)
				}
				return nil
			})
		}
	})

	t.Run("going back to an earlier spec registers a new revision", func(t *testing.T) {
		update(t, td, func(cur *ecsv1alpha1.TaskDefinition) { cur.Spec.ContainerDefinitions[0].Image = "nginx:1.27" })
		got := waitForRevision(t, key, 3)
		if got.Status.LatestActiveRevision != 3 {
			t.Errorf("latestActiveRevision = %d, want 3", got.Status.LatestActiveRevision)
		}
	})
}

// TestPastedRevisionStartsNumbering: describe-task-definition output pasted with revision 7
// registers revision 7, so references made on AWS (web:7) keep working.
func TestPastedRevisionStartsNumbering(t *testing.T) {
	ns := newNamespace(t)
	td := webTaskDefinition(ns)
	td.Spec.Revision = ptr.To[int32](7)
	td.Spec.Status = "ACTIVE"
	if err := env.Client.Create(context.Background(), td); err != nil {
		t.Fatal(err)
	}
	waitForRevision(t, client.ObjectKeyFromObject(td), 7)
	update(t, td, func(cur *ecsv1alpha1.TaskDefinition) { cur.Spec.ContainerDefinitions[0].Image = "nginx:1.28" })
	waitForRevision(t, client.ObjectKeyFromObject(td), 8)
}

// TestRevisionNameTaken: a ControllerRevision of the revision's name that the family does
// not own is never adopted; the family says why it is not ready.
func TestRevisionNameTaken(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	squatter := &appsv1.ControllerRevision{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: ns}, Revision: 1, Data: runtime.RawExtension{Raw: []byte(`{}`)}}
	if err := env.Client.Create(ctx, squatter); err != nil {
		t.Fatal(err)
	}
	td := webTaskDefinition(ns)
	if err := env.Client.Create(ctx, td); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, timeout, func() error {
		got := &ecsv1alpha1.TaskDefinition{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(td), got); err != nil {
			return err
		}
		c := meta.FindStatusCondition(got.Status.Conditions, ecsv1alpha1.ReadyCondition)
		if c == nil || c.Status != metav1.ConditionFalse || !strings.Contains(c.Message, "ControllerRevision web-1 already exists") {
			return fmt.Errorf("ready condition %+v", c)
		}
		return nil
	})
	if revs := revisions(t, ns, "web"); slices.ContainsFunc(revs, func(cr appsv1.ControllerRevision) bool { return len(cr.OwnerReferences) > 0 }) {
		t.Fatalf("the squatting revision was adopted or another was made: %+v", revs)
	}
}

func decodeRevision(t *testing.T, ns, name string) *ecsv1alpha1.TaskDefinitionSpec {
	t.Helper()
	cr := &appsv1.ControllerRevision{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, cr); err != nil {
		t.Fatal(err)
	}
	spec, err := taskdefinition.Decode(cr)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// reconciles is how many passes of the taskdefinition controller ended with result (the
// manager runs in this process: its metrics are the registry's).
func reconciles(t *testing.T, result string) float64 {
	t.Helper()
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n float64
	for _, f := range families {
		if f.GetName() != "controller_runtime_reconcile_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["controller"] == "taskdefinition" && labels["result"] == result {
				n += m.GetCounter().GetValue()
			}
		}
	}
	return n
}

// TestNamespaceTerminating: the namespace controller deletes a family's revisions before the
// family itself; registering again is refused in a terminating namespace, and the controller
// lets it be (no error, no retries) instead of failing until the namespace is gone.
func TestNamespaceTerminating(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	td := webTaskDefinition(ns)
	if err := env.Client.Create(ctx, td); err != nil {
		t.Fatal(err)
	}
	waitForRevision(t, client.ObjectKeyFromObject(td), 1)
	// envtest runs no namespace controller: the namespace stays Terminating.
	if err := env.Client.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, timeout, func() error {
		got := &corev1.Namespace{}
		if err := env.Client.Get(ctx, client.ObjectKey{Name: ns}, got); err != nil {
			return err
		}
		if got.Status.Phase != corev1.NamespaceTerminating {
			return fmt.Errorf("namespace phase %s", got.Status.Phase)
		}
		return nil
	})
	errs, ok := reconciles(t, "error"), reconciles(t, "success")
	if err := env.Client.DeleteAllOf(ctx, &appsv1.ControllerRevision{}, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, timeout, func() error {
		if reconciles(t, "success")+reconciles(t, "error") == ok+errs {
			return errors.New("no pass of the controller since the revisions went")
		}
		return nil
	})
	if n := reconciles(t, "error"); n != errs {
		t.Fatalf("%v failed passes after the revisions went in a terminating namespace, want none", n-errs)
	}
	got := &ecsv1alpha1.TaskDefinition{}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(td), got); err != nil {
		t.Fatal(err)
	}
	if c := meta.FindStatusCondition(got.Status.Conditions, ecsv1alpha1.ReadyCondition); c != nil && c.Reason == ecsv1alpha1.ReconcileErrorReason {
		t.Fatalf("ready condition %+v", c)
	}
}
