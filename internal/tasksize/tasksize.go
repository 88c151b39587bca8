// Package tasksize reads ECS task sizes ("1024", "1 vCPU", "2048", "2 GB") and knows the task
// sizes Fargate supports. It is shared by kubectl ecs import and the pod builder.
package tasksize

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// fargateSizes are the task sizes Fargate supports: CPU units and, for each, the valid
// memory sizes in MiB, both ascending.
var fargateSizes = []struct {
	cpu      int
	memories []int
}{
	{256, []int{512, 1024, 2048}},
	{512, steps(1024, 4096, 1024)},
	{1024, steps(2048, 8192, 1024)},
	{2048, steps(4096, 16384, 1024)},
	{4096, steps(8192, 30720, 1024)},
	{8192, steps(16384, 61440, 4096)},
	{16384, steps(32768, 122880, 8192)},
}

func steps(from, to, step int) []int {
	var s []int
	for v := from; v <= to; v += step {
		s = append(s, v)
	}
	return s
}

// IsFargate reports whether cpu units and memory MiB are a task size Fargate supports.
func IsFargate(cpuUnits, memoryMiB int) bool {
	for _, f := range fargateSizes {
		if f.cpu != cpuUnits {
			continue
		}
		for _, m := range f.memories {
			if m == memoryMiB {
				return true
			}
		}
	}
	return false
}

// RoundUpToFargate returns the smallest Fargate task size with at least cpuUnits CPU units
// and at least memoryMiB MiB of memory: the lowest CPU first, then the lowest memory for
// that CPU. It fails when a request is negative or larger than any Fargate size.
func RoundUpToFargate(cpuUnits, memoryMiB int) (cpu, memory int, err error) {
	if cpuUnits < 0 || memoryMiB < 0 {
		return 0, 0, fmt.Errorf("cannot round cpu %d and memory %d up to a Fargate size: they must not be negative", cpuUnits, memoryMiB)
	}
	for _, f := range fargateSizes {
		if f.cpu < cpuUnits {
			continue
		}
		for _, m := range f.memories {
			if m >= memoryMiB {
				return f.cpu, m, nil
			}
		}
	}
	return 0, 0, fmt.Errorf("no Fargate size has at least %d CPU units and %d MiB of memory: the largest are 4096 units with 30720 MiB, 8192 with 61440 and 16384 with 122880", cpuUnits, memoryMiB)
}

// EKSOverheadMiB is the memory EKS on Fargate adds to a pod's requests for the Kubernetes
// components that run beside it (kubelet, kube-proxy, containerd) before it picks a size.
const EKSOverheadMiB = 256

// FargateSizeForContainers sizes a task from its containers when the task itself has no
// size, as EKS on Fargate sizes a pod from its requests: the containers' CPU units and the
// memory they reserve plus EKSOverheadMiB, rounded up to a Fargate size. A task-level size,
// as ECS has, is the task's whole allowance and gets no overhead (RoundUpToFargate).
func FargateSizeForContainers(cpuUnits, memoryMiB int) (cpu, memory int, err error) {
	return RoundUpToFargate(cpuUnits, memoryMiB+EKSOverheadMiB)
}

var (
	unitsRE = regexp.MustCompile(`^[0-9]+$`)
	vcpuRE  = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?) ?[vV][cC][pP][uU]$`)
	gbRE    = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?) ?[gG][bB]$`)
	maxSize = 1 << 30
)

// ParseCPU reads a task-level cpu as ECS and the API server's validation do: units as they
// are ("1024"), vCPU times 1024 ("0.5 vCPU" is 512). ok is false for anything else.
func ParseCPU(s string) (units int, ok bool) { return parse(s, vcpuRE) }

// ParseMemory reads a task-level memory: MiB as they are ("2048"), GB times 1024 ("2 GB").
func ParseMemory(s string) (mib int, ok bool) { return parse(s, gbRE) }

func parse(s string, unit *regexp.Regexp) (int, bool) {
	s = strings.TrimSpace(s)
	if unitsRE.MatchString(s) {
		n, err := strconv.Atoi(s)
		return n, err == nil && n <= maxSize
	}
	m := unit.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil || f*1024 > float64(maxSize) {
		return 0, false
	}
	return int(f * 1024), true
}
