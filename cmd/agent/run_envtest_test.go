//go:build envtest

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/arn"
	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestRunOnAPIServer runs the agent as its main does against a real API server: it
// heartbeats, answers the task metadata of a pod of its node, and deletes its Lease when
// it stops.
func TestRunOnAPIServer(t *testing.T) {
	env, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	t.Setenv("KUBECONFIG", env.Kubeconfig)
	ctx := context.Background()
	ns := env.NewNamespace(t, "agent-run")
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-run", Labels: map[string]string{ecsv1alpha1.NodeLabelZone: "us-east-1c"}}}
	if err := env.Client.Create(ctx, node); err != nil {
		t.Fatal(err)
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "job", Labels: map[string]string{
			ecsv1alpha1.ClusterLabel: "default", ecsv1alpha1.FamilyLabel: "job", ecsv1alpha1.RevisionLabel: "1", ecsv1alpha1.LaunchTypeLabel: "EC2",
		}},
		Spec: corev1.PodSpec{NodeName: "node-run", Containers: []corev1.Container{{Name: "main", Image: "img"}}},
	}
	if err := env.Client.Create(ctx, pod); err != nil {
		t.Fatal(err)
	}

	o := options{
		nodeName: "node-run", namespace: ns, healthAddr: freeAddr(t), metadataAddr: freeAddr(t),
		heartbeatInterval: time.Second, heartbeatTimeout: 4 * time.Second,
		scope: arn.Scope{Region: "eu-west-1", Account: "123456789012"},
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- run(runCtx, o) }()

	lease := client.ObjectKey{Namespace: ns, Name: "agent-node-run"}
	testenv.Eventually(t, 30*time.Second, func() error {
		return env.Client.Get(ctx, lease, &coordinationv1.Lease{})
	})
	var task struct{ TaskARN, Family, AvailabilityZone string }
	testenv.Eventually(t, 30*time.Second, func() error {
		resp, err := http.Get(fmt.Sprintf("http://%s/v4/%s/main/task", o.metadataAddr, pod.UID))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %s", resp.Status, body)
		}
		return json.Unmarshal(body, &task)
	})
	want := "arn:aws:ecs:eu-west-1:123456789012:task/default/" + strings.ReplaceAll(string(pod.UID), "-", "")
	if task.TaskARN != want || task.Family != "job" || task.AvailabilityZone != "us-east-1c" {
		t.Errorf("task metadata %+v, want TaskARN %s, family job, zone us-east-1c", task, want)
	}

	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the agent did not stop")
	}
	if err := env.Client.Get(ctx, lease, &coordinationv1.Lease{}); !apierrors.IsNotFound(err) {
		t.Errorf("the Lease outlived the agent: %v", err)
	}
}
