package taskdef

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/tasksize"
)

// ResourceGPU is the extended resource an ECS GPU requirement asks for.
const ResourceGPU corev1.ResourceName = "nvidia.com/gpu"

// cpuMillis converts ECS cpu units (1024 per vCPU) to millicores, rounding up so a container
// never gets less than it asked for.
func cpuMillis(units int64) int64 {
	return (units*1000 + 1023) / 1024
}

func cpuQuantity(millis int64) resource.Quantity {
	return *resource.NewMilliQuantity(millis, resource.DecimalSI)
}

func mebibytes(mib int64) resource.Quantity {
	return *resource.NewQuantity(mib<<20, resource.BinarySI)
}

// containerResources maps the container's cpu units to a cpu request (no limit: ECS cpu is
// a share), memory to the memory limit (and the request when there is no
// memoryReservation), memoryReservation to the memory request, and GPUs to nvidia.com/gpu.
func (b *builder) containerResources(i int) corev1.ResourceRequirements {
	d := &b.defs[i]
	req, lim := corev1.ResourceList{}, corev1.ResourceList{}
	if d.CPU != nil && *d.CPU > 0 {
		req[corev1.ResourceCPU] = cpuQuantity(cpuMillis(int64(*d.CPU)))
	}
	if d.Memory != nil {
		lim[corev1.ResourceMemory] = mebibytes(int64(*d.Memory))
		req[corev1.ResourceMemory] = mebibytes(int64(*d.Memory))
	}
	if d.MemoryReservation != nil {
		req[corev1.ResourceMemory] = mebibytes(int64(*d.MemoryReservation))
	}
	for j, r := range d.ResourceRequirements {
		path := cpath(i, fmt.Sprintf("resourceRequirements[%d]", j))
		if r.Type != "GPU" {
			b.note(path, "%s is not available on Kubernetes; ignored", r.Type)
			continue
		}
		n, err := strconv.ParseInt(r.Value, 10, 64)
		if err != nil || n < 1 {
			b.note(path, "GPU count %q is not a positive integer; ignored", r.Value)
			continue
		}
		lim[ResourceGPU] = *resource.NewQuantity(n, resource.DecimalSI)
	}
	out := corev1.ResourceRequirements{}
	if len(req) > 0 {
		out.Requests = req
	}
	if len(lim) > 0 {
		out.Limits = lim
	}
	return out
}

// parseTaskSize reads a task-level cpu ("1024", "1 vCPU") or memory ("2048", "2 GB"); field
// names the field in errors. "" is 0.
func parseTaskSize(s, field string, parse func(string) (int, bool)) (int64, error) {
	if strings.TrimSpace(s) == "" {
		return 0, nil
	}
	n, ok := parse(s)
	if !ok {
		return 0, fmt.Errorf("Invalid '%s' setting for task: %q", field, s)
	}
	return int64(n), nil
}

// taskSize is the task-level cpu (units) and memory (MiB) the task runs with: the
// overrides' when set, else the task definition's; 0 when neither sets it.
func (b *builder) taskSize() (cpu, memory int64, err error) {
	cpuS, memS := b.spec.CPU, b.spec.Memory
	if b.over != nil && b.over.CPU != "" {
		cpuS = b.over.CPU
	}
	if b.over != nil && b.over.Memory != "" {
		memS = b.over.Memory
	}
	if cpu, err = parseTaskSize(cpuS, "cpu", tasksize.ParseCPU); err != nil {
		return 0, 0, err
	}
	memory, err = parseTaskSize(memS, "memory", tasksize.ParseMemory)
	return cpu, memory, err
}

