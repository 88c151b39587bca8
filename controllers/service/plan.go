package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/controllers/service/resources"
	"github.com/kube-ecs/kube-ecs/controllers/taskdefinition"
	"github.com/kube-ecs/kube-ecs/internal/capacity"
	"github.com/kube-ecs/kube-ecs/internal/rollout"
	"github.com/kube-ecs/kube-ecs/internal/taskdef"
)

// plan is what the service runs after this pass.
type plan struct {
	primary   ecsv1alpha1.Deployment
	daemon    bool
	desired   int32
	minPct    int32
	maxPct    int32
	parts     []resources.Part
	templates map[ecsv1alpha1.LaunchType]resources.Template
	paused    bool
	lbPorts   []resources.Port
	regPorts  []resources.Port
	registry  bool
	threshold int32
	// specHash is what the spec asks to run ("" while its task definition does not resolve).
	specHash string
	// newPrimary: this pass changed the PRIMARY deployment (started one, failed it or
	// rolled back); the status records it before a workload runs it.
	newPrimary bool
}

// Percent defaults, as ECS's API applies them.
const (
	defaultMaxPercent       = 200
	defaultMinPercent       = 100
	defaultDaemonMinPercent = 0
	daemonMaxPercent        = 100
	defaultDrainSeconds     = 5
)

func (p *plan) template(part resources.Part) resources.Template {
	return p.templates[part.Placement.LaunchType]
}

