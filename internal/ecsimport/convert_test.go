package ecsimport_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/ecsimport"
)

func TestConvert(t *testing.T) {
	tests := []struct {
		name         string
		opts         ecsimport.Options
		input        string
		wantYAML     string
		wantWarnings []string
	}{
		{
			name:  "bare task definition with an upper-case family",
			opts:  ecsimport.Options{Namespace: "team-a"},
			input: `{"family": "My_Web_App", "containerDefinitions": [{"name": "web", "image": "nginx", "memory": 512}]}`,
			wantYAML: `apiVersion: ecs.kube-ecs.io/v1alpha1
kind: TaskDefinition
metadata:
  annotations:
    ecs.kube-ecs.io/ecs-name: My_Web_App
  name: my-web-app
  namespace: team-a
spec:
  containerDefinitions:
  - image: nginx
    memory: 512
    name: web
  family: my-web-app
`,
			wantWarnings: []string{
				`family "My_Web_App" is not a valid Kubernetes name: named "my-web-app", with the ECS name kept in the ecs.kube-ecs.io/ecs-name annotation`,
			},
		},
		{
			name: "describe-task-definition with epoch timestamps, wrapper tags and unknown fields",
			input: `{
				"taskDefinition": {
					"family": "api", "revision": 3, "status": "INACTIVE",
					"registeredAt": 1730737928.915, "deregisteredAt": 1730738000,
					"containerDefinitions": [{"name": "api", "image": "api:1", "memory": 256, "credentialSpecs": [], "madeUpField": true}],
					"volumes": [{"name": "scratch", "host": {}}]
				},
				"tags": [{"key": "team", "value": "api"}],
				"ResponseMetadata": {"RequestId": "0f2a"}
			}`,
			wantYAML: `apiVersion: ecs.kube-ecs.io/v1alpha1
kind: TaskDefinition
metadata:
  name: api
spec:
  containerDefinitions:
  - image: api:1
    memory: 256
    name: api
  deregisteredAt: "2024-11-04T16:33:20Z"
  family: api
  registeredAt: "2024-11-04T16:32:08.915Z"
  revision: 3
  status: INACTIVE
  tags:
  - key: team
    value: api
  volumes:
  - host: {}
    name: scratch
`,
			wantWarnings: []string{
				"dropped field ResponseMetadata: not part of describe-task-definition output",
				"dropped field taskDefinition.containerDefinitions[0].madeUpField: kube-ecs's ContainerDefinition has no such field",
				"taskDefinition.status is INACTIVE in ECS: kube-ecs ignores spec.status and registers the imported task definition as an ACTIVE revision",
			},
		},
		{
			name: "describe-task-definition whose task definition has tags of its own",
			input: `{"taskDefinition": {"family": "api", "tags": [{"key": "a", "value": "1"}],
				"containerDefinitions": [{"name": "api", "image": "api:1", "memory": 256}]},
				"tags": [{"key": "b", "value": "2"}]}`,
			wantYAML: `apiVersion: ecs.kube-ecs.io/v1alpha1
kind: TaskDefinition
metadata:
  name: api
spec:
  containerDefinitions:
  - image: api:1
    memory: 256
    name: api
  family: api
  tags:
  - key: a
    value: "1"
`,
			wantWarnings: []string{"dropped field tags: taskDefinition has tags of its own"},
		},
		{
			name: "values of the wrong JSON type are converted when that is unambiguous, else dropped",
			input: `{"family": "api", "cpu": 256, "memory": "512", "NetworkMode": "awsvpc",
				"containerDefinitions": [{"name": "api", "image": "api:1", "essential": "true",
					"portMappings": [{"containerPort": "8080"}], "memoryReservation": 1.5,
					"environment": {"A": "b"}, "dockerLabels": {"Com.Example.Team": "web", "replicas": 3}}]}`,
			wantYAML: `apiVersion: ecs.kube-ecs.io/v1alpha1
kind: TaskDefinition
metadata:
  name: api
spec:
  containerDefinitions:
  - dockerLabels:
      Com.Example.Team: web
      replicas: "3"
    essential: true
    image: api:1
    name: api
    portMappings:
    - containerPort: 8080
  cpu: "256"
  family: api
  memory: "512"
  networkMode: awsvpc
`,
			wantWarnings: []string{
				`renamed field NetworkMode to networkMode`,
				`converted field containerDefinitions[0].dockerLabels["replicas"] from the number 3 to the string "3"`,
				`dropped field containerDefinitions[0].environment: want a list, got an object`,
				`converted field containerDefinitions[0].essential from the string "true" to the boolean true`,
				`dropped field containerDefinitions[0].memoryReservation: want an integer, got the number 1.5`,
				`converted field containerDefinitions[0].portMappings[0].containerPort from the string "8080" to the integer 8080`,
				`converted field cpu from the number 256 to the string "256"`,
			},
		},
		{
			name: "values that cannot be represented are dropped",
			input: `{"family": "a", "registeredAt": 1700000000.1234567891, "containerDefinitions": [{"name": "a", "image": "a",
				"memory": 1e3, "cpu": 99999999999, "hostname": true, "user": {"id": 1}, "essential": "maybe",
				"startTimeout": "soon", "links": [null, "b:b"], "stopTimeout": 30.0}]}`,
			wantYAML: `apiVersion: ecs.kube-ecs.io/v1alpha1
kind: TaskDefinition
metadata:
  name: a
spec:
  containerDefinitions:
  - hostname: "true"
    image: a
    links:
    - b:b
    memory: 1000
    name: a
    stopTimeout: 30
  family: a
  registeredAt: "2023-11-14T22:13:20.123456789Z"
`,
			wantWarnings: []string{
				"dropped field containerDefinitions[0].cpu: 99999999999 is out of range",
				`dropped field containerDefinitions[0].essential: want a boolean, got the string "maybe"`,
				`converted field containerDefinitions[0].hostname from the boolean true to the string "true"`,
				"dropped containerDefinitions[0].links[0]: null list item",
				`dropped field containerDefinitions[0].startTimeout: want an integer, got the string "soon"`,
				"dropped field containerDefinitions[0].user: want a string, got an object",
			},
		},
		{
			name:  "schemaless service fields are kept as they are, when they are objects",
			input: `{"serviceName": "a", "taskDefinition": "a", "serviceConnectConfiguration": "on", "volumeConfigurations": [{"name": "ebs", "managedEBSVolume": {"sizeInGiB": 20}}]}`,
			wantYAML: `apiVersion: ecs.kube-ecs.io/v1alpha1
kind: Service
metadata:
  name: a
spec:
  serviceName: a
  taskDefinition: a
  volumeConfigurations:
  - managedEBSVolume:
      sizeInGiB: 20
    name: ebs
`,
			wantWarnings: []string{
				`dropped field serviceConnectConfiguration: want an object, got the string "on"`,
			},
		},
		{
			name: "EC2 capacity providers",
			input: `{"clusterName": "c", "capacityProviders": ["FARGATE", "defined", "asg_1", "` + strings.Repeat("p", 70) + `"],
				"ec2CapacityProviders": [{"name": "defined", "nodeSelector": {"matchLabels": {"pool": "a"}}}]}`,
			wantYAML: `apiVersion: ecs.kube-ecs.io/v1alpha1
kind: Cluster
metadata:
  name: c
spec:
  capacityProviders:
  - FARGATE
  - defined
  - asg_1
  - ` + strings.Repeat("p", 70) + `
  clusterName: c
  ec2CapacityProviders:
  - name: defined
    nodeSelector:
      matchLabels:
        pool: a
  - name: asg_1
    nodeSelector:
      matchLabels:
        ecs.kube-ecs.io/capacity-provider: asg_1
`,
			wantWarnings: []string{
				`capacityProviders[2] "asg_1" is an EC2 capacity provider: defined it in spec.ec2CapacityProviders with the nodes labelled ecs.kube-ecs.io/capacity-provider=asg_1; label its nodes so, or edit the nodeSelector`,
				`capacityProviders[3] "` + strings.Repeat("p", 70) + `" is an EC2 capacity provider: define it in spec.ec2CapacityProviders with a nodeSelector for its nodes, or the API server will reject the Cluster`,
			},
		},
		{
			name: "a Fargate size that is not valid is reported",
			input: `{"family": "api", "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "0.75 vCPU", "memory": "1.5 GB",
				"containerDefinitions": [{"name": "api", "image": "api:1"}]}`,
			wantYAML: `apiVersion: ecs.kube-ecs.io/v1alpha1
kind: TaskDefinition
metadata:
  name: api
spec:
  containerDefinitions:
  - image: api:1
    name: api
  cpu: 0.75 vCPU
  family: api
  memory: 1.5 GB
  networkMode: awsvpc
  requiresCompatibilities:
  - FARGATE
`,
			wantWarnings: []string{
				`cpu "0.75 vCPU" and memory "1.5 GB" are not a Fargate task size: the API server will reject them; --round-to-fargate rounds them up to cpu "1024" and memory "2048"`,
			},
		},
		{
			name: "--round-to-fargate rounds an invalid Fargate size up",
			opts: ecsimport.Options{RoundToFargate: true},
			input: `{"taskDefinition": {"family": "api", "requiresCompatibilities": ["EC2", "FARGATE"], "networkMode": "awsvpc", "cpu": "768", "memory": "3000",
				"containerDefinitions": [{"name": "api", "image": "api:1"}]}}`,
			wantYAML: `apiVersion: ecs.kube-ecs.io/v1alpha1
kind: TaskDefinition
metadata:
  name: api
spec:
  containerDefinitions:
  - image: api:1
    name: api
  cpu: "1024"
  family: api
  memory: "3072"
  networkMode: awsvpc
  requiresCompatibilities:
  - EC2
  - FARGATE
`,
			wantWarnings: []string{
				`taskDefinition.cpu "768" and taskDefinition.memory "3000" are not a Fargate task size: rounded up to cpu "1024" and memory "3072"`,
			},
		},
		{
			name: "--round-to-fargate keeps a valid Fargate size and ignores task definitions that do not require Fargate",
			opts: ecsimport.Options{RoundToFargate: true},
			input: `{"family": "api", "requiresCompatibilities": ["EC2"], "cpu": "768", "memory": "3000",
				"containerDefinitions": [{"name": "api", "image": "api:1"}]}`,
			wantYAML: `apiVersion: ecs.kube-ecs.io/v1alpha1
kind: TaskDefinition
metadata:
  name: api
spec:
  containerDefinitions:
  - image: api:1
    name: api
  cpu: "768"
  family: api
  memory: "3000"
  requiresCompatibilities:
  - EC2
`,
		},
		{
			name: "--round-to-fargate cannot round what no Fargate size holds",
			opts: ecsimport.Options{RoundToFargate: true},
			input: `{"family": "api", "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "16384", "memory": "200 GB",
				"containerDefinitions": [{"name": "api", "image": "api:1"}]}`,
			wantYAML: `apiVersion: ecs.kube-ecs.io/v1alpha1
kind: TaskDefinition
metadata:
  name: api
spec:
  containerDefinitions:
  - image: api:1
    name: api
  cpu: "16384"
  family: api
  memory: 200 GB
  networkMode: awsvpc
  requiresCompatibilities:
  - FARGATE
`,
			wantWarnings: []string{
				`cpu "16384" and memory "200 GB" are not a Fargate task size, and no Fargate size is that large: the API server will reject them`,
			},
		},
		{
			name: "a Fargate task definition without a task size",
			input: `{"family": "api", "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256",
				"containerDefinitions": [{"name": "api", "image": "api:1", "memory": 512}]}`,
			wantYAML: `apiVersion: ecs.kube-ecs.io/v1alpha1
kind: TaskDefinition
metadata:
  name: api
spec:
  containerDefinitions:
  - image: api:1
    memory: 512
    name: api
  cpu: "256"
  family: api
  networkMode: awsvpc
  requiresCompatibilities:
  - FARGATE
`,
			wantWarnings: []string{
				"the document requires FARGATE but does not set both cpu and memory: the API server will reject it; --round-to-fargate sizes it from its containers",
			},
		},
		{
			name: "--round-to-fargate sizes a Fargate task definition from its containers, with EKS's 256 MiB",
			opts: ecsimport.Options{RoundToFargate: true},
			input: `{"family": "api", "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc",
				"containerDefinitions": [{"name": "api", "image": "api:1", "cpu": 200, "memory": 512},
				{"name": "log", "image": "log:1", "cpu": 100, "memory": 256, "memoryReservation": 64}]}`,
			wantYAML: `apiVersion: ecs.kube-ecs.io/v1alpha1
kind: TaskDefinition
metadata:
  name: api
spec:
  containerDefinitions:
  - cpu: 200
    image: api:1
    memory: 512
    name: api
  - cpu: 100
    image: log:1
    memory: 256
    memoryReservation: 64
    name: log
  cpu: "512"
  family: api
  memory: "1024"
  networkMode: awsvpc
  requiresCompatibilities:
  - FARGATE
`,
			wantWarnings: []string{
				`the document requires FARGATE but does not set both cpu and memory: sized from its containers (300 cpu units and 576 MiB + 256 MiB for the Kubernetes components, as EKS on Fargate adds), rounded up to cpu "512" and memory "1024"`,
			},
		},
		{
			name: "--round-to-fargate keeps a task-level memory as the whole allowance (no overhead)",
			opts: ecsimport.Options{RoundToFargate: true},
			input: `{"family": "api", "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "memory": "512",
				"containerDefinitions": [{"name": "api", "image": "api:1", "memory": 512}]}`,
			wantYAML: `apiVersion: ecs.kube-ecs.io/v1alpha1
kind: TaskDefinition
metadata:
  name: api
spec:
  containerDefinitions:
  - image: api:1
    memory: 512
    name: api
  cpu: "256"
  family: api
  memory: "512"
  networkMode: awsvpc
  requiresCompatibilities:
  - FARGATE
`,
			wantWarnings: []string{
				`the document requires FARGATE but does not set both cpu and memory: sized from its containers (0 cpu units and 512 MiB), rounded up to cpu "256" and memory "512"`,
			},
		},
		{
			name:  "CreateService request with upper-case names and a cluster ARN",
			input: `{"serviceName": "Web_Frontend", "cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/prod", "taskDefinition": "Web_Frontend", "desiredCount": 2}`,
			wantYAML: `apiVersion: ecs.kube-ecs.io/v1alpha1
kind: Service
metadata:
  annotations:
    ecs.kube-ecs.io/ecs-name: Web_Frontend
  name: web-frontend
spec:
  cluster: prod
  desiredCount: 2
  serviceName: web-frontend
  taskDefinition: web-frontend
`,
			wantWarnings: []string{
				`cluster "arn:aws:ecs:us-east-1:123456789012:cluster/prod" refers to the Cluster "prod", the name importing that cluster gives it`,
				`taskDefinition "Web_Frontend" refers to the TaskDefinition "web-frontend", the name importing that task definition gives it: now "web-frontend"`,
				`serviceName "Web_Frontend" is not a valid Kubernetes name: named "web-frontend", with the ECS name kept in the ecs.kube-ecs.io/ecs-name annotation`,
			},
		},
		{
			name: "create-service output",
			opts: ecsimport.Options{Namespace: "prod"},
			input: `{"service": {"serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/default/api", "serviceName": "api",
				"clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/default", "taskDefinition": "api", "status": "DRAINING",
				"desiredCount": 1, "launchType": "FARGATE", "serviceConnectConfiguration": {"enabled": false, "anything": [1, 2]}}}`,
			wantYAML: `apiVersion: ecs.kube-ecs.io/v1alpha1
kind: Service
metadata:
  name: api
  namespace: prod
spec:
  cluster: default
  desiredCount: 1
  launchType: FARGATE
  serviceConnectConfiguration:
    anything:
    - 1
    - 2
    enabled: false
  serviceName: api
  taskDefinition: api
`,
			wantWarnings: []string{
				"dropped field service.clusterArn: read-only in ECS, kube-ecs reports it in status; spec.cluster is set from it",
				"dropped field service.serviceArn: read-only in ECS, kube-ecs reports it in status",
				"dropped field service.status: read-only in ECS, kube-ecs reports it in status",
				"service.status is DRAINING in ECS: the imported Service will run its desired count of tasks",
			},
		},
		{
			name: "describe-services output with failures and two services of the same Kubernetes name",
			input: `{"services": [
				{"serviceName": "Api", "taskDefinition": "api:2", "cluster": "c1", "deployments": []},
				{"serviceName": "api", "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/api", "cluster": "c1"}
			], "failures": [{"arn": "arn:aws:ecs:us-east-1:123456789012:service/c1/gone", "reason": "MISSING"}]}`,
			wantYAML: `apiVersion: ecs.kube-ecs.io/v1alpha1
kind: Service
metadata:
  annotations:
    ecs.kube-ecs.io/ecs-name: Api
  name: api
spec:
  cluster: c1
  serviceName: api
  taskDefinition: api:2
---
apiVersion: ecs.kube-ecs.io/v1alpha1
kind: Service
metadata:
  name: api
spec:
  cluster: c1
  serviceName: api
  taskDefinition: arn:aws:ecs:us-east-1:123456789012:task-definition/api
`,
			wantWarnings: []string{
				"failures[0]: ECS could not describe arn:aws:ecs:us-east-1:123456789012:service/c1/gone: MISSING: not imported",
				"dropped field services[0].deployments: read-only in ECS, kube-ecs reports it in status",
				`services[0].taskDefinition "api:2" pins revision 2: kube-ecs numbers the revisions of an imported task definition from 1 (spec.revision is ignored), so refer to the family alone ("api") unless that revision exists`,
				`services[0].serviceName "Api" is not a valid Kubernetes name: named "api", with the ECS name kept in the ecs.kube-ecs.io/ecs-name annotation`,
				`more than one Service is named "api": applying the manifests keeps only the last`,
			},
		},
		{
			name:  "a long service name is cut to 63 characters",
			input: `{"serviceName": "` + strings.Repeat("s", 70) + `", "taskDefinition": "api"}`,
			wantYAML: `apiVersion: ecs.kube-ecs.io/v1alpha1
kind: Service
metadata:
  annotations:
    ecs.kube-ecs.io/ecs-name: ` + strings.Repeat("s", 70) + `
  name: ` + strings.Repeat("s", 63) + `
spec:
  serviceName: ` + strings.Repeat("s", 63) + `
  taskDefinition: api
`,
			wantWarnings: []string{
				`serviceName "` + strings.Repeat("s", 70) + `" is not a valid Kubernetes name: named "` + strings.Repeat("s", 63) + `", with the ECS name kept in the ecs.kube-ecs.io/ecs-name annotation`,
			},
		},
		{
			name:  "a long family is cut to 63 characters",
			input: `{"family": "` + strings.Repeat("f", 255) + `", "containerDefinitions": [{"name": "c", "image": "i", "memory": 6}]}`,
			wantYAML: `apiVersion: ecs.kube-ecs.io/v1alpha1
kind: TaskDefinition
metadata:
  annotations:
    ecs.kube-ecs.io/ecs-name: ` + strings.Repeat("f", 255) + `
  name: ` + strings.Repeat("f", 63) + `
spec:
  containerDefinitions:
  - image: i
    memory: 6
    name: c
  family: ` + strings.Repeat("f", 63) + `
`,
			wantWarnings: []string{
				`family "` + strings.Repeat("f", 255) + `" is not a valid Kubernetes name: named "` + strings.Repeat("f", 63) + `", with the ECS name kept in the ecs.kube-ecs.io/ecs-name annotation`,
			},
		},
		{
			name:  "CreateCluster request with an upper-case name",
			input: `{"clusterName": "Prod", "settings": [{"name": "containerInsights", "value": "enabled"}], "madeUp": 1}`,
			wantYAML: `apiVersion: ecs.kube-ecs.io/v1alpha1
kind: Cluster
metadata:
  annotations:
    ecs.kube-ecs.io/ecs-name: Prod
  name: prod
spec:
  clusterName: prod
  settings:
  - name: containerInsights
    value: enabled
`,
			wantWarnings: []string{
				"dropped field madeUp: kube-ecs's ClusterSpec has no such field",
				`clusterName "Prod" is not a valid Kubernetes name: named "prod", with the ECS name kept in the ecs.kube-ecs.io/ecs-name annotation`,
			},
		},
		{
			name:  "create-cluster output without a name is the default cluster",
			input: `{"cluster": {"clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/default", "status": "PROVISIONING", "capacityProviders": ["FARGATE"]}}`,
			wantYAML: `apiVersion: ecs.kube-ecs.io/v1alpha1
kind: Cluster
metadata:
  name: default
spec:
  capacityProviders:
  - FARGATE
`,
			wantWarnings: []string{
				"dropped field cluster.clusterArn: read-only in ECS, kube-ecs reports it in status",
				"dropped field cluster.status: read-only in ECS, kube-ecs reports it in status",
				`cluster has no clusterName: named "default", as ECS does`,
				"cluster.status is PROVISIONING in ECS: the imported Cluster will be active",
			},
		},
		{
			name: "App Runner CreateService request: keys renamed, environment variable names kept",
			input: `{
				"ServiceName": "python-app",
				"SourceConfiguration": {
					"CodeRepository": {
						"RepositoryUrl": "https://github.com/example/python-app",
						"SourceCodeVersion": {"Type": "BRANCH", "Value": "main"},
						"CodeConfiguration": {
							"ConfigurationSource": "API",
							"CodeConfigurationValues": {
								"Runtime": "PYTHON_3", "BuildCommand": "pip install -r requirements.txt", "StartCommand": "python server.py", "Port": "8080",
								"RuntimeEnvironmentVariables": {"Name": "Jane", "DbHost": "db", "lower_case": "x", "Port": "kept"}
							}
						}
					},
					"AuthenticationConfiguration": {"ConnectionArn": "arn:aws:apprunner:us-east-1:123456789012:connection/gh/0123"},
					"AutoDeploymentsEnabled": true
				},
				"InstanceConfiguration": {"Cpu": "0.25 vCPU", "Memory": "0.5 GB", "InstanceRoleArn": "arn:aws:iam::123456789012:role/app"},
				"AutoScalingConfigurationArn": "arn:aws:apprunner:us-east-1:123456789012:autoscalingconfiguration/DefaultConfiguration/1/0123",
				"EncryptionConfiguration": {"KmsKey": "arn:aws:kms:us-east-1:123456789012:key/0123"},
				"Tags": [{"Key": "Team", "Value": "Web"}],
				"SomethingNew": {"Enabled": true}
			}`,
			wantYAML: `apiVersion: apprunner.kube-ecs.io/v1alpha1
kind: AppRunnerService
metadata:
  name: python-app
spec:
  autoScalingConfigurationArn: arn:aws:apprunner:us-east-1:123456789012:autoscalingconfiguration/DefaultConfiguration/1/0123
  encryptionConfiguration:
    kmsKey: arn:aws:kms:us-east-1:123456789012:key/0123
  instanceConfiguration:
    cpu: 0.25 vCPU
    instanceRoleArn: arn:aws:iam::123456789012:role/app
    memory: 0.5 GB
  serviceName: python-app
  sourceConfiguration:
    authenticationConfiguration:
      connectionArn: arn:aws:apprunner:us-east-1:123456789012:connection/gh/0123
    autoDeploymentsEnabled: true
    codeRepository:
      codeConfiguration:
        codeConfigurationValues:
          buildCommand: pip install -r requirements.txt
          port: "8080"
          runtime: PYTHON_3
          runtimeEnvironmentVariables:
            DbHost: db
            Name: Jane
            Port: kept
            lower_case: x
          startCommand: python server.py
        configurationSource: API
      repositoryUrl: https://github.com/example/python-app
      sourceCodeVersion:
        type: BRANCH
        value: main
  tags:
  - key: Team
    value: Web
`,
			wantWarnings: []string{
				"dropped field SomethingNew: kube-ecs's AppRunnerServiceSpec has no such field",
			},
		},
		{
			name: "App Runner create-service output",
			opts: ecsimport.Options{Namespace: "web"},
			input: `{"Service": {
				"ServiceName": "Hello_Web", "ServiceId": "8fe1e10304f84fd2b0df550fe98a71fa",
				"ServiceArn": "arn:aws:apprunner:us-east-1:123456789012:service/Hello_Web/8fe1e10304f84fd2b0df550fe98a71fa",
				"ServiceUrl": "hsbtb3erfn.us-east-1.awsapprunner.com", "CreatedAt": 1730737928, "UpdatedAt": 1730737928, "Status": "OPERATION_IN_PROGRESS",
				"SourceConfiguration": {"ImageRepository": {"ImageIdentifier": "public.ecr.aws/nginx/nginx:latest", "ImageRepositoryType": "ECR_PUBLIC",
					"ImageConfiguration": {"Port": "80", "RuntimeEnvironmentVariables": {"Greeting": "hi"}}}, "AutoDeploymentsEnabled": false},
				"AutoScalingConfigurationSummary": {"AutoScalingConfigurationName": "DefaultConfiguration"}
			}, "OperationId": "17fe9f55-7e91-4097-b243-fcabbb69a4cf"}`,
			wantYAML: `apiVersion: apprunner.kube-ecs.io/v1alpha1
kind: AppRunnerService
metadata:
  annotations:
    ecs.kube-ecs.io/ecs-name: Hello_Web
  name: hello-web
  namespace: web
spec:
  serviceName: hello-web
  sourceConfiguration:
    autoDeploymentsEnabled: false
    imageRepository:
      imageConfiguration:
        port: "80"
        runtimeEnvironmentVariables:
          Greeting: hi
      imageIdentifier: public.ecr.aws/nginx/nginx:latest
      imageRepositoryType: ECR_PUBLIC
`,
			wantWarnings: []string{
				"dropped field OperationId: not part of App Runner service output",
				"dropped field Service.AutoScalingConfigurationSummary: read-only in App Runner, kube-ecs does not keep it",
				"dropped field Service.CreatedAt: read-only in App Runner, kube-ecs reports it in status",
				"dropped field Service.ServiceArn: read-only in App Runner, kube-ecs reports it in status",
				"dropped field Service.ServiceId: read-only in App Runner, kube-ecs reports it in status",
				"dropped field Service.ServiceUrl: read-only in App Runner, kube-ecs reports it in status",
				"dropped field Service.Status: read-only in App Runner, kube-ecs reports it in status",
				"dropped field Service.UpdatedAt: read-only in App Runner, kube-ecs reports it in status",
				`Service.ServiceName "Hello_Web" is not a valid Kubernetes name: named "hello-web", with the ECS name kept in the ecs.kube-ecs.io/ecs-name annotation`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ecsimport.Convert([]byte(tt.input), tt.opts)
			if err != nil {
				t.Fatalf("Convert: %v", err)
			}
			y, err := res.YAML()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantYAML, string(y)); diff != "" {
				t.Errorf("YAML mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantWarnings, res.Warnings); diff != "" {
				t.Errorf("warnings mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConvertTypedObjects(t *testing.T) {
	res, err := ecsimport.Convert([]byte(`{"serviceName": "api", "taskDefinition": "api", "desiredCount": 0}`),
		ecsimport.Options{Namespace: "ns"})
	if err != nil {
		t.Fatal(err)
	}
	want := []ecsimport.Object{&ecsv1alpha1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "ecs.kube-ecs.io/v1alpha1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "ns"},
		Spec:       ecsv1alpha1.ServiceSpec{ServiceName: "api", TaskDefinition: "api", DesiredCount: int32Ptr(0)},
	}}
	if diff := cmp.Diff(want, res.Objects); diff != "" {
		t.Errorf("objects mismatch (-want +got):\n%s", diff)
	}
}

func TestConvertErrors(t *testing.T) {
	tests := []struct {
		name    string
		opts    ecsimport.Options
		input   string
		wantErr string
	}{
		{"empty input", ecsimport.Options{}, " \n", "the input is empty: expected ECS JSON: "},
		{"truncated JSON", ecsimport.Options{}, `{"family": `, "invalid JSON: unexpected end of input"},
		{"syntax error", ecsimport.Options{}, "{\n  \"family\" \"x\"}", "invalid JSON: line 2, column 12: invalid character '\"' after object key"},
		{"two documents", ecsimport.Options{}, `{"family": "a"} {"family": "b"}`, "invalid JSON: more than one value"},
		{"garbage after the document", ecsimport.Options{}, "{\"family\": \"a\"}\nxyz", "invalid JSON after the first value: line 2, column 1: invalid character 'x' looking for beginning of value"},
		{"a list", ecsimport.Options{}, `[{"family": "a"}]`, "want a JSON object, got a list: expected ECS JSON: describe-task-definition output"},
		{"a string", ecsimport.Options{}, `"web"`, `want a JSON object, got the string "web"`},
		{"unknown shape", ecsimport.Options{}, `{"taskArn": "arn:aws:ecs:us-east-1:1:task/x", "lastStatus": "RUNNING"}`,
			`unrecognised input, an object with lastStatus, taskArn: expected ECS JSON: describe-task-definition output ({"taskDefinition": {...}}), a task definition or RegisterTaskDefinition request (with "containerDefinitions"), a CreateService request (with "serviceName" and "taskDefinition")`},
		{"empty object", ecsimport.Options{}, `{}`, "unrecognised input, an empty object: expected ECS JSON"},
		{"task definition without family", ecsimport.Options{}, `{"containerDefinitions": [{"name": "a", "image": "b"}]}`, "the document has no family: a task definition needs one"},
		{"describe-task-definition without family", ecsimport.Options{}, `{"taskDefinition": {"containerDefinitions": []}}`, "taskDefinition has no family"},
		{"family with nothing valid", ecsimport.Options{}, `{"family": "___", "containerDefinitions": []}`, `family "___" has nothing that can make a Kubernetes name`},
		{"describe-services without services", ecsimport.Options{}, `{"services": [], "failures": [{"arn": "x", "reason": "MISSING"}]}`, "services is empty: there is no service to import"},
		{"describe-services with a non-object", ecsimport.Options{}, `{"services": ["web"]}`, `services[0]: want a service object, got the string "web"`},
		{"describe-clusters without clusters", ecsimport.Options{}, `{"clusters": []}`, "clusters is empty: there is no cluster to import"},
		{"service without serviceName", ecsimport.Options{}, `{"service": {"taskDefinition": "a"}}`, "service has no serviceName"},
		{"App Runner service without ServiceName", ecsimport.Options{}, `{"SourceConfiguration": {"ImageRepository": {"ImageIdentifier": "nginx"}}}`, "the document has no ServiceName"},
		{"invalid namespace", ecsimport.Options{Namespace: "Team_A"}, `{"family": "a", "containerDefinitions": []}`, `invalid namespace "Team_A"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ecsimport.Convert([]byte(tt.input), tt.opts)
			if err == nil {
				t.Fatalf("Convert succeeded with %d objects, want an error containing %q", len(res.Objects), tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestMarshalYAMLOmitsStatus(t *testing.T) {
	svc := &ecsv1alpha1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "ecs.kube-ecs.io/v1alpha1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: "api", Labels: map[string]string{"app": "api"}, UID: "0123", ResourceVersion: "9"},
		Spec:       ecsv1alpha1.ServiceSpec{TaskDefinition: "api"},
		Status:     ecsv1alpha1.ServiceStatus{RunningCount: 2, ServiceArn: "arn"},
	}
	cl := &ecsv1alpha1.Cluster{
		TypeMeta:   metav1.TypeMeta{APIVersion: "ecs.kube-ecs.io/v1alpha1", Kind: "Cluster"},
		ObjectMeta: metav1.ObjectMeta{Name: "default"},
	}
	y, err := ecsimport.Result{Objects: []ecsimport.Object{svc, cl}}.YAML()
	if err != nil {
		t.Fatal(err)
	}
	want := `apiVersion: ecs.kube-ecs.io/v1alpha1
kind: Service
metadata:
  labels:
    app: api
  name: api
spec:
  taskDefinition: api
---
apiVersion: ecs.kube-ecs.io/v1alpha1
kind: Cluster
metadata:
  name: default
spec: {}
`
	if diff := cmp.Diff(want, string(y)); diff != "" {
		t.Errorf("YAML mismatch (-want +got):\n%s", diff)
	}
}

func int32Ptr(v int32) *int32 { return &v }

func TestConvertAcceptsAByteOrderMark(t *testing.T) {
	res, err := ecsimport.Convert([]byte("\xef\xbb\xbf{\"clusterName\": \"a\"}"), ecsimport.Options{})
	if err != nil || len(res.Objects) != 1 {
		t.Fatalf("Convert = %d objects, %v; want 1 object", len(res.Objects), err)
	}
}

func TestConvertKeepsLargeIntegers(t *testing.T) {
	res, err := ecsimport.Convert([]byte(`{"family": "a", "containerDefinitions": [{"name": "a", "image": "a", "memory": 6,
		"ulimits": [{"name": "nofile", "softLimit": 9007199254740993, "hardLimit": 9223372036854775807}]}]}`), ecsimport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	y, err := res.YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"softLimit: 9007199254740993\n", "hardLimit: 9223372036854775807\n"} {
		if !strings.Contains(string(y), want) {
			t.Errorf("the YAML does not contain %q:\n%s", want, y)
		}
	}
}
