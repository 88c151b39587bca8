package taskdef

import (
	"strconv"
	"strings"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// Annotations Build puts on the pod (Result.Annotations) are defined in
// api/ecs/v1alpha1/well_known.go: ecsv1alpha1.EssentialContainersAnnotation (always set),
// ecsv1alpha1.ContainerNamesAnnotation (only when a name changed) and ecsv1alpha1.StartTimeoutsAnnotation (only when
// a container sets startTimeout); the Fargate size uses CapacityProvisionedAnnotation. Every
// value names containers by their Kubernetes names, which is what pod status reports.

// formatPairs writes "k=v,k=v" in the order of keys.
func formatPairs(keys []string, values map[string]string) string {
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+values[k])
	}
	return strings.Join(parts, ",")
}

// parsePairs reads "k=v,k=v"; malformed entries are skipped.
func parsePairs(v string) map[string]string {
	out := map[string]string{}
	for _, p := range strings.Split(v, ",") {
		if k, val, ok := strings.Cut(p, "="); ok && k != "" {
			out[k] = val
		}
	}
	return out
}

// EssentialContainers returns the Kubernetes names of the essential containers recorded in
// a pod's annotations.
func EssentialContainers(annotations map[string]string) []string {
	v := annotations[ecsv1alpha1.EssentialContainersAnnotation]
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// ECSContainerName returns the ECS name of the container a pod calls k8sName.
func ECSContainerName(annotations map[string]string, k8sName string) string {
	if n, ok := parsePairs(annotations[ecsv1alpha1.ContainerNamesAnnotation])[k8sName]; ok {
		return n
	}
	return k8sName
}

// StartTimeouts returns the startTimeout in seconds recorded for each container, by
// Kubernetes name.
func StartTimeouts(annotations map[string]string) map[string]int32 {
	out := map[string]int32{}
	for k, v := range parsePairs(annotations[ecsv1alpha1.StartTimeoutsAnnotation]) {
		if n, err := strconv.ParseInt(v, 10, 32); err == nil {
			out[k] = int32(n)
		}
	}
	return out
}
