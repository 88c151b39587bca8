package taskdef_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/taskdef"
)

func kv(name, value string) ecsv1alpha1.KeyValuePair {
	return ecsv1alpha1.KeyValuePair{Name: name, Value: value}
}

// metadataEnv is what Build appends to every container's environment for the task metadata
// endpoint of container (its Kubernetes name).
func metadataEnv(container string) []corev1.EnvVar {
	uri := "http://$(KUBE_ECS_HOST_IP):51679/v4/$(KUBE_ECS_POD_UID)/" + container
	return []corev1.EnvVar{
		{Name: "KUBE_ECS_HOST_IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.hostIP"}}},
		{Name: "KUBE_ECS_POD_UID", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.uid"}}},
		{Name: "ECS_CONTAINER_METADATA_URI_V4", Value: uri},
		{Name: "ECS_CONTAINER_METADATA_URI", Value: uri},
	}
}

// withMetadata is env followed by the metadata endpoint's variables of container.
func withMetadata(container string, env ...corev1.EnvVar) []corev1.EnvVar {
	return append(env, metadataEnv(container)...)
}

func fromSecret(name, secret, key string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: key,
	}}}
}

func TestEnvironment(t *testing.T) {
	tests := []struct {
		name      string
		env       []ecsv1alpha1.KeyValuePair
		secrets   []ecsv1alpha1.Secret
		overrides []ecsv1alpha1.KeyValuePair
		want      []corev1.EnvVar
	}{
		{name: "environment in order",
			env:  []ecsv1alpha1.KeyValuePair{kv("B", "2"), kv("A", "1")},
			want: []corev1.EnvVar{{Name: "B", Value: "2"}, {Name: "A", Value: "1"}}},
		{name: "the last of a repeated name wins, in the first one's place",
			env:  []ecsv1alpha1.KeyValuePair{kv("A", "1"), kv("B", "2"), kv("A", "3")},
			want: []corev1.EnvVar{{Name: "A", Value: "3"}, {Name: "B", Value: "2"}}},
		{name: "overrides replace in place and append new names",
			env:       []ecsv1alpha1.KeyValuePair{kv("A", "1"), kv("B", "2")},
			overrides: []ecsv1alpha1.KeyValuePair{kv("C", "3"), kv("A", "9")},
			want:      []corev1.EnvVar{{Name: "A", Value: "9"}, {Name: "B", Value: "2"}, {Name: "C", Value: "3"}}},
		{name: "secrets come after the environment",
			env:     []ecsv1alpha1.KeyValuePair{kv("A", "1")},
			secrets: []ecsv1alpha1.Secret{{Name: "PASSWORD", ValueFrom: "db:password"}},
			want:    []corev1.EnvVar{{Name: "A", Value: "1"}, fromSecret("PASSWORD", "db", "password")}},
		{name: "a secret wins over an environment entry of the same name",
			env:     []ecsv1alpha1.KeyValuePair{kv("PASSWORD", "plain"), kv("B", "2")},
			secrets: []ecsv1alpha1.Secret{{Name: "PASSWORD", ValueFrom: "db:password"}},
			want:    []corev1.EnvVar{fromSecret("PASSWORD", "db", "password"), {Name: "B", Value: "2"}}},
		{name: "an override wins over a secret",
			secrets:   []ecsv1alpha1.Secret{{Name: "PASSWORD", ValueFrom: "db:password"}},
			overrides: []ecsv1alpha1.KeyValuePair{kv("PASSWORD", "test")},
			want:      []corev1.EnvVar{{Name: "PASSWORD", Value: "test"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := spec("", ctr("web", func(c *ecsv1alpha1.ContainerDefinition) {
				c.Environment, c.Secrets = tt.env, tt.secrets
			}))
			var over *ecsv1alpha1.TaskOverride
			if tt.overrides != nil {
				over = &ecsv1alpha1.TaskOverride{ContainerOverrides: []ecsv1alpha1.ContainerOverride{{Name: "web", Environment: tt.overrides}}}
			}
			res := mustBuild(t, taskdef.Input{Spec: s, Overrides: over})
			if diff := cmp.Diff(withMetadata("web", tt.want...), container(t, res, "web").Env); diff != "" {
				t.Errorf("env (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSecretMapping is the table of docs/task-definitions.md: valueFrom -> Secret and key.
func TestSecretMapping(t *testing.T) {
	const sm = "arn:aws:secretsmanager:us-east-1:123456789012:secret:"
	const ssm = "arn:aws:ssm:eu-west-1:123456789012:parameter"
	tests := []struct {
		valueFrom   string
		secret, key string // "" when the variable is not set
		note        string
	}{
		{valueFrom: "db-creds:password", secret: "db-creds", key: "password"},
		{valueFrom: "db.creds:pass_word", secret: "db.creds", key: "pass_word"},
		{valueFrom: sm + "prod/db-AbCdEf", secret: "prod-db", key: "value"},
		{valueFrom: sm + "My_App/DB-a1B2c3", secret: "my-app-db", key: "value"},
		{valueFrom: sm + "prod/db-AbCdEf:password::", secret: "prod-db", key: "password"},
		{valueFrom: sm + "prod/db-AbCdEf:password", secret: "prod-db", key: "password"},
		{valueFrom: sm + "prod/db-AbCdEf:username:AWSCURRENT:", secret: "prod-db", key: "username",
			note: "a Kubernetes Secret has one version: the version stage and id are ignored"},
		{valueFrom: sm + "prod/db-AbCdEf::AWSPREVIOUS:", secret: "prod-db", key: "value",
			note: "a Kubernetes Secret has one version: the version stage and id are ignored"},
		{valueFrom: sm + "prod/db-AbCdEf:password::1a2b3c4d-5e6f", secret: "prod-db", key: "password",
			note: "a Kubernetes Secret has one version: the version stage and id are ignored"},
		{valueFrom: "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:api_key-AbCdEf", secret: "api-key", key: "value"},
		{valueFrom: ssm + "/report-worker/api-token", secret: "report-worker-api-token", key: "value"},
		{valueFrom: ssm + "/db", secret: "db", key: "value"},
		{valueFrom: ssm + "/App_Config/DB.URL", secret: "app-config-db.url", key: "value"},
		{valueFrom: "/app/db", secret: "app-db", key: "value"},
		{valueFrom: "db", secret: "db", key: "value"},
		{valueFrom: "Prod_DB", secret: "prod-db", key: "value"},
		{valueFrom: "arn:aws:s3:::bucket/key",
			note: `"arn:aws:s3:::bucket/key" is neither a Secrets Manager secret ARN nor an SSM parameter ARN; the variable V is not set`},
		{valueFrom: "Bad Name:key", note: `"Bad Name" is not a valid Kubernetes Secret name; the variable V is not set`},
		{valueFrom: "db:", note: `"" is not a valid Kubernetes Secret key; the variable V is not set`},
		{valueFrom: "db:a/b", note: `"a/b" is not a valid Kubernetes Secret key; the variable V is not set`},
		{valueFrom: sm + "prod/db-AbCdEf:a b::", note: `"a b" is not a valid Kubernetes Secret key; the variable V is not set`},
		{valueFrom: "///", note: `"///" names no Kubernetes Secret; the variable V is not set`},
	}
	for _, tt := range tests {
		t.Run(tt.valueFrom, func(t *testing.T) {
			s := spec("", ctr("web", func(c *ecsv1alpha1.ContainerDefinition) {
				c.Secrets = []ecsv1alpha1.Secret{{Name: "V", ValueFrom: tt.valueFrom}}
			}))
			res := mustBuild(t, taskdef.Input{Spec: s})
			var want []corev1.EnvVar
			if tt.secret != "" {
				want = []corev1.EnvVar{fromSecret("V", tt.secret, tt.key)}
			}
			if diff := cmp.Diff(withMetadata("web", want...), container(t, res, "web").Env); diff != "" {
				t.Errorf("env (-want +got):\n%s", diff)
			}
			var wantNotes []string
			if tt.note != "" {
				wantNotes = []string{"containerDefinitions[0].secrets[0].valueFrom: " + tt.note}
			}
			if diff := cmp.Diff(wantNotes, res.Unsupported); diff != "" {
				t.Errorf("notes (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMetadataEndpointEnv checks every container, init containers and sidecars too, is
// pointed at the agent's task metadata endpoint by its Kubernetes name, and that variables the
// task definition sets itself are kept.
func TestMetadataEndpointEnv(t *testing.T) {
	hostIP := corev1.EnvVar{Name: "KUBE_ECS_HOST_IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.hostIP"}}}
	podUID := corev1.EnvVar{Name: "KUBE_ECS_POD_UID", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.uid"}}}
	uri := func(c string) string { return "http://$(KUBE_ECS_HOST_IP):51679/v4/$(KUBE_ECS_POD_UID)/" + c }
	s := spec("",
		ctr("Web_App", dependsOn("proxy", ecsv1alpha1.ContainerConditionStart), dependsOn("migrate", ecsv1alpha1.ContainerConditionSuccess)),
		ctr("proxy", func(c *ecsv1alpha1.ContainerDefinition) {
			c.Environment = []ecsv1alpha1.KeyValuePair{kv("ECS_CONTAINER_METADATA_URI_V4", "http://169.254.170.2/v4/custom")}
		}),
		ctr("migrate", func(c *ecsv1alpha1.ContainerDefinition) {
			c.Environment = []ecsv1alpha1.KeyValuePair{kv("KUBE_ECS_HOST_IP", "10.0.0.1")}
		}),
	)
	over := &ecsv1alpha1.TaskOverride{ContainerOverrides: []ecsv1alpha1.ContainerOverride{
		{Name: "Web_App", Environment: []ecsv1alpha1.KeyValuePair{kv("ECS_CONTAINER_METADATA_URI", "http://example.com/v3")}},
	}}
	res := mustBuild(t, taskdef.Input{Spec: s, Overrides: over})
	want := map[string][]corev1.EnvVar{
		// A renamed container is addressed by its Kubernetes name; the override's v3 variable wins.
		"web-app": {{Name: "ECS_CONTAINER_METADATA_URI", Value: "http://example.com/v3"}, hostIP, podUID, {Name: "ECS_CONTAINER_METADATA_URI_V4", Value: uri("web-app")}},
		// A native sidecar keeps the task definition's own v4 variable.
		"proxy": {{Name: "ECS_CONTAINER_METADATA_URI_V4", Value: "http://169.254.170.2/v4/custom"}, hostIP, podUID, {Name: "ECS_CONTAINER_METADATA_URI", Value: uri("proxy")}},
		// A plain init container's own KUBE_ECS_HOST_IP comes first, so the URIs use it.
		"migrate": {{Name: "KUBE_ECS_HOST_IP", Value: "10.0.0.1"}, podUID, {Name: "ECS_CONTAINER_METADATA_URI_V4", Value: uri("migrate")}, {Name: "ECS_CONTAINER_METADATA_URI", Value: uri("migrate")}},
	}
	for name, env := range want {
		if diff := cmp.Diff(env, container(t, res, name).Env); diff != "" {
			t.Errorf("%s env (-want +got):\n%s", name, diff)
		}
	}
	if len(res.PodSpec.InitContainers) != 2 {
		t.Fatalf("want proxy and migrate as init containers, got %d", len(res.PodSpec.InitContainers))
	}
}

func TestImagePullSecrets(t *testing.T) {
	creds := func(p string) func(*ecsv1alpha1.ContainerDefinition) {
		return func(c *ecsv1alpha1.ContainerDefinition) {
			c.RepositoryCredentials = &ecsv1alpha1.RepositoryCredentials{CredentialsParameter: p}
		}
	}
	s := spec("",
		ctr("a", creds("arn:aws:secretsmanager:us-east-1:123456789012:secret:dockerhub-AbCdEf")),
		ctr("b", creds("dockerhub")),
		ctr("c", creds("registry_creds")),
		ctr("d", creds("arn:aws:kms:us-east-1:123456789012:key/x")),
		ctr("e"),
	)
	res := mustBuild(t, taskdef.Input{Spec: s})
	want := []corev1.LocalObjectReference{{Name: "dockerhub"}, {Name: "registry-creds"}}
	if diff := cmp.Diff(want, res.PodSpec.ImagePullSecrets); diff != "" {
		t.Errorf("imagePullSecrets (-want +got):\n%s", diff)
	}
	wantNotes := []string{`containerDefinitions[3].repositoryCredentials.credentialsParameter: "arn:aws:kms:us-east-1:123456789012:key/x" is neither a Secrets Manager secret ARN nor an SSM parameter ARN; no image pull secret is set`}
	if diff := cmp.Diff(wantNotes, res.Unsupported); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
}

func TestCommandAndEntryPoint(t *testing.T) {
	tests := []struct {
		name                string
		entryPoint, command []string
		override            []string
		wantCommand         []string
		wantArgs            []string
	}{
		{name: "neither: the image's ENTRYPOINT and CMD"},
		{name: "entryPoint is the command", entryPoint: []string{"/bin/sh", "-c"}, wantCommand: []string{"/bin/sh", "-c"}},
		{name: "command is the args", command: []string{"echo", "hi"}, wantArgs: []string{"echo", "hi"}},
		{name: "both", entryPoint: []string{"/bin/sh", "-c"}, command: []string{"echo hi"},
			wantCommand: []string{"/bin/sh", "-c"}, wantArgs: []string{"echo hi"}},
		{name: "an override replaces the command only", entryPoint: []string{"/bin/app"}, command: []string{"serve"},
			override: []string{"migrate", "--up"}, wantCommand: []string{"/bin/app"}, wantArgs: []string{"migrate", "--up"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := spec("", ctr("web", func(c *ecsv1alpha1.ContainerDefinition) { c.EntryPoint, c.Command = tt.entryPoint, tt.command }))
			var over *ecsv1alpha1.TaskOverride
			if tt.override != nil {
				over = &ecsv1alpha1.TaskOverride{ContainerOverrides: []ecsv1alpha1.ContainerOverride{{Name: "web", Command: tt.override}}}
			}
			c := container(t, mustBuild(t, taskdef.Input{Spec: s, Overrides: over}), "web")
			if diff := cmp.Diff(tt.wantCommand, c.Command); diff != "" {
				t.Errorf("command (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantArgs, c.Args); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
		})
	}
}