// reconcileDeployments decides the PRIMARY deployment: it resolves the service's task
// definition, starts a new deployment when what the service runs changed, trips the circuit
// breaker and rolls back. It returns nil when the service cannot run anything yet (the
// reason is on the Ready condition).
func (r *Reconciler) reconcileDeployments(ctx context.Context, s *scope) (*plan, error) {
	svc, st := s.svc, &s.svc.Status
	p := &plan{daemon: svc.Spec.SchedulingStrategy == ecsv1alpha1.SchedulingStrategyDaemon}
	p.desired, p.minPct, p.maxPct = desiredCount(svc), defaultMinPercent, defaultMaxPercent
	if p.daemon {
		p.minPct, p.maxPct = defaultDaemonMinPercent, daemonMaxPercent
	}
	var cb *ecsv1alpha1.DeploymentCircuitBreaker
	if dc := svc.Spec.DeploymentConfiguration; dc != nil {
		if dc.MinimumHealthyPercent != nil {
			p.minPct = *dc.MinimumHealthyPercent
		}
		if dc.MaximumPercent != nil && !p.daemon {
			p.maxPct = *dc.MaximumPercent
		}
		cb = dc.DeploymentCircuitBreaker
	}
	placements := r.placements(s)

	resolved, err := taskdefinition.Resolve(ctx, r.Client, svc.Namespace, svc.Spec.TaskDefinition)
	usable := err == nil
	if err != nil {
		reason := ecsv1alpha1.TaskDefinitionNotFoundReason
		if errors.Is(err, taskdefinition.ErrInactive) {
			reason = ecsv1alpha1.TaskDefinitionInactiveReason
		} else if !errors.Is(err, taskdefinition.ErrNotFound) {
			return nil, err
		}
		setCondition(svc, ecsv1alpha1.ReadyCondition, metav1.ConditionFalse, reason, "ClientException: "+err.Error())
		if len(st.Deployments) == 0 {
			return nil, nil // the TaskDefinition watch brings the service back
		}
	}
	deps := st.Deployments
	if usable {
		w := want{
			hash:           specHash(svc, r.Scope.TaskDefinition(resolved.Reference.Family, resolved.Reference.Revision), placements),
			taskDefinition: r.Scope.TaskDefinition(resolved.Reference.Family, resolved.Reference.Revision),
		}
		p.specHash = w.hash
		if len(svc.Spec.CapacityProviderStrategy) > 0 || svc.Spec.LaunchType == "" {
			w.strategy = strategyOf(svc, s.cluster)
		}
		if len(w.strategy) == 0 {
			w.launchType = placements[0].LaunchType
		}
		id, err := rollout.NewDeploymentID(r.rand())
		if err != nil {
			return nil, fmt.Errorf("drawing a deployment id: %w", err)
		}
		var created bool
		deps, created = planDeployments(deps, st.LastFailedDeployment, w, s.now, id)
		if created {
			s.events = append(s.events, pendingEvent{reason: ecsv1alpha1.DeploymentInProgressReason, deploy: true,
				message: fmt.Sprintf("(service %s) (deployment %s) deployment started: %s", svc.Name, id, w.taskDefinition)})
		}
	}
	p.threshold = rollout.Threshold(p.desired, cb)
	deps, br := tripBreaker(deps, cb, p.threshold, s.now)
	if br.failedID != "" {
		s.event(true, ecsv1alpha1.DeploymentFailedReason, rollout.DeploymentFailed(svc.Name, br.failedID))
		if br.rolledBackTo != "" {
			s.event(true, ecsv1alpha1.DeploymentRolledBackReason, rollout.RolledBack(svc.Name, br.failedID, br.rolledBackTo))
		}
	}
	p.newPrimary = len(st.Deployments) == 0 || st.Deployments[0].ID != deps[0].ID || st.Deployments[0].RolloutState != deps[0].RolloutState
	st.Deployments = deps
	p.primary = deps[0]
	p.paused = p.primary.RolloutState == ecsv1alpha1.RolloutFailed

	// What the PRIMARY deployment runs: the resolved revision, or the one it was started
	// with (a rollback, or a spec whose deployment failed).
	spec := (*ecsv1alpha1.TaskDefinitionSpec)(nil)
	ref := taskdefinition.Reference{}
	if usable && p.primary.TaskDefinition == r.Scope.TaskDefinition(resolved.Reference.Family, resolved.Reference.Revision) {
		spec, ref = resolved.Spec, resolved.Reference
	} else {
		back, err := taskdefinition.Resolve(ctx, r.Client, svc.Namespace, p.primary.TaskDefinition)
		if back == nil {
			if err == nil || errors.Is(err, taskdefinition.ErrNotFound) || errors.Is(err, taskdefinition.ErrInactive) {
				setCondition(svc, ecsv1alpha1.ReadyCondition, metav1.ConditionFalse, ecsv1alpha1.TaskDefinitionNotFoundReason,
					fmt.Sprintf("ClientException: the revision of deployment %s: %v", p.primary.ID, err))
				return nil, nil
			}
			return nil, err
		}
		spec, ref = back.Spec, back.Reference
	}

	p.templates = map[ecsv1alpha1.LaunchType]resources.Template{}
	for _, pl := range placements {
		if _, ok := p.templates[pl.LaunchType]; ok {
			continue
		}
		built, err := taskdef.Build(taskdef.Input{Spec: spec, LaunchType: pl.LaunchType})
		if err != nil {
			setCondition(svc, ecsv1alpha1.ReadyCondition, metav1.ConditionFalse, ecsv1alpha1.TaskDefinitionInvalidReason, "ClientException: "+err.Error())
			return nil, nil
		}
		t := resources.Template{
			Cluster: clusterOf(svc), Family: ref.Family, Revision: ref.Revision,
			DeploymentID: p.primary.ID, SpecHash: p.primary.SpecHash,
			PodSpec: built.PodSpec, Annotations: built.Annotations,
			HealthChecked: healthChecked(spec),
			Constraints:   append(slices.Clone(svc.Spec.PlacementConstraints), memberOf(spec.PlacementConstraints)...),
			Strategy:      svc.Spec.PlacementStrategy,
		}
		p.lbPorts = lbPorts(svc, built.PodSpec, built.Annotations)
		for _, lb := range svc.Spec.LoadBalancers {
			d := int32(defaultDrainSeconds)
			if lb.DeregistrationDelaySeconds != nil {
				d = *lb.DeregistrationDelaySeconds
			}
			t.DrainSeconds = max(t.DrainSeconds, d)
		}
		for _, lp := range p.lbPorts {
			t.Targets = append(t.Targets, resources.Target{Container: lp.Container, Port: lp.Port})
		}
		p.registry = len(svc.Spec.ServiceRegistries) > 0
		p.regPorts = registryPorts(svc, built.PodSpec, built.Annotations)
		p.templates[pl.LaunchType] = t
	}

	// The parts: one workload per capacity provider, with its share of desiredCount and
	// of the rollout's room.
	counts := make([]int32, len(placements))
	if len(placements) == 1 {
		counts[0] = p.desired
	} else {
		for i, sh := range rollout.Split(p.desired, strategyOf(svc, s.cluster)) {
			counts[i] = sh.Count
		}
	}
	bounds, _ := rollout.SplitBounds(rollout.ServiceBounds(p.desired, p.minPct, p.maxPct), counts, p.minPct, p.maxPct)
	for i, pl := range placements {
		p.parts = append(p.parts, resources.Part{
			Name: resources.WorkloadName(svc, partProvider(svc, s.cluster, pl)), Placement: pl, Replicas: counts[i], Bounds: bounds[i],
			Daemon: p.daemon,
		})
	}
	return p, nil
}