// podResources maps the task-level cpu and memory to pod-level resources: requests for cpu
// (and limits on Fargate), requests and limits for memory. It fails, as ECS's registration
// does, when the containers ask for more than the task has: Kubernetes would reject the pod.
// On Fargate the size is rounded up to a Fargate size and recorded in the CapacityProvisioned
// annotation. It returns the annotations map Build adds the others to.
func (b *builder) podResources() (*corev1.ResourceRequirements, map[string]string, error) {
	annotations := map[string]string{}
	cpu, memory, err := b.taskSize()
	if err != nil {
		return nil, nil, err
	}
	sumMillis, err := b.checkContainerSums(cpu, memory)
	if err != nil {
		return nil, nil, err
	}
	if b.fargate {
		if cpu, memory, err = b.fargateSize(cpu, memory); err != nil {
			return nil, nil, err
		}
		annotations[ecsv1alpha1.CapacityProvisionedAnnotation] = fmt.Sprintf("%gvCPU %gGB", float64(cpu)/1024, float64(memory)/1024)
	}
	if cpu == 0 && memory == 0 {
		return nil, annotations, nil
	}
	res := &corev1.ResourceRequirements{Requests: corev1.ResourceList{}}
	if cpu > 0 {
		// Per-container rounding up can add a few millicores over the task's own rounding.
		millis := max(cpuMillis(cpu), sumMillis)
		res.Requests[corev1.ResourceCPU] = cpuQuantity(millis)
		if b.fargate {
			res.Limits = corev1.ResourceList{corev1.ResourceCPU: cpuQuantity(millis)}
		}
	}
	if memory > 0 {
		res.Requests[corev1.ResourceMemory] = mebibytes(memory)
		if res.Limits == nil {
			res.Limits = corev1.ResourceList{}
		}
		res.Limits[corev1.ResourceMemory] = mebibytes(memory)
	}
	return res, annotations, nil
}

// checkContainerSums applies ECS's rules between container and task sizes, which are also
// what Kubernetes requires of pod-level resources: no container's memory above the task's,
// the containers' reserved memory and cpu within the task's. It returns the sum of the
// containers' cpu requests in millicores.
func (b *builder) checkContainerSums(taskCPU, taskMemory int64) (int64, error) {
	var units, millis, reserved int64
	for _, d := range b.defs {
		if d.CPU != nil {
			units += int64(*d.CPU)
			millis += cpuMillis(int64(*d.CPU))
		}
		if taskMemory > 0 && d.Memory != nil && int64(*d.Memory) > taskMemory {
			return 0, fmt.Errorf("The 'memory' setting for container '%s' is greater than for the task.", d.Name)
		}
		switch {
		case d.MemoryReservation != nil:
			reserved += int64(*d.MemoryReservation)
		case d.Memory != nil:
			reserved += int64(*d.Memory)
		}
	}
	if taskCPU > 0 && units > taskCPU {
		return 0, fmt.Errorf("Invalid 'cpu' setting for task. The containers reserve %d cpu units, more than the task's %d.", units, taskCPU)
	}
	if taskMemory > 0 && reserved > taskMemory {
		return 0, fmt.Errorf("Invalid 'memory' setting for task. The containers reserve %d MiB of memory, more than the task's %d MiB.", reserved, taskMemory)
	}
	return millis, nil
}

// fargateSize rounds the task size up to the smallest Fargate size that holds it. Admission
// guarantees a valid size for task definitions that declare FARGATE; overrides and task
// definitions that do not declare it may need rounding, which is noted.
func (b *builder) fargateSize(cpu, memory int64) (int64, int64, error) {
	if tasksize.IsFargate(int(cpu), int(memory)) {
		return cpu, memory, nil
	}
	c, m, err := tasksize.RoundUpToFargate(int(cpu), int(memory))
	if err != nil {
		return 0, 0, fmt.Errorf("No Fargate configuration exists for given values: %w", err)
	}
	path := "cpu"
	if b.over != nil && (b.over.CPU != "" || b.over.Memory != "") {
		path = "overrides.cpu"
	}
	b.note(path, "cpu %d and memory %d MiB are not a Fargate task size (ECS rejects them); rounded up to cpu %d and memory %d MiB", cpu, memory, c, m)
	return int64(c), int64(m), nil
}
