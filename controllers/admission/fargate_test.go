package admission

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/scheme"
)

const fargatePrefix = "Task definition does not support launch_type FARGATE. "

func item(provider string, weight, base int32) ecsv1alpha1.CapacityProviderStrategyItem {
	it := ecsv1alpha1.CapacityProviderStrategyItem{CapacityProvider: provider, Weight: ptr.To(weight)}
	if base > 0 {
		it.Base = ptr.To(base)
	}
	return it
}

func strategy(items ...ecsv1alpha1.CapacityProviderStrategyItem) []ecsv1alpha1.CapacityProviderStrategyItem {
	return items
}

// clusterWithDefault is the cluster "prod" of namespace "ns" with a default strategy.
func clusterWithDefault(items ...ecsv1alpha1.CapacityProviderStrategyItem) *ecsv1alpha1.Cluster {
	return &ecsv1alpha1.Cluster{
		ObjectMeta: metav1.ObjectMeta{Name: "prod", Namespace: "ns"},
		Spec:       ecsv1alpha1.ClusterSpec{DefaultCapacityProviderStrategy: items},
	}
}

func TestTaskLaunch(t *testing.T) {
	const fargate, spot, ec2 = ecsv1alpha1.CapacityProviderFargate, ecsv1alpha1.CapacityProviderFargateSpot, "on-demand"
	tests := []struct {
		name       string
		launchType ecsv1alpha1.LaunchType
		strategy   []ecsv1alpha1.CapacityProviderStrategyItem
		cluster    *ecsv1alpha1.Cluster
		want       launch
	}{
		{name: "nothing set, no cluster: EC2", want: launch{}},
		{name: "nothing set, a cluster without a default: EC2", cluster: clusterWithDefault(), want: launch{}},
		{name: "launchType FARGATE", launchType: ecsv1alpha1.LaunchTypeFargate, want: launch{fargate: true}},
		{name: "launchType EC2 wins over the cluster's Fargate default", launchType: ecsv1alpha1.LaunchTypeEC2,
			cluster: clusterWithDefault(item(fargate, 1, 0)), want: launch{}},
		{name: "its own FARGATE_SPOT strategy", strategy: strategy(item(spot, 1, 0)), want: launch{fargate: true, provider: spot}},
		{name: "its own strategy wins over the cluster's default", strategy: strategy(item(ec2, 1, 0)),
			cluster: clusterWithDefault(item(fargate, 1, 0)), want: launch{}},
		{name: "a strategy whose heaviest provider is EC2 runs the task on EC2, but names Fargate",
			strategy: strategy(item(ec2, 2, 0), item(fargate, 1, 0)), want: launch{provider: fargate}},
		{name: "the provider with a base takes a single task", strategy: strategy(item(ec2, 3, 0), item(spot, 1, 1)),
			want: launch{fargate: true, provider: spot}},
		{name: "the cluster's default strategy", cluster: clusterWithDefault(item(ec2, 1, 0), item(spot, 3, 0)),
			want: launch{fargate: true, provider: spot, defaultOf: "prod"}},
		{name: "the cluster's default strategy runs the task on EC2, but names Fargate",
			cluster: clusterWithDefault(item(ec2, 3, 0), item(fargate, 1, 0)), want: launch{provider: fargate, defaultOf: "prod"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task := &ecsv1alpha1.Task{Spec: ecsv1alpha1.TaskSpec{TaskDefinition: "app", LaunchType: tt.launchType, CapacityProviderStrategy: tt.strategy}}
			if diff := cmp.Diff(tt.want, taskLaunch(task, tt.cluster), cmp.AllowUnexported(launch{})); diff != "" {
				t.Errorf("taskLaunch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestServiceLaunch(t *testing.T) {
	const fargate, spot, ec2 = ecsv1alpha1.CapacityProviderFargate, ecsv1alpha1.CapacityProviderFargateSpot, "on-demand"
	tests := []struct {
		name       string
		launchType ecsv1alpha1.LaunchType
		strategy   []ecsv1alpha1.CapacityProviderStrategyItem
		cluster    *ecsv1alpha1.Cluster
		want       launch
	}{
		{name: "nothing set: EC2", cluster: clusterWithDefault(), want: launch{}},
		{name: "launchType FARGATE", launchType: ecsv1alpha1.LaunchTypeFargate, want: launch{fargate: true}},
		{name: "launchType EC2 wins over the cluster's Fargate default", launchType: ecsv1alpha1.LaunchTypeEC2,
			cluster: clusterWithDefault(item(spot, 1, 0)), want: launch{}},
		{name: "a part of its tasks on FARGATE_SPOT", strategy: strategy(item(ec2, 3, 1), item(spot, 1, 0)),
			want: launch{fargate: true, provider: spot}},
		{name: "its own EC2 strategy wins over the cluster's default", strategy: strategy(item(ec2, 1, 0)),
			cluster: clusterWithDefault(item(fargate, 1, 0)), want: launch{}},
		{name: "the cluster's default strategy", cluster: clusterWithDefault(item(fargate, 1, 1), item(spot, 4, 0)),
			want: launch{fargate: true, provider: fargate, defaultOf: "prod"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &ecsv1alpha1.Service{Spec: ecsv1alpha1.ServiceSpec{TaskDefinition: "app", LaunchType: tt.launchType, CapacityProviderStrategy: tt.strategy}}
			if diff := cmp.Diff(tt.want, serviceLaunch(svc, tt.cluster), cmp.AllowUnexported(launch{})); diff != "" {
				t.Errorf("serviceLaunch (-want +got):\n%s", diff)
			}
		})
	}
}

// awsvpc is a task definition Fargate runs: awsvpc, 0.25 vCPU, 512 MiB.
func awsvpc() *ecsv1alpha1.TaskDefinitionSpec {
	return &ecsv1alpha1.TaskDefinitionSpec{NetworkMode: ecsv1alpha1.NetworkModeAwsvpc, CPU: "256", Memory: "512",
		ContainerDefinitions: []ecsv1alpha1.ContainerDefinition{{Name: "app", Image: "busybox"}}}
}

func TestFargateRules(t *testing.T) {
	spec := field.NewPath("spec")
	memberOf := []ecsv1alpha1.PlacementConstraint{{Type: ecsv1alpha1.PlacementConstraintMemberOf, Expression: "attribute:ecs.instance-type =~ t3.*"}}
	bridge := awsvpc()
	bridge.NetworkMode = ecsv1alpha1.NetworkModeBridge
	slow := awsvpc()
	slow.ContainerDefinitions[0].StopTimeout = ptr.To[int32](300)
	viaDefault := launch{fargate: true, provider: ecsv1alpha1.CapacityProviderFargateSpot, defaultOf: "prod"}
	const why = ` (with no launchType or capacityProviderStrategy, the service uses the defaultCapacityProviderStrategy of cluster "prod", which names FARGATE_SPOT; set launchType EC2 to run it on EC2)`
	daemon := &ecsv1alpha1.Service{Spec: ecsv1alpha1.ServiceSpec{SchedulingStrategy: ecsv1alpha1.SchedulingStrategyDaemon}}
	replica := &ecsv1alpha1.Service{Spec: ecsv1alpha1.ServiceSpec{SchedulingStrategy: ecsv1alpha1.SchedulingStrategyReplica}}
	tests := []struct {
		name string
		got  field.ErrorList
		want []string
	}{
		{name: "constraints on EC2", got: fargateConstraints(spec.Child("placementConstraints"), memberOf, launch{}, "task")},
		{name: "no constraints on Fargate", got: fargateConstraints(spec.Child("placementConstraints"), nil, launch{fargate: true}, "task")},
		{name: "constraints with a strategy that names Fargate",
			got:  fargateConstraints(spec.Child("placementConstraints"), memberOf, launch{provider: ecsv1alpha1.CapacityProviderFargate}, "task"),
			want: []string{"spec.placementConstraints: Forbidden: Fargate does not support placement constraints"}},
		{name: "constraints with the cluster's Fargate default",
			got:  fargateConstraints(spec.Child("placementConstraints"), memberOf, viaDefault, "service"),
			want: []string{"spec.placementConstraints: Forbidden: Fargate does not support placement constraints" + why}},
		{name: "a DAEMON service on the cluster's Fargate default", got: fargateDaemon(spec.Child("schedulingStrategy"), daemon, viaDefault),
			want: []string{`spec.schedulingStrategy: Invalid value: "DAEMON": The DAEMON scheduling strategy is not supported on Fargate.` + why}},
		{name: "a DAEMON service on EC2", got: fargateDaemon(spec.Child("schedulingStrategy"), daemon, launch{})},
		{name: "a REPLICA service on Fargate", got: fargateDaemon(spec.Child("schedulingStrategy"), replica, viaDefault)},
		{name: "a Fargate task definition", got: fargateTaskDefinition(spec.Child("taskDefinition"), "app", awsvpc(), launch{fargate: true}, "task")},
		{name: "a bridge task definition on EC2", got: fargateTaskDefinition(spec.Child("taskDefinition"), "app", bridge, launch{provider: "FARGATE"}, "task")},
		{name: "a task definition that does not exist yet", got: fargateTaskDefinition(spec.Child("taskDefinition"), "app", nil, launch{fargate: true}, "task")},
		{name: "a bridge task definition on Fargate",
			got:  fargateTaskDefinition(spec.Child("taskDefinition"), "app:3", bridge, launch{fargate: true}, "task"),
			want: []string{`spec.taskDefinition: Invalid value: "app:3": ` + fargatePrefix + "Fargate only supports network mode 'awsvpc'."}},
		{name: "a stopTimeout of 300 seconds through the cluster's default",
			got:  fargateTaskDefinition(spec.Child("taskDefinition"), "app", slow, viaDefault, "service"),
			want: []string{`spec.taskDefinition: Invalid value: "app": ` + fargatePrefix + "Fargate allows a stopTimeout of at most 120 seconds" + why}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, e := range tt.got {
				got = append(got, e.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClusterName(t *testing.T) {
	for ref, want := range map[string]string{
		"":     "default",
		"prod": "prod",
		"arn:aws:ecs:eu-west-1:123456789012:cluster/prod": "prod",
	} {
		if got := clusterName(ref); got != want {
			t.Errorf("clusterName(%q) = %q, want %q", ref, got, want)
		}
	}
}

func request(t *testing.T, op admissionv1.Operation, obj, old runtime.Object) admission.Request {
	t.Helper()
	raw := func(o runtime.Object) runtime.RawExtension {
		if o == nil {
			return runtime.RawExtension{}
		}
		data, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		return runtime.RawExtension{Raw: data}
	}
	kind := "Task"
	if _, ok := obj.(*ecsv1alpha1.Service); ok {
		kind = "Service"
	}
	return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		Operation: op, Namespace: "ns",
		Kind:   metav1.GroupVersionKind{Group: ecsv1alpha1.GroupVersion.Group, Version: ecsv1alpha1.GroupVersion.Version, Kind: kind},
		Object: raw(obj), OldObject: raw(old),
	}}
}

// failingReader is an API server that cannot be read (what envtest cannot play): every
// read fails with err.
type failingReader struct{ err error }

func (r failingReader) Get(context.Context, client.ObjectKey, client.Object, ...client.GetOption) error {
	return r.err
}

func (r failingReader) List(context.Context, client.ObjectList, ...client.ListOption) error {
	return r.err
}

// TestHandleUnreadable: when the task definition cannot be read the webhook fails open, as
// its failurePolicy does, with a warning kubectl shows. The reads themselves are checked
// against a real API server in test/api (fargate_test.go).
func TestHandleUnreadable(t *testing.T) {
	task := &ecsv1alpha1.Task{
		TypeMeta:   metav1.TypeMeta{APIVersion: ecsv1alpha1.GroupVersion.String(), Kind: "Task"},
		ObjectMeta: metav1.ObjectMeta{Name: "t", Namespace: "ns"},
		Spec:       ecsv1alpha1.TaskSpec{TaskDefinition: "web", LaunchType: ecsv1alpha1.LaunchTypeFargate, Cluster: "prod"},
	}
	v := &validator{decoder: admission.NewDecoder(scheme.New()), reader: failingReader{errors.New("connection refused")}}
	resp := v.Handle(context.Background(), request(t, admissionv1.Create, task, nil))
	if !resp.Allowed || len(resp.Warnings) != 1 || !strings.Contains(resp.Warnings[0], "connection refused") {
		t.Errorf("allowed %t, warnings %q; want allowed with one warning naming the error", resp.Allowed, resp.Warnings)
	}
}
