package taskdef

import (
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// Input is one task definition revision as one task will run it.
type Input struct {
	// Spec is the registered revision. Required.
	Spec *ecsv1alpha1.TaskDefinitionSpec
	// Overrides are the RunTask overrides; nil for none (services have none).
	Overrides *ecsv1alpha1.TaskOverride
	// LaunchType is where the task runs: EC2 (also ""), FARGATE, EXTERNAL or
	// MANAGED_INSTANCES. Only FARGATE changes the result; the others behave as EC2.
	LaunchType ecsv1alpha1.LaunchType
}

// Result is what Kubernetes should run for the task.
type Result struct {
	// PodSpec runs the task. Names, labels, the scheduler, node and owner are the caller's.
	PodSpec corev1.PodSpec
	// Annotations the pod needs for the controllers and for humans (see annotations.go).
	Annotations map[string]string
	// Unsupported describes, one line each, the fields that Kubernetes cannot honour and
	// that were ignored or approximated. Each starts with the field's path, and they are
	// sorted by it (indexes numerically), for example
	// "containerDefinitions[0].ulimits: Kubernetes has no per-container ulimits; ignored".
	Unsupported []string
}

// Build translates a task definition revision, its overrides and the launch type into a
// PodSpec. It is pure and deterministic. It fails only on input the API server cannot have
// let through, on what ECS itself rejects (an override of an unknown container, containers
// asking for more cpu or memory than the task, with ECS's message where ECS has one), on a
// dependency cycle, and on a task that cannot run on Fargate when LaunchType is FARGATE.
// Every error is permanent for its input.
func Build(in Input) (Result, error) {
	b, err := newBuilder(in)
	if err != nil {
		return Result{}, err
	}
	return b.build()
}

// errNoSpec is returned for an Input without a task definition.
var errNoSpec = errors.New("the task definition has no containerDefinitions")

// builder holds the state of one Build call. Files split its methods by concern.
type builder struct {
	spec    *ecsv1alpha1.TaskDefinitionSpec
	over    *ecsv1alpha1.TaskOverride
	fargate bool
	mode    ecsv1alpha1.NetworkMode
	// defs are the container definitions with the container overrides applied.
	defs []ecsv1alpha1.ContainerDefinition
	// names are the Kubernetes container names, by index of defs.
	names []string
	// envOverrides are the containerOverrides' environment entries, by index of defs.
	envOverrides map[int][]ecsv1alpha1.KeyValuePair
	// index finds a container's index by its ECS name.
	index map[string]int
	notes []string
}

func newBuilder(in Input) (*builder, error) {
	if in.Spec == nil || len(in.Spec.ContainerDefinitions) == 0 {
		return nil, errNoSpec
	}
	b := &builder{
		spec:    in.Spec,
		over:    in.Overrides,
		fargate: in.LaunchType == ecsv1alpha1.LaunchTypeFargate,
		mode:    in.Spec.NetworkMode,
		index:   map[string]int{},

		envOverrides: map[int][]ecsv1alpha1.KeyValuePair{},
	}
	if b.mode == "" {
		b.mode = ecsv1alpha1.NetworkModeBridge
	}
	var ecsNames []string
	for i, c := range in.Spec.ContainerDefinitions {
		if _, dup := b.index[c.Name]; dup {
			return nil, fmt.Errorf("container names must be unique within a task definition: %q appears twice", c.Name)
		}
		b.index[c.Name] = i
		ecsNames = append(ecsNames, c.Name)
	}
	b.names = newNameAllocator("container").assign(ecsNames)
	if b.fargate {
		if err := checkFargate(in.Spec); err != nil {
			return nil, err
		}
	}
	defs, err := b.applyOverrides()
	if err != nil {
		return nil, err
	}
	b.defs = defs
	return b, nil
}

// note records a field Kubernetes cannot honour.
func (b *builder) note(path, format string, args ...any) {
	b.notes = append(b.notes, path+": "+fmt.Sprintf(format, args...))
}

// cpath is the path of a container's field, such as containerDefinitions[0].user.
func cpath(i int, field string) string {
	return fmt.Sprintf("containerDefinitions[%d].%s", i, field)
}

func (b *builder) build() (Result, error) {
	plan, err := b.planDependencies()
	if err != nil {
		return Result{}, err
	}
	vols := b.taskVolumes()
	podRes, annotations, err := b.podResources()
	if err != nil {
		return Result{}, err
	}
	containers := make([]corev1.Container, len(b.defs))
	ports := newPortsTaken()
	for i := range b.defs {
		containers[i] = b.container(i, plan, vols, ports)
	}
	spec := corev1.PodSpec{
		Volumes:                       vols.volumes,
		RestartPolicy:                 corev1.RestartPolicyNever,
		TerminationGracePeriodSeconds: ptr.To(b.gracePeriod()),
		EnableServiceLinks:            ptr.To(false),
		NodeSelector:                  b.nodeSelector(),
		ImagePullSecrets:              b.imagePullSecrets(),
		Resources:                     podRes,
	}
	for _, i := range plan.initOrder {
		spec.InitContainers = append(spec.InitContainers, containers[i])
	}
	for _, i := range plan.regular {
		spec.Containers = append(spec.Containers, containers[i])
	}
	b.setPodNetwork(&spec)
	b.setPodSecurity(&spec)
	b.taskLevelNotes()
	for k, v := range b.annotations() {
		annotations[k] = v
	}
	return Result{PodSpec: spec, Annotations: annotations, Unsupported: sortNotes(b.notes)}, nil
}

// container builds one container: everything but its place in the pod.
func (b *builder) container(i int, plan depPlan, vols *taskVolumes, ports portsTaken) corev1.Container {
	d := &b.defs[i]
	c := corev1.Container{
		Name:       b.names[i],
		Image:      d.Image,
		Command:    d.EntryPoint,
		Args:       d.Command,
		WorkingDir: d.WorkingDirectory,
		Env:        b.env(i),
		Resources:  b.containerResources(i),
		Stdin:      ptr.Deref(d.Interactive, false),
		TTY:        ptr.Deref(d.PseudoTerminal, false),
	}
	c.RestartPolicy = plan.restartPolicy(i)
	c.Ports = b.containerPorts(i, ports)
	c.VolumeMounts = b.volumeMounts(i, vols)
	c.SecurityContext = b.containerSecurity(i)
	b.setProbes(i, &c, plan)
	b.containerNotes(i)
	return c
}

// gracePeriod is the longest stopTimeout of the containers (ECS default 30 s), at most 120
// seconds on Fargate: Kubernetes has one grace period per pod.
func (b *builder) gracePeriod() int64 {
	const ecsDefault, fargateMax = 30, 120
	longest := int64(0)
	for _, d := range b.defs {
		t := int64(ecsDefault)
		if d.StopTimeout != nil {
			t = int64(*d.StopTimeout)
		}
		longest = max(longest, t)
	}
	if b.fargate && longest > fargateMax {
		b.note("containerDefinitions[].stopTimeout", "%d seconds is more than Fargate allows; the grace period is capped at %d seconds", longest, fargateMax)
		longest = fargateMax
	}
	return longest
}

// annotations records what the pod cannot say in its spec.
func (b *builder) annotations() map[string]string {
	out := map[string]string{}
	var essential, renamed, timed []string
	ecsNames, timeouts := map[string]string{}, map[string]string{}
	for i, d := range b.defs {
		n := b.names[i]
		if ptr.Deref(d.Essential, true) {
			essential = append(essential, n)
		}
		if n != d.Name {
			renamed = append(renamed, n)
			ecsNames[n] = d.Name
		}
		if d.StartTimeout != nil {
			timed = append(timed, n)
			timeouts[n] = fmt.Sprint(*d.StartTimeout)
		}
	}
	out[ecsv1alpha1.EssentialContainersAnnotation] = strings.Join(essential, ",")
	if len(renamed) > 0 {
		out[ecsv1alpha1.ContainerNamesAnnotation] = formatPairs(renamed, ecsNames)
	}
	if len(timed) > 0 {
		out[ecsv1alpha1.StartTimeoutsAnnotation] = formatPairs(timed, timeouts)
	}
	return out
}
