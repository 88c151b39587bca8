// Package arn formats the emulated Amazon Resource Names that kube-ecs reports in status,
// such as arn:aws:ecs:us-east-1:000000000000:task/default/<id>. Region and account come from
// the operator's flags.
package arn

import (
	"fmt"
	"regexp"
)

// Defaults of the operator's --region and --account-id flags.
const (
	DefaultRegion  = "us-east-1"
	DefaultAccount = "000000000000"
)

var (
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
)

// Scope is the region and account ARNs are minted in.
type Scope struct {
	Region  string
	Account string
}

// Validate returns an error a user can act on when the region or account is malformed.
func (s Scope) Validate() error {
	if !regionRE.MatchString(s.Region) {
		return fmt.Errorf("invalid region %q: use an AWS-style region such as us-east-1", s.Region)
	}
	if !accountRE.MatchString(s.Account) {
		return fmt.Errorf("invalid account id %q: use 12 digits such as 000000000000", s.Account)
	}
	return nil
}

func (s Scope) ecs(resource string) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:%s", s.Region, s.Account, resource)
}

// Cluster is the ARN of a cluster.
func (s Scope) Cluster(name string) string { return s.ecs("cluster/" + name) }

// TaskDefinition is the ARN of one revision of a family.
func (s Scope) TaskDefinition(family string, revision int32) string {
	return s.ecs(fmt.Sprintf("task-definition/%s:%d", family, revision))
}

// Task is the ARN of a task.
func (s Scope) Task(cluster, id string) string { return s.ecs("task/" + cluster + "/" + id) }

// Service is the ARN of a service.
func (s Scope) Service(cluster, name string) string {
	return s.ecs("service/" + cluster + "/" + name)
}

// ContainerInstance is the ARN of a container instance.
func (s Scope) ContainerInstance(cluster, id string) string {
	return s.ecs("container-instance/" + cluster + "/" + id)
}

// AppRunnerService is the ARN of an App Runner service.
func (s Scope) AppRunnerService(name, id string) string {
	return fmt.Sprintf("arn:aws:apprunner:%s:%s:service/%s/%s", s.Region, s.Account, name, id)
}
