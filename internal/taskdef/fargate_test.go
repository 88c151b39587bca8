package taskdef_test

import (
	"testing"

	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/taskdef"
)

// TestCheckFargate: admission refuses, in the words of the API server's rules for task
// definitions that declare FARGATE, what a started Fargate task is spared (TestStopTimeout
// caps the grace period; Fargate tasks ignore placement constraints).
func TestCheckFargate(t *testing.T) {
	const prefix = "Task definition does not support launch_type FARGATE. "
	stop := func(s int32) func(*ecsv1alpha1.ContainerDefinition) {
		return func(c *ecsv1alpha1.ContainerDefinition) { c.StopTimeout = ptr.To(s) }
	}
	tests := []struct {
		name    string
		spec    *ecsv1alpha1.TaskDefinitionSpec
		change  func(*ecsv1alpha1.TaskDefinitionSpec)
		wantErr string
	}{
		{name: "a Fargate task definition", spec: fargateSpec(ctr("web"))},
		{name: "Fargate's longest stopTimeout", spec: fargateSpec(ctr("web", stop(120)))},
		{name: "a stopTimeout above 120 seconds", spec: fargateSpec(ctr("web"), ctr("log", stop(300))),
			wantErr: "Fargate allows a stopTimeout of at most 120 seconds"},
		{name: "placement constraints", spec: fargateSpec(ctr("web")), change: func(s *ecsv1alpha1.TaskDefinitionSpec) {
			s.PlacementConstraints = []ecsv1alpha1.TaskDefinitionPlacementConstraint{{Type: "memberOf", Expression: "attribute:ecs.instance-type =~ t3.*"}}
		}, wantErr: "Fargate does not support placement constraints"},
		{name: "the run-time rules come first", spec: spec(ecsv1alpha1.NetworkModeBridge, ctr("web", stop(300))),
			wantErr: "Fargate only supports network mode 'awsvpc'."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.change != nil {
				tt.change(tt.spec)
			}
			err := taskdef.CheckFargate(tt.spec)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("CheckFargate error = %v, want none", err)
			case tt.wantErr != "" && (err == nil || err.Error() != prefix+tt.wantErr):
				t.Errorf("CheckFargate error = %v, want %q", err, prefix+tt.wantErr)
			}
		})
	}
}
