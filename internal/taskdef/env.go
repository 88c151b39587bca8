package taskdef

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// secretValueKey is the key of the Secret that holds a whole Secrets Manager secret or SSM
// parameter.
const secretValueKey = "value"

// env is the container's environment: environment, then secrets, then the environment
// overrides. A later entry replaces an earlier one of the same name in place, so each name
// appears once and overrides win over secrets, which win over environment. The variables of
// the task metadata endpoint (metadataEnv) follow, unless the task definition sets them.
func (b *builder) env(i int) []corev1.EnvVar {
	d := &b.defs[i]
	var out []corev1.EnvVar
	set := func(e corev1.EnvVar) {
		at := slices.IndexFunc(out, func(o corev1.EnvVar) bool { return o.Name == e.Name })
		if at >= 0 {
			out[at] = e
		} else {
			out = append(out, e)
		}
	}
	for _, kv := range d.Environment {
		set(corev1.EnvVar{Name: kv.Name, Value: kv.Value})
	}
	for j, s := range d.Secrets {
		ref, problem := secretKeyRef(s.ValueFrom)
		path := cpath(i, fmt.Sprintf("secrets[%d].valueFrom", j))
		if ref == nil {
			b.note(path, "%s; the variable %s is not set", problem, s.Name)
			continue
		}
		if problem != "" {
			b.note(path, "%s", problem)
		}
		set(corev1.EnvVar{Name: s.Name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: ref}})
	}
	for _, kv := range b.envOverrides[i] {
		set(corev1.EnvVar{Name: kv.Name, Value: kv.Value})
	}
	for _, e := range metadataEnv(b.names[i]) {
		if !slices.ContainsFunc(out, func(o corev1.EnvVar) bool { return o.Name == e.Name }) {
			out = append(out, e)
		}
	}
	return out
}

// The variables that point a task's containers at the task metadata endpoint the kube-ecs
// agent serves on its node.
const (
	// HostIPEnv is the IP address of the task's node.
	HostIPEnv = "KUBE_ECS_HOST_IP"
	// PodUIDEnv is the UID of the task's pod.
	PodUIDEnv = "KUBE_ECS_POD_UID"
	// MetadataURIV4Env is the container's task metadata endpoint version 4.
	MetadataURIV4Env = "ECS_CONTAINER_METADATA_URI_V4"
	// MetadataURIEnv is ECS's version 3 variable; it gets the version 4 endpoint too.
	MetadataURIEnv = "ECS_CONTAINER_METADATA_URI"
)

// metadataEnv are the variables of the task metadata endpoint of container (its Kubernetes
// name), in the order they must appear: Kubernetes expands $(VAR) only for variables defined
// earlier. They come after the task definition's own, and env skips any the task definition
// sets: a HostIPEnv of its own is then what the endpoint's URIs use.
func metadataEnv(container string) []corev1.EnvVar {
	uri := fmt.Sprintf("http://$(%s):%d/v4/$(%s)/%s", HostIPEnv, ecsv1alpha1.AgentMetadataPort, PodUIDEnv, container)
	field := func(path string) *corev1.EnvVarSource {
		return &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}
	}
	return []corev1.EnvVar{
		{Name: HostIPEnv, ValueFrom: field("status.hostIP")},
		{Name: PodUIDEnv, ValueFrom: field("metadata.uid")},
		{Name: MetadataURIV4Env, Value: uri},
		{Name: MetadataURIEnv, Value: uri},
	}
}

var (
	// arn:<partition>:secretsmanager:<region>:<account>:secret:<name>[-<6 chars>][:<json-key>:<version-stage>:<version-id>]
	secretsManagerARN = regexp.MustCompile(`^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:([^:]+)(?::([^:]*)(?::([^:]*)(?::([^:]*))?)?)?$`)
	// arn:<partition>:ssm:<region>:<account>:parameter/<path>
	ssmParameterARN = regexp.MustCompile(`^arn:[^:]+:ssm:[^:]*:[^:]*:parameter/?(.+)$`)
	// The random suffix Secrets Manager appends to a secret's name in its ARN.
	secretSuffix = regexp.MustCompile(`-[A-Za-z0-9]{6}$`)
)

// secretKeyRef maps an ECS secret's valueFrom to a key of a Kubernetes Secret of the
// task's namespace (docs/task-definitions.md states the rules). When ref is nil, problem
// says why it cannot; otherwise problem, if any, names a part of valueFrom that is ignored.
func secretKeyRef(valueFrom string) (ref *corev1.SecretKeySelector, problem string) {
	var name, key string
	switch m := secretsManagerARN.FindStringSubmatch(valueFrom); {
	case m != nil:
		name, key = secretName(secretSuffix.ReplaceAllString(m[1], "")), secretValueKey
		if m[2] != "" {
			key = m[2]
		}
		if m[3] != "" || m[4] != "" {
			problem = "a Kubernetes Secret has one version: the version stage and id are ignored"
		}
	case ssmParameterARN.MatchString(valueFrom):
		name, key = secretName(ssmParameterARN.FindStringSubmatch(valueFrom)[1]), secretValueKey
	case strings.HasPrefix(valueFrom, "arn:"):
		return nil, fmt.Sprintf("%q is neither a Secrets Manager secret ARN nor an SSM parameter ARN", valueFrom)
	case strings.Contains(valueFrom, ":"):
		name, key, _ = strings.Cut(valueFrom, ":")
		if len(validation.IsDNS1123Subdomain(name)) > 0 {
			return nil, fmt.Sprintf("%q is not a valid Kubernetes Secret name", name)
		}
	default: // an SSM parameter name: "db" or "/app/db"
		name, key = secretName(valueFrom), secretValueKey
	}
	if name == "" {
		return nil, fmt.Sprintf("%q names no Kubernetes Secret", valueFrom)
	}
	if len(validation.IsConfigMapKey(key)) > 0 {
		return nil, fmt.Sprintf("%q is not a valid Kubernetes Secret key", key)
	}
	return &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key}, problem
}

// SecretKeyRef maps an ECS secrets valueFrom or an App Runner runtimeEnvironmentSecrets
// value to a key of a Kubernetes Secret of the object's namespace, by the rules of
// docs/api.md. When ref is nil, problem says why it cannot; otherwise problem, if any, names
// a part of the value that is ignored.
func SecretKeyRef(value string) (ref *corev1.SecretKeySelector, problem string) {
	return secretKeyRef(value)
}

// imagePullSecrets are the Secrets named by the containers' repositoryCredentials, mapped
// like secrets (an ARN's key part is ignored), once each in container order. They must be
// kubernetes.io/dockerconfigjson Secrets; Kubernetes offers them for every image of the pod.
func (b *builder) imagePullSecrets() []corev1.LocalObjectReference {
	var out []corev1.LocalObjectReference
	for i, d := range b.defs {
		if d.RepositoryCredentials == nil {
			continue
		}
		ref, problem := secretKeyRef(d.RepositoryCredentials.CredentialsParameter)
		if ref == nil {
			b.note(cpath(i, "repositoryCredentials.credentialsParameter"), "%s; no image pull secret is set", problem)
			continue
		}
		pull := corev1.LocalObjectReference{Name: ref.Name}
		if !slices.Contains(out, pull) {
			out = append(out, pull)
		}
	}
	return out
}
