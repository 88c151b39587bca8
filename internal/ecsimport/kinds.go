package ecsimport

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/names"
	"github.com/kube-ecs/kube-ecs/internal/tasksize"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

const (
	inStatus       = "read-only in ECS, kube-ecs reports it in status"
	readOnly       = "read-only in ECS, kube-ecs does not keep it"
	inStatusAR     = "read-only in App Runner, kube-ecs reports it in status"
	readOnlyAR     = "read-only in App Runner, kube-ecs does not keep it"
	nodeLabelForCP = ecsv1alpha1.CapacityProviderLabel
)

// statusReasons explains the fields a describe-* object has and its spec does not: those
// the kind's status declares are reported there; the others listed are read-only in AWS.
func statusReasons(spec, status reflect.Type, inStatusMsg, readOnlyMsg string, others ...string) map[string]string {
	specFields := jsonFields(spec)
	r := map[string]string{}
	for _, n := range jsonNames(status) {
		if _, ok := specFields.exact[n]; !ok && n != "conditions" && n != "observedGeneration" {
			r[strings.ToLower(n)] = inStatusMsg
		}
	}
	for _, n := range others {
		r[strings.ToLower(n)] = readOnlyMsg
	}
	return r
}

func serviceReasons() map[string]string {
	return statusReasons(reflect.TypeFor[ecsv1alpha1.ServiceSpec](), reflect.TypeFor[ecsv1alpha1.ServiceStatus](),
		inStatus, readOnly,
		"taskSets", "createdBy", "roleArn", "platformFamily", "currentServiceDeployment",
		"currentServiceRevisions", "resourceManagementType")
}

func clusterReasons() map[string]string {
	return statusReasons(reflect.TypeFor[ecsv1alpha1.ClusterSpec](), reflect.TypeFor[ecsv1alpha1.ClusterStatus](),
		inStatus, readOnly, "statistics", "attachments", "attachmentsStatus")
}

func appRunnerReasons() map[string]string {
	return statusReasons(reflect.TypeFor[apprunnerv1alpha1.AppRunnerServiceSpec](), reflect.TypeFor[apprunnerv1alpha1.AppRunnerServiceStatus](),
		inStatusAR, readOnlyAR, "deletedAt", "autoScalingConfigurationSummary")
}

// taskDefinition converts a task definition object found at path (describe-task-definition's
// taskDefinition, or the whole document); tags are describe-task-definition's own tags.
func (c *converter) taskDefinition(obj map[string]any, path string, tags any) error {
	var spec ecsv1alpha1.TaskDefinitionSpec
	if err := c.decode(obj, &spec, path, false, nil); err != nil {
		return err
	}
	if tags != nil {
		var wrapperTags []ecsv1alpha1.Tag
		if err := c.decode(tags, &wrapperTags, "tags", false, nil); err != nil {
			return err
		}
		switch {
		case len(wrapperTags) == 0:
		case len(spec.Tags) == 0:
			spec.Tags = wrapperTags
		case !slices.Equal(spec.Tags, wrapperTags):
			c.warn("dropped field tags: %s has tags of its own", orTop(path))
		}
	}
	if spec.Family == "" {
		return fmt.Errorf("%s has no family: a task definition needs one", orTop(path))
	}
	c.fargate(&spec, path)
	if s := spec.Status; s != "" && s != string(ecsv1alpha1.TaskDefinitionRevisionActive) {
		c.warn("%s is %s in ECS: kube-ecs ignores spec.status and registers the imported task definition as an ACTIVE revision",
			joinPath(path, "status"), s)
	}
	ecsName := spec.Family
	name, err := objectName(ecsName, maxLabel, true, path, "family")
	if err != nil {
		return err
	}
	spec.Family = name
	c.add(&ecsv1alpha1.TaskDefinition{
		TypeMeta: typeMeta(ecsv1alpha1.GroupVersion.String(), "TaskDefinition"),
		Spec:     spec,
	}, ecsName, name, path, "family")
	return nil
}

