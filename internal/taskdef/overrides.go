package taskdef

import (
	"fmt"
	"slices"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// applyOverrides returns the container definitions with the RunTask container overrides
// applied, as ECS applies them: command, cpu, memory, memoryReservation and
// resourceRequirements replace the definition's. Environment overrides are kept aside in
// b.envOverrides: they win over secrets too (see env). The spec itself is not modified.
func (b *builder) applyOverrides() ([]ecsv1alpha1.ContainerDefinition, error) {
	defs := make([]ecsv1alpha1.ContainerDefinition, len(b.spec.ContainerDefinitions))
	for i := range b.spec.ContainerDefinitions {
		b.spec.ContainerDefinitions[i].DeepCopyInto(&defs[i])
	}
	if b.over == nil {
		return defs, nil
	}
	for j, o := range b.over.ContainerOverrides {
		i, ok := b.index[o.Name]
		if !ok {
			// ECS's RunTask message, verbatim.
			return nil, fmt.Errorf("Override for container named %s is not a container in the TaskDefinition.", o.Name)
		}
		d := &defs[i]
		if o.Command != nil {
			d.Command = slices.Clone(o.Command)
		}
		b.envOverrides[i] = append(b.envOverrides[i], o.Environment...)
		if o.CPU != nil {
			d.CPU = o.CPU
		}
		if o.Memory != nil {
			d.Memory = o.Memory
		}
		if o.MemoryReservation != nil {
			d.MemoryReservation = o.MemoryReservation
		}
		if o.ResourceRequirements != nil {
			d.ResourceRequirements = slices.Clone(o.ResourceRequirements)
		}
		if len(o.EnvironmentFiles) > 0 {
			b.note(fmt.Sprintf("overrides.containerOverrides[%d].environmentFiles", j), "Kubernetes does not read environment files from S3; ignored")
		}
		if d.Memory != nil && d.MemoryReservation != nil && *d.MemoryReservation >= *d.Memory {
			return nil, fmt.Errorf("Invalid setting for container '%s'. memoryReservation (%d MiB, the soft limit) must be less than memory (%d MiB, the hard limit).", d.Name, *d.MemoryReservation, *d.Memory)
		}
	}
	return defs, nil
}
