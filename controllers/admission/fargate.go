package admission

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/controllers/task"
	"github.com/kube-ecs/kube-ecs/controllers/taskdefinition"
	"github.com/kube-ecs/kube-ecs/internal/capacity"
	"github.com/kube-ecs/kube-ecs/internal/taskdef"
)

// Messages of the API server's rules that the webhook repeats where the rule cannot see
// the cluster (service_types.go, task_types.go).
const (
	fargateConstraintsMessage = "Fargate does not support placement constraints"
	fargateDaemonMessage      = "The DAEMON scheduling strategy is not supported on Fargate."
)

// launch is how a Task or Service would be launched, as far as Fargate's rules go.
type launch struct {
	// fargate: the task, or some of the service's tasks, would run on FARGATE.
	fargate bool
	// provider is the FARGATE or FARGATE_SPOT capacity provider of the strategy in effect
	// ("" with a launch type, or when the strategy names neither).
	provider string
	// defaultOf names the cluster whose defaultCapacityProviderStrategy is in effect and
	// names provider ("" when the object's own launch type or strategy decides).
	defaultOf string
}

// taskLaunch decides as the task controller does (task.Place): the launch type, else the
// provider the task's strategy, else the cluster's default strategy, picks for one task.
// cluster is nil when it does not exist.
func taskLaunch(t *ecsv1alpha1.Task, cluster *ecsv1alpha1.Cluster) launch {
	p := task.Place(t, cluster, capacity.Pools{})
	l := launch{fargate: p.LaunchType == ecsv1alpha1.LaunchTypeFargate}
	if t.Spec.LaunchType != "" {
		return l
	}
	l.provider, l.defaultOf = strategyProvider(t.Spec.CapacityProviderStrategy, cluster)
	if l.fargate && capacity.IsFargate(p.CapacityProvider) {
		l.provider = p.CapacityProvider
	}
	return l
}

// serviceLaunch decides as the service scheduler does: a service runs a part of its tasks
// on each provider of its strategy (its own, else the cluster's default), so it runs on
// Fargate when its launch type is FARGATE or its strategy names FARGATE or FARGATE_SPOT.
// cluster is nil when it does not exist.
func serviceLaunch(s *ecsv1alpha1.Service, cluster *ecsv1alpha1.Cluster) launch {
	if s.Spec.LaunchType != "" {
		return launch{fargate: s.Spec.LaunchType == ecsv1alpha1.LaunchTypeFargate}
	}
	provider, defaultOf := strategyProvider(s.Spec.CapacityProviderStrategy, cluster)
	return launch{fargate: provider != "", provider: provider, defaultOf: defaultOf}
}

// strategyProvider is the first Fargate provider of own, else of the cluster's default
// strategy, with the cluster's name when it comes from the default.
func strategyProvider(own []ecsv1alpha1.CapacityProviderStrategyItem, cluster *ecsv1alpha1.Cluster) (provider, defaultOf string) {
	strategy := own
	if len(own) == 0 && cluster != nil {
		strategy = cluster.Spec.DefaultCapacityProviderStrategy
	}
	for _, item := range strategy {
		if capacity.IsFargate(item.CapacityProvider) {
			if len(own) == 0 {
				defaultOf = cluster.Name
			}
			return item.CapacityProvider, defaultOf
		}
	}
	return "", ""
}

// onFargate says whether the object names Fargate itself or through its cluster's default
// strategy: placement constraints are refused in both cases.
func (l launch) onFargate() bool { return l.fargate || l.provider != "" }

// why explains a Fargate launch that comes from the cluster's default strategy, which the
// object does not show; "" otherwise.
func (l launch) why(kind string) string {
	if l.defaultOf == "" {
		return ""
	}
	return fmt.Sprintf(" (with no launchType or capacityProviderStrategy, the %s uses the defaultCapacityProviderStrategy of cluster %q, which names %s; set launchType EC2 to run it on EC2)",
		kind, l.defaultOf, l.provider)
}

// fargateConstraints refuses placement constraints on Fargate.
func fargateConstraints(path *field.Path, cs []ecsv1alpha1.PlacementConstraint, l launch, kind string) field.ErrorList {
	if len(cs) == 0 || !l.onFargate() {
		return nil
	}
	return field.ErrorList{field.Forbidden(path, fargateConstraintsMessage+l.why(kind))}
}

// fargateDaemon refuses a DAEMON service on Fargate (the API server refuses it when the
// service names Fargate itself).
func fargateDaemon(path *field.Path, s *ecsv1alpha1.Service, l launch) field.ErrorList {
	if s.Spec.SchedulingStrategy != ecsv1alpha1.SchedulingStrategyDaemon || !l.fargate {
		return nil
	}
	return field.ErrorList{field.Invalid(path, s.Spec.SchedulingStrategy, fargateDaemonMessage+l.why("service"))}
}

// fargateTaskDefinition refuses a task definition revision that Fargate cannot run, in
// RunTask's words.
func fargateTaskDefinition(path *field.Path, ref string, spec *ecsv1alpha1.TaskDefinitionSpec, l launch, kind string) field.ErrorList {
	if !l.fargate || spec == nil {
		return nil
	}
	if err := taskdef.CheckFargate(spec); err != nil {
		return field.ErrorList{field.Invalid(path, ref, err.Error()+l.why(kind))}
	}
	return nil
}