// fargate checks, and with Options.RoundToFargate rounds up, the task size of a task
// definition that requires FARGATE.
func (c *converter) fargate(spec *ecsv1alpha1.TaskDefinitionSpec, path string) {
	if !slices.Contains(spec.RequiresCompatibilities, ecsv1alpha1.CompatibilityFargate) {
		return
	}
	cpuPath, memPath := joinPath(path, "cpu"), joinPath(path, "memory")
	if spec.CPU == "" || spec.Memory == "" {
		if !c.opts.RoundToFargate {
			c.warn("%s requires FARGATE but does not set both %s and %s: the API server will reject it; --round-to-fargate sizes it from its containers",
				orTop(path), cpuPath, memPath)
			return
		}
		c.sizeFromContainers(spec, path)
		return
	}
	cpu, okCPU := tasksize.ParseCPU(spec.CPU)
	mem, okMem := tasksize.ParseMemory(spec.Memory)
	if !okCPU || !okMem || tasksize.IsFargate(cpu, mem) {
		// A malformed size is reported by the API server's own validation.
		return
	}
	rcpu, rmem, err := tasksize.RoundUpToFargate(cpu, mem)
	switch {
	case err != nil:
		c.warn("%s %q and %s %q are not a Fargate task size, and no Fargate size is that large: the API server will reject them",
			cpuPath, spec.CPU, memPath, spec.Memory)
	case !c.opts.RoundToFargate:
		c.warn("%s %q and %s %q are not a Fargate task size: the API server will reject them; --round-to-fargate rounds them up to cpu %q and memory %q",
			cpuPath, spec.CPU, memPath, spec.Memory, strconv.Itoa(rcpu), strconv.Itoa(rmem))
	default:
		c.warn("%s %q and %s %q are not a Fargate task size: rounded up to cpu %q and memory %q",
			cpuPath, spec.CPU, memPath, spec.Memory, strconv.Itoa(rcpu), strconv.Itoa(rmem))
		spec.CPU, spec.Memory = strconv.Itoa(rcpu), strconv.Itoa(rmem)
	}
}

// sizeFromContainers gives a Fargate task definition without a task size the Fargate size
// EKS on Fargate would give its pod: what the containers reserve plus 256 MiB, rounded up
// (tasksize.FargateSizeForContainers). A task-level value that is set counts as the
// containers' total.
func (c *converter) sizeFromContainers(spec *ecsv1alpha1.TaskDefinitionSpec, path string) {
	cpuPath, memPath := joinPath(path, "cpu"), joinPath(path, "memory")
	var cpu, mem int
	for _, d := range spec.ContainerDefinitions {
		if d.CPU != nil {
			cpu += int(*d.CPU)
		}
		switch {
		case d.MemoryReservation != nil:
			mem += int(*d.MemoryReservation)
		case d.Memory != nil:
			mem += int(*d.Memory)
		}
	}
	var ok bool
	if spec.CPU != "" {
		if cpu, ok = tasksize.ParseCPU(spec.CPU); !ok {
			return // reported by the API server's validation
		}
	}
	overhead := tasksize.EKSOverheadMiB
	if spec.Memory != "" {
		if mem, ok = tasksize.ParseMemory(spec.Memory); !ok {
			return
		}
		overhead = 0
	}
	rcpu, rmem, err := tasksize.RoundUpToFargate(cpu, mem+overhead)
	if err != nil {
		c.warn("%s requires FARGATE and its containers reserve %d cpu units and %d MiB: no Fargate size is that large", orTop(path), cpu, mem)
		return
	}
	how := fmt.Sprintf("%d cpu units and %d MiB", cpu, mem)
	if overhead > 0 {
		how += fmt.Sprintf(" + %d MiB for the Kubernetes components, as EKS on Fargate adds", overhead)
	}
	c.warn("%s requires FARGATE but does not set both %s and %s: sized from its containers (%s), rounded up to cpu %q and memory %q",
		orTop(path), cpuPath, memPath, how, strconv.Itoa(rcpu), strconv.Itoa(rmem))
	spec.CPU, spec.Memory = strconv.Itoa(rcpu), strconv.Itoa(rmem)
}

