package taskdef

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// role is where a container goes in the pod.
type role int

const (
	// roleRegular: nobody depends on it; a regular container.
	roleRegular role = iota
	// roleSidecar: depended on with START or HEALTHY; an init container with
	// restartPolicy Always (a native sidecar), which lets the next containers start once it
	// has started (START) or once its startup probe passes (HEALTHY).
	roleSidecar
	// roleInit: depended on with COMPLETE or SUCCESS; a plain init container, which must
	// exit 0 before the next containers start.
	roleInit
)

// depPlan is the pod's container layout derived from dependsOn.
type depPlan struct {
	roles []role
	// healthy marks the sidecars some container waits on with condition HEALTHY.
	healthy []bool
	// initOrder are the init containers (sidecars and plain), dependencies first, in
	// containerDefinitions order where the dependencies allow.
	initOrder []int
	// regular are the regular containers in containerDefinitions order.
	regular []int
}

// restartPolicy is Always for sidecars, nil otherwise.
func (p depPlan) restartPolicy(i int) *corev1.ContainerRestartPolicy {
	if p.roles[i] == roleSidecar {
		return ptr.To(corev1.ContainerRestartPolicyAlways)
	}
	return nil
}

// strength orders the conditions when several dependents wait on one container with
// different ones: it must complete if anyone needs it to (COMPLETE, SUCCESS), else be
// healthy if anyone needs that (HEALTHY), else only start (START).
func strength(c ecsv1alpha1.ContainerCondition) int {
	switch c {
	case ecsv1alpha1.ContainerConditionComplete, ecsv1alpha1.ContainerConditionSuccess:
		return 3
	case ecsv1alpha1.ContainerConditionHealthy:
		return 2
	default:
		return 1
	}
}

// planDependencies lays the containers out from their dependsOn. It fails on a dependency
// on an unknown container and on a cycle.
func (b *builder) planDependencies() (depPlan, error) {
	n := len(b.defs)
	p := depPlan{roles: make([]role, n), healthy: make([]bool, n)}
	strongest := make([]int, n)
	deps := make([][]int, n) // deps[i]: the containers i depends on
	for i, d := range b.defs {
		for _, dep := range d.DependsOn {
			j, ok := b.index[dep.ContainerName]
			if !ok {
				return depPlan{}, fmt.Errorf("container %s depends on %s, which is not a container in the task definition", d.Name, dep.ContainerName)
			}
			deps[i] = append(deps[i], j)
			strongest[j] = max(strongest[j], strength(dep.Condition))
			p.healthy[j] = p.healthy[j] || dep.Condition == ecsv1alpha1.ContainerConditionHealthy
		}
	}
	order, err := b.topoOrder(deps)
	if err != nil {
		return depPlan{}, err
	}
	for i := range n {
		switch {
		case strongest[i] == 3:
			p.roles[i] = roleInit
			p.healthy[i] = false
		case strongest[i] > 0:
			p.roles[i] = roleSidecar
		default:
			p.regular = append(p.regular, i)
		}
	}
	for _, i := range order {
		if p.roles[i] != roleRegular {
			p.initOrder = append(p.initOrder, i)
		}
	}
	b.noteEssentialSidecars(p)
	return p, nil
}

// topoOrder orders the containers so that each comes after the containers it depends on,
// taking the earliest container in containerDefinitions order whenever several are ready.
func (b *builder) topoOrder(deps [][]int) ([]int, error) {
	n := len(deps)
	waiting := make([]int, n)      // dependencies not yet placed
	dependents := make([][]int, n) // the containers that depend on i
	for i, ds := range deps {
		waiting[i] = len(ds)
		for _, j := range ds {
			dependents[j] = append(dependents[j], i)
		}
	}
	placed := make([]bool, n)
	var order []int
	for len(order) < n {
		next := -1
		for i := range n {
			if !placed[i] && waiting[i] == 0 {
				next = i
				break
			}
		}
		if next < 0 {
			return nil, b.cycleError(deps, placed)
		}
		placed[next] = true
		order = append(order, next)
		for _, k := range dependents[next] {
			waiting[k]--
		}
	}
	return order, nil
}

// cycleError names one dependency cycle among the containers not placed, as
// "dependency cycle: a -> b -> a" where a -> b means a depends on b.
func (b *builder) cycleError(deps [][]int, placed []bool) error {
	const (
		unvisited = iota
		onPath
		done
	)
	state := make([]int, len(deps))
	var path []int
	var cycle []int
	var visit func(i int) bool
	visit = func(i int) bool {
		state[i] = onPath
		path = append(path, i)
		for _, j := range deps[i] {
			if state[j] == onPath {
				for k, p := range path {
					if p == j {
						cycle = append(append([]int(nil), path[k:]...), j)
						return true
					}
				}
			}
			if state[j] == unvisited && !placed[j] && visit(j) {
				return true
			}
		}
		path = path[:len(path)-1]
		state[i] = done
		return false
	}
	for i := range deps {
		if !placed[i] && state[i] == unvisited && visit(i) {
			break
		}
	}
	names := make([]string, len(cycle))
	for k, i := range cycle {
		names[k] = b.defs[i].Name
	}
	return fmt.Errorf("dependency cycle: %s", strings.Join(names, " -> "))
}

// noteEssentialSidecars warns of the one case where the layout changes when the task
// stops: Kubernetes stops sidecars once every regular container has exited, so when all
// regular containers are non-essential, essential sidecars stop with them, where ECS would
// keep the task running.
func (b *builder) noteEssentialSidecars(p depPlan) {
	var sidecars []string
	for _, i := range p.initOrder {
		if p.roles[i] == roleSidecar && ptr.Deref(b.defs[i].Essential, true) {
			sidecars = append(sidecars, b.defs[i].Name)
		}
	}
	if len(sidecars) == 0 {
		return
	}
	for _, i := range p.regular {
		if ptr.Deref(b.defs[i].Essential, true) {
			return
		}
	}
	b.note("containerDefinitions[].essential", "the essential containers %s run as sidecars because other containers depend on them, and every other container is non-essential: Kubernetes stops the sidecars (and the task) once the non-essential containers have exited, where ECS keeps the task running", strings.Join(sidecars, ", "))
}