// taskLaunchChanged says whether an update changes what decides a task's Fargate checks.
func taskLaunchChanged(old, cur *ecsv1alpha1.Task) bool {
	o, c := old.Spec, cur.Spec
	return o.Cluster != c.Cluster || o.TaskDefinition != c.TaskDefinition || o.LaunchType != c.LaunchType ||
		!equality.Semantic.DeepEqual(o.CapacityProviderStrategy, c.CapacityProviderStrategy) ||
		!equality.Semantic.DeepEqual(o.PlacementConstraints, c.PlacementConstraints)
}

// serviceLaunchChanged says whether an update changes what decides a service's Fargate
// checks.
func serviceLaunchChanged(old, cur *ecsv1alpha1.Service) bool {
	o, c := old.Spec, cur.Spec
	return o.Cluster != c.Cluster || o.TaskDefinition != c.TaskDefinition || o.LaunchType != c.LaunchType ||
		o.SchedulingStrategy != c.SchedulingStrategy ||
		!equality.Semantic.DeepEqual(o.CapacityProviderStrategy, c.CapacityProviderStrategy) ||
		!equality.Semantic.DeepEqual(o.PlacementConstraints, c.PlacementConstraints)
}

func (v *validator) checkTaskFargate(ctx context.Context, t *ecsv1alpha1.Task) (field.ErrorList, []string) {
	var cluster *ecsv1alpha1.Cluster
	if t.Spec.LaunchType == "" && len(t.Spec.CapacityProviderStrategy) == 0 {
		var err error
		if cluster, err = v.getCluster(ctx, t.Namespace, t.Spec.Cluster); err != nil {
			return nil, []string{err.Error()}
		}
	}
	l := taskLaunch(t, cluster)
	spec := field.NewPath("spec")
	errs := fargateConstraints(spec.Child("placementConstraints"), t.Spec.PlacementConstraints, l, "task")
	td, warnings := v.getTaskDefinition(ctx, t.Namespace, t.Spec.TaskDefinition, l)
	errs = append(errs, fargateTaskDefinition(spec.Child("taskDefinition"), t.Spec.TaskDefinition, td, l, "task")...)
	return errs, warnings
}

func (v *validator) checkServiceFargate(ctx context.Context, s *ecsv1alpha1.Service) (field.ErrorList, []string) {
	var cluster *ecsv1alpha1.Cluster
	if s.Spec.LaunchType == "" && len(s.Spec.CapacityProviderStrategy) == 0 {
		var err error
		if cluster, err = v.getCluster(ctx, s.Namespace, s.Spec.Cluster); err != nil {
			return nil, []string{err.Error()}
		}
	}
	l := serviceLaunch(s, cluster)
	spec := field.NewPath("spec")
	errs := fargateConstraints(spec.Child("placementConstraints"), s.Spec.PlacementConstraints, l, "service")
	if daemon := fargateDaemon(spec.Child("schedulingStrategy"), s, l); len(daemon) > 0 {
		// Its task definition is beside the point: the service cannot run on Fargate at all.
		return append(errs, daemon...), nil
	}
	td, warnings := v.getTaskDefinition(ctx, s.Namespace, s.Spec.TaskDefinition, l)
	errs = append(errs, fargateTaskDefinition(spec.Child("taskDefinition"), s.Spec.TaskDefinition, td, l, "service")...)
	return errs, warnings
}

// getCluster reads the cluster ref names in namespace (the default cluster when ref is
// empty); nil when it does not exist. An error is a warning for the user: the checks that
// need the cluster are skipped, as the webhook fails open.
func (v *validator) getCluster(ctx context.Context, namespace, ref string) (*ecsv1alpha1.Cluster, error) {
	name := clusterName(ref)
	cluster := &ecsv1alpha1.Cluster{}
	if err := v.reader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, cluster); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("kube-ecs could not read cluster %q to check Fargate's rules: %w", name, err)
	}
	return cluster, nil
}

// getTaskDefinition resolves ref as RunTask does when the object runs on Fargate; nil when
// it does not, or the family or revision does not exist (yet: the controller reports it),
// with a warning when it could not be read.
func (v *validator) getTaskDefinition(ctx context.Context, namespace, ref string, l launch) (*ecsv1alpha1.TaskDefinitionSpec, []string) {
	if !l.fargate {
		return nil, nil
	}
	res, err := taskdefinition.Resolve(ctx, v.reader, namespace, ref)
	switch {
	case res != nil:
		// An INACTIVE pinned revision comes back too; the controller reports that.
		return res.Spec, nil
	case errors.Is(err, taskdefinition.ErrNotFound), errors.Is(err, taskdefinition.ErrInactive):
		return nil, nil
	default:
		return nil, []string{fmt.Sprintf("kube-ecs could not read task definition %q to check Fargate's rules: %v", ref, err)}
	}
}

// clusterName is the name of the Cluster a task or service names, by name or ARN.
func clusterName(ref string) string {
	if ref == "" {
		return ecsv1alpha1.DefaultClusterName
	}
	if i := strings.LastIndex(ref, ":cluster/"); i >= 0 && strings.HasPrefix(ref, "arn:") {
		return ref[i+len(":cluster/"):]
	}
	return ref
}