var (
	clusterARNRE = regexp.MustCompile(`^arn:[^:]+:ecs:[^:]*:[^:]*:cluster/(.+)$`)
	taskDefRefRE = regexp.MustCompile(`^(arn:[^:]+:ecs:[^:]*:[^:]*:task-definition/)?([^:/]+)(?::([0-9]+))?$`)
)

// service converts a CreateService request or a describe-services service at path.
func (c *converter) service(obj map[string]any, path string) error {
	reasons := serviceReasons()
	clusterFromARN := ""
	if obj["cluster"] == nil {
		if arn, ok := obj["clusterArn"].(string); ok {
			if m := clusterARNRE.FindStringSubmatch(arn); m != nil {
				clusterFromARN = m[1]
				reasons["clusterarn"] = inStatus + "; spec.cluster is set from it"
			}
		}
	}
	var spec ecsv1alpha1.ServiceSpec
	if err := c.decode(obj, &spec, path, false, reasons); err != nil {
		return err
	}
	if spec.ServiceName == "" {
		return fmt.Errorf("%s has no serviceName: a service needs one", orTop(path))
	}
	if spec.Cluster == "" {
		spec.Cluster = clusterFromARN
	}
	spec.Cluster = c.clusterRef(spec.Cluster, joinPath(path, "cluster"))
	spec.TaskDefinition = c.taskDefinitionRef(spec.TaskDefinition, joinPath(path, "taskDefinition"))
	if s, _ := obj["status"].(string); s != "" && s != string(ecsv1alpha1.ServiceActive) {
		c.warn("%s is %s in ECS: the imported Service will run its desired count of tasks", joinPath(path, "status"), s)
	}
	ecsName := spec.ServiceName
	name, err := serviceObjectName(ecsName, path, "serviceName")
	if err != nil {
		return err
	}
	spec.ServiceName = name
	c.add(&ecsv1alpha1.Service{
		TypeMeta: typeMeta(ecsv1alpha1.GroupVersion.String(), "Service"),
		Spec:     spec,
	}, ecsName, name, path, "serviceName")
	return nil
}

// clusterRef turns a service's cluster (a name or an ARN) into the name of the Cluster
// object that importing that cluster creates.
func (c *converter) clusterRef(ref, path string) string {
	if ref == "" {
		return ""
	}
	name := ref
	if m := clusterARNRE.FindStringSubmatch(ref); m != nil {
		name = m[1]
	}
	kube, _ := nameFor(name, maxLabel, true)
	if kube == "" {
		return ref // the API server's validation will say what is wrong
	}
	if kube != ref {
		c.warn("%s %q refers to the Cluster %q, the name importing that cluster gives it", path, ref, kube)
	}
	return kube
}

// taskDefinitionRef converts the family in a service's taskDefinition (family,
// family:revision or ARN) the way importing that task definition converts it.
func (c *converter) taskDefinitionRef(ref, path string) string {
	m := taskDefRefRE.FindStringSubmatch(ref)
	if m == nil {
		return ref
	}
	prefix, family, revision := m[1], m[2], m[3]
	if kube, changed := nameFor(family, maxLabel, true); changed && kube != "" {
		newRef := prefix + kube
		if revision != "" {
			newRef += ":" + revision
		}
		c.warn("%s %q refers to the TaskDefinition %q, the name importing that task definition gives it: now %q",
			path, ref, kube, newRef)
		ref, family = newRef, kube
	}
	if revision != "" {
		c.warn("%s %q pins revision %s: kube-ecs numbers the revisions of an imported task definition from 1 (spec.revision is ignored), so refer to the family alone (%q) unless that revision exists",
			path, ref, revision, family)
	}
	return ref
}