// memberOf turns a task definition's constraints into placement constraints.
func memberOf(td []ecsv1alpha1.TaskDefinitionPlacementConstraint) []ecsv1alpha1.PlacementConstraint {
	out := make([]ecsv1alpha1.PlacementConstraint, 0, len(td))
	for _, c := range td {
		out = append(out, ecsv1alpha1.PlacementConstraint{Type: ecsv1alpha1.PlacementConstraintMemberOf, Expression: c.Expression})
	}
	return out
}

// partProvider names a part's workload after its capacity provider; a service without a
// strategy has one workload, named after the service.
func partProvider(svc *ecsv1alpha1.Service, cluster *ecsv1alpha1.Cluster, pl capacity.Placement) string {
	if svc.Spec.SchedulingStrategy == ecsv1alpha1.SchedulingStrategyDaemon || len(strategyOf(svc, cluster)) == 0 {
		return ""
	}
	return pl.CapacityProvider
}

func desiredCount(svc *ecsv1alpha1.Service) int32 {
	if svc.Spec.DesiredCount == nil {
		return 1
	}
	return *svc.Spec.DesiredCount
}

// strategyOf is the service's capacity provider strategy: its own, else (without a launch
// type) the cluster's default.
func strategyOf(svc *ecsv1alpha1.Service, cluster *ecsv1alpha1.Cluster) []ecsv1alpha1.CapacityProviderStrategyItem {
	if len(svc.Spec.CapacityProviderStrategy) > 0 {
		return svc.Spec.CapacityProviderStrategy
	}
	if svc.Spec.LaunchType == "" && cluster != nil {
		return cluster.Spec.DefaultCapacityProviderStrategy
	}
	return nil
}

// placements are the service's parts' placements: one per provider of its strategy, else
// one for its launch type (EC2 when it names none).
func (r *Reconciler) placements(s *scope) []capacity.Placement {
	svc := s.svc
	strategy := strategyOf(svc, s.cluster)
	if svc.Spec.SchedulingStrategy == ecsv1alpha1.SchedulingStrategyDaemon || len(strategy) == 0 {
		lt := svc.Spec.LaunchType
		if lt == "" {
			lt = ecsv1alpha1.LaunchTypeEC2
		}
		return []capacity.Placement{capacity.For(s.cluster, lt, "", r.Pools)}
	}
	out := make([]capacity.Placement, 0, len(strategy))
	for _, item := range strategy {
		out = append(out, capacity.For(s.cluster, capacity.LaunchTypeOf(item.CapacityProvider), item.CapacityProvider, r.Pools))
	}
	return out
}

