package taskdef

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"k8s.io/utils/ptr"
)

var pathIndex = regexp.MustCompile(`\[([0-9]+)\]`)

// sortNotes sorts the notes by their path, comparing indexes as numbers, and keeps the
// order of notes on the same path.
func sortNotes(notes []string) []string {
	key := func(n string) string {
		path, _, _ := strings.Cut(n, ": ")
		return pathIndex.ReplaceAllStringFunc(path, func(m string) string {
			i, _ := strconv.Atoi(m[1 : len(m)-1])
			return fmt.Sprintf("[%04d]", i)
		})
	}
	slices.SortStableFunc(notes, func(a, b string) int { return strings.Compare(key(a), key(b)) })
	return notes
}

// containerNotes notes the container fields Kubernetes ignores. Fields with no behaviour
// on AWS either (dockerLabels) get no note.
func (b *builder) containerNotes(i int) {
	d := &b.defs[i]
	if d.RestartPolicy != nil && d.RestartPolicy.Enabled {
		b.note(cpath(i, "restartPolicy"), "containers of a task are not restarted in place on Kubernetes (the pod's restartPolicy is Never); ignored")
	}
	if lp := d.LinuxParameters; lp != nil {
		if ptr.Deref(lp.InitProcessEnabled, false) {
			b.note(cpath(i, "linuxParameters.initProcessEnabled"), "Kubernetes has no per-container init process (shareProcessNamespace, which makes the pod's pause process PID 1 of every container, is not the same); ignored")
		}
		if len(lp.Devices) > 0 {
			b.note(cpath(i, "linuxParameters.devices"), "not supported on Kubernetes (use a device plugin); ignored")
		}
		if lp.MaxSwap != nil {
			b.note(cpath(i, "linuxParameters.maxSwap"), "Kubernetes sets swap per node, not per container; ignored")
		}
		if lp.Swappiness != nil {
			b.note(cpath(i, "linuxParameters.swappiness"), "Kubernetes sets swap per node, not per container; ignored")
		}
	}
	if len(d.Ulimits) > 0 {
		b.note(cpath(i, "ulimits"), "Kubernetes has no per-container ulimits; the container runtime's defaults apply")
	}
	if d.LogConfiguration != nil {
		b.note(cpath(i, "logConfiguration"), "the %s log driver is not available: Kubernetes keeps the container's stdout and stderr (kubectl logs); ignored", d.LogConfiguration.LogDriver)
	}
	if d.FirelensConfiguration != nil {
		b.note(cpath(i, "firelensConfiguration"), "FireLens log routing is not available on Kubernetes; the container runs as an ordinary container")
	}
	if len(d.EnvironmentFiles) > 0 {
		b.note(cpath(i, "environmentFiles"), "Kubernetes does not read environment files from S3; ignored")
	}
	if len(d.CredentialSpecs) > 0 {
		b.note(cpath(i, "credentialSpecs"), "Active Directory credential specs are not supported; ignored")
	}
	if ptr.Deref(d.DisableNetworking, false) {
		b.note(cpath(i, "disableNetworking"), "the containers of a pod share its network; the container keeps its network")
	}
	if d.VersionConsistency == "enabled" {
		b.note(cpath(i, "versionConsistency"), "Kubernetes pulls the image by its tag on each node and does not pin the tag to one digest for the task; ignored")
	}
}

// taskLevelNotes notes the task fields Kubernetes ignores. Fields other parts of kube-ecs
// handle (taskRoleArn, placementConstraints, requiresCompatibilities) and metadata (tags,
// the read-only describe fields) get no note.
func (b *builder) taskLevelNotes() {
	if b.spec.EphemeralStorage != nil {
		b.note("ephemeralStorage", "a pod's ephemeral storage cannot be sized per task on Kubernetes; ignored")
	}
	if b.over != nil && b.over.EphemeralStorage != nil {
		b.note("overrides.ephemeralStorage", "a pod's ephemeral storage cannot be sized per task on Kubernetes; ignored")
	}
	if len(b.spec.InferenceAccelerators) > 0 {
		b.note("inferenceAccelerators", "Elastic Inference accelerators are not available on Kubernetes; ignored")
	}
	if b.spec.ProxyConfiguration != nil {
		b.note("proxyConfiguration", "App Mesh proxy configuration is not applied on Kubernetes; ignored")
	}
	if ptr.Deref(b.spec.EnableFaultInjection, false) {
		b.note("enableFaultInjection", "ECS fault injection endpoints are not available on Kubernetes; ignored")
	}
}