// cluster converts a CreateCluster request or a describe-clusters cluster at path.
func (c *converter) cluster(obj map[string]any, path string) error {
	var spec ecsv1alpha1.ClusterSpec
	if err := c.decode(obj, &spec, path, false, clusterReasons()); err != nil {
		return err
	}
	ecsName := spec.ClusterName
	if ecsName == "" {
		ecsName = ecsv1alpha1.DefaultClusterName
		c.warn("%s has no clusterName: named %q, as ECS does", orTop(path), ecsName)
	}
	c.ec2CapacityProviders(&spec, path)
	if s, _ := obj["status"].(string); s != "" && s != string(ecsv1alpha1.ClusterActive) {
		c.warn("%s is %s in ECS: the imported Cluster will be active", joinPath(path, "status"), s)
	}
	name, err := objectName(ecsName, maxLabel, true, path, "clusterName")
	if err != nil {
		return err
	}
	if spec.ClusterName != "" {
		spec.ClusterName = name
	}
	c.add(&ecsv1alpha1.Cluster{
		TypeMeta: typeMeta(ecsv1alpha1.GroupVersion.String(), "Cluster"),
		Spec:     spec,
	}, ecsName, name, path, "clusterName")
	return nil
}

// ec2CapacityProviders defines, for each Auto Scaling group capacity provider the cluster
// names, a kube-ecs EC2 capacity provider selecting the nodes labelled with its name: the
// API requires every capacity provider other than FARGATE and FARGATE_SPOT to be defined.
func (c *converter) ec2CapacityProviders(spec *ecsv1alpha1.ClusterSpec, path string) {
	for i, cp := range spec.CapacityProviders {
		if cp == ecsv1alpha1.CapacityProviderFargate || cp == ecsv1alpha1.CapacityProviderFargateSpot ||
			slices.ContainsFunc(spec.EC2CapacityProviders, func(e ecsv1alpha1.EC2CapacityProvider) bool { return e.Name == cp }) {
			continue
		}
		p := fmt.Sprintf("%s[%d]", joinPath(path, "capacityProviders"), i)
		if len(validation.IsValidLabelValue(cp)) > 0 {
			c.warn("%s %q is an EC2 capacity provider: define it in spec.ec2CapacityProviders with a nodeSelector for its nodes, or the API server will reject the Cluster", p, cp)
			continue
		}
		spec.EC2CapacityProviders = append(spec.EC2CapacityProviders, ecsv1alpha1.EC2CapacityProvider{
			Name:         cp,
			NodeSelector: metav1.LabelSelector{MatchLabels: map[string]string{nodeLabelForCP: cp}},
		})
		c.warn("%s %q is an EC2 capacity provider: defined it in spec.ec2CapacityProviders with the nodes labelled %s=%s; label its nodes so, or edit the nodeSelector",
			p, cp, nodeLabelForCP, cp)
	}
}

// appRunnerService converts an App Runner CreateService request (or service output) at path.
func (c *converter) appRunnerService(obj map[string]any, path string) error {
	var spec apprunnerv1alpha1.AppRunnerServiceSpec
	if err := c.decode(obj, &spec, path, true, appRunnerReasons()); err != nil {
		return err
	}
	if spec.ServiceName == "" {
		return fmt.Errorf("%s has no ServiceName: an App Runner service needs one", orTop(path))
	}
	ecsName := spec.ServiceName
	name, err := serviceObjectName(ecsName, path, "ServiceName")
	if err != nil {
		return err
	}
	spec.ServiceName = name
	c.add(&apprunnerv1alpha1.AppRunnerService{
		TypeMeta: typeMeta(apprunnerv1alpha1.GroupVersion.String(), "AppRunnerService"),
		Spec:     spec,
	}, ecsName, name, path, "ServiceName")
	return nil
}

// serviceObjectName is objectName for kinds that become Kubernetes Services of the same
// name, whose names must start with a letter (DNS-1035): a leading digit gets "ecs-".
func serviceObjectName(ecsName, path, field string) (string, error) {
	name, err := objectName(ecsName, maxLabel, true, path, field)
	if err != nil || name[0] < '0' || name[0] > '9' {
		return name, err
	}
	return names.Kube("ecs-"+name, maxLabel, true), nil
}

func objectName(ecsName string, maxLen int, label bool, path, field string) (string, error) {
	name, _ := nameFor(ecsName, maxLen, label)
	if name == "" {
		return "", fmt.Errorf("%s %q has nothing that can make a Kubernetes name (lower-case letters, digits and '-')",
			joinPath(path, field), ecsName)
	}
	return name, nil
}

func typeMeta(apiVersion, kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}
}