// specHash identifies what a deployment runs: the revision and every service setting its
// tasks are built from (not desiredCount nor the deployment configuration), plus the
// force-new-deployment annotation.
func specHash(svc *ecsv1alpha1.Service, taskDefinition string, placements []capacity.Placement) string {
	sp := svc.Spec
	data, _ := json.Marshal(struct {
		TaskDefinition       string
		Cluster              string
		Placements           []capacity.Placement
		Network              *ecsv1alpha1.NetworkConfiguration
		Constraints          []ecsv1alpha1.PlacementConstraint
		Strategy             []ecsv1alpha1.PlacementStrategy
		LoadBalancers        []ecsv1alpha1.LoadBalancer
		Registries           []ecsv1alpha1.ServiceRegistry
		ExecuteCommand       *bool
		PlatformVersion      string
		PropagateTags        ecsv1alpha1.PropagateTags
		Tags                 []ecsv1alpha1.Tag
		VolumeConfigurations any
		Force                string
	}{taskDefinition, clusterOf(svc), placements, sp.NetworkConfiguration, sp.PlacementConstraints, sp.PlacementStrategy,
		sp.LoadBalancers, sp.ServiceRegistries, sp.EnableExecuteCommand, sp.PlatformVersion, sp.PropagateTags, sp.Tags,
		sp.VolumeConfigurations, svc.Annotations[ecsv1alpha1.ForceNewDeploymentAnnotation]})
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])[:16]
}

// healthChecked says an essential container has a health check.
func healthChecked(spec *ecsv1alpha1.TaskDefinitionSpec) bool {
	for _, c := range spec.ContainerDefinitions {
		if c.HealthCheck != nil && (c.Essential == nil || *c.Essential) {
			return true
		}
	}
	return false
}

// findContainer finds the Kubernetes container an ECS container name refers to.
func findContainer(spec corev1.PodSpec, annotations map[string]string, ecsName string) *corev1.Container {
	for i := range spec.Containers {
		c := &spec.Containers[i]
		if ecsName == "" || taskdef.ECSContainerName(annotations, c.Name) == ecsName {
			return c
		}
	}
	return nil
}

func portProtocol(c *corev1.Container, port int32) corev1.Protocol {
	for _, p := range c.Ports {
		if p.ContainerPort == port && p.Protocol != "" {
			return p.Protocol
		}
	}
	return corev1.ProtocolTCP
}

// lbPorts are the ports of the service's load balancers, one per container port.
func lbPorts(svc *ecsv1alpha1.Service, spec corev1.PodSpec, annotations map[string]string) []resources.Port {
	var out []resources.Port
	seen := map[string]bool{}
	for _, lb := range svc.Spec.LoadBalancers {
		if lb.ContainerPort == nil {
			continue
		}
		c := findContainer(spec, annotations, lb.ContainerName)
		if c == nil {
			continue
		}
		proto := portProtocol(c, *lb.ContainerPort)
		name := resources.PortName(c.Name, *lb.ContainerPort, proto)
		if seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, resources.Port{Name: name, Port: *lb.ContainerPort, Protocol: proto, Ingress: lb.Ingress, Container: c.Name})
	}
	return out
}

// registryPorts are the SRV ports of the service registry.
func registryPorts(svc *ecsv1alpha1.Service, spec corev1.PodSpec, annotations map[string]string) []resources.Port {
	var out []resources.Port
	for _, reg := range svc.Spec.ServiceRegistries {
		port := reg.ContainerPort
		if port == nil {
			port = reg.Port
		}
		if port == nil {
			continue
		}
		c := findContainer(spec, annotations, reg.ContainerName)
		if c == nil {
			continue
		}
		proto := portProtocol(c, *port)
		out = append(out, resources.Port{Name: resources.PortName(c.Name, *port, proto), Port: *port, Protocol: proto, Container: c.Name})
	}
	return out
}

// drainSurge adds to the PRIMARY deployment's workloads one replica for each task still on
// a DRAINING instance, within maximumPercent: the replacements start on other instances
// while the drained tasks keep serving, and the drained tasks stop as they become healthy.
func drainSurge(s *scope, p *plan) {
	if s.drainLeft == 0 || len(p.parts) == 0 {
		return
	}
	extra := min(int32(s.drainLeft), rollout.ServiceBounds(p.desired, p.minPct, p.maxPct).MaxSurge)
	if extra <= 0 {
		return
	}
	// The extra replicas go to the largest part; drained tasks are the PRIMARY's in the
	// common case, and the Deployment controller keeps the rest within its own bounds.
	big := 0
	for i := range p.parts {
		if p.parts[i].Replicas > p.parts[big].Replicas {
			big = i
		}
	}
	p.parts[big].Replicas += extra
}
