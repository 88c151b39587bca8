package rollout

import "testing"

func TestEventTexts(t *testing.T) {
	const tg = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"steady state", SteadyState("web"), "(service web) has reached a steady state."},
		{"started 2", StartedTasks("web", []string{"a", "b"}), "(service web) has started 2 tasks: (task a) (task b)."},
		{"started 1: ECS's plural", StartedTasks("web", []string{"0f4c1e7d2b8a4d0e9c3f5a6b7c8d9e0f"}), "(service web) has started 1 tasks: (task 0f4c1e7d2b8a4d0e9c3f5a6b7c8d9e0f)."},
		{"started none", StartedTasks("web", nil), "(service web) has started 0 tasks."},
		{"stopped 2", StoppedTasks("web", []string{"a", "b"}), "(service web) has stopped 2 running tasks: (task a) (task b)."},
		{"stopped 1", StoppedTasks("web", []string{"a"}), "(service web) has stopped 1 running tasks: (task a)."},
		{"deployment completed", DeploymentCompleted("web", "ecs-svc/123"), "(service web) (deployment ecs-svc/123) deployment completed."},
		{"deployment completed, bare id", DeploymentCompleted("web", "123"), "(service web) (deployment ecs-svc/123) deployment completed."},
		{"deployment failed", DeploymentFailed("web", "ecs-svc/123"), "(service web) (deployment ecs-svc/123) deployment failed: tasks failed to start."},
		{"rolled back", RolledBack("web", "ecs-svc/1", "ecs-svc/2"), "(service web) rolling back to (deployment ecs-svc/2)."},
		{"rolled back, bare id", RolledBack("web", "1", "2"), "(service web) rolling back to (deployment ecs-svc/2)."},
		{
			"unable to place, reason with a period",
			UnableToPlace("web", "The closest matching (container-instance 0123) has insufficient CPU units available."),
			"(service web) was unable to place a task because no container instance met all of its requirements. Reason: The closest matching (container-instance 0123) has insufficient CPU units available.",
		},
		{
			"unable to place, reason without a period",
			UnableToPlace("web", "No Container Instances were found in your cluster"),
			"(service web) was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster.",
		},
		{
			"unable to place, no reason",
			UnableToPlace("web", " "),
			"(service web) was unable to place a task because no container instance met all of its requirements.",
		},
		{"unable to consistently start", UnableToConsistentlyStart("web"), "(service web) is unable to consistently start tasks successfully."},
		{
			"deployment blocked",
			DeploymentBlocked("web"),
			"(service web) was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.",
		},
		{"began draining", BeganDraining("web", 2), "(service web) has begun draining connections on 2 tasks."},
		{"deregistered targets", DeregisteredTargets("web", 2, tg), "(service web) deregistered 2 targets in (target-group " + tg + ")"},
		{"registered targets", RegisteredTargets("web", 1, tg), "(service web) registered 1 targets in (target-group " + tg + ")"},

		{"in progress reason", InProgressReason("ecs-svc/123"), "ECS deployment ecs-svc/123 in progress."},
		{"in progress reason, bare id", InProgressReason("123"), "ECS deployment ecs-svc/123 in progress."},
		{"completed reason", CompletedReason("ecs-svc/123"), "ECS deployment ecs-svc/123 completed."},
		{"failed reason", FailedReason, "ECS deployment circuit breaker: tasks failed to start."},
		{"rollback reason", RollbackReason("ecs-svc/123"), "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/123."},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, tt.got, tt.want)
		}
	}
}
