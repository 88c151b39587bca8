package rollout

import (
	"fmt"
	"strings"
)

// The texts of ECS service events, word for word (ECS Developer Guide,
// service-event-messages.md). Every message starts with the service in parentheses.
// Deployment ids may be given with or without their ecs-svc/ prefix.

// SteadyState is the event of a service whose tasks all run and are healthy.
func SteadyState(svc string) string {
	return service(svc) + " has reached a steady state."
}

// StartedTasks is the event of the scheduler starting tasks. ECS writes "tasks" for any
// number, "has started 1 tasks", and so do we.
func StartedTasks(svc string, taskIDs []string) string {
	return fmt.Sprintf("%s has started %d tasks%s", service(svc), len(taskIDs), taskList(taskIDs))
}

// StoppedTasks is the event of the scheduler stopping running tasks.
func StoppedTasks(svc string, taskIDs []string) string {
	return fmt.Sprintf("%s has stopped %d running tasks%s", service(svc), len(taskIDs), taskList(taskIDs))
}

// DeploymentCompleted is the event of a deployment reaching COMPLETED.
func DeploymentCompleted(svc, deploymentID string) string {
	return fmt.Sprintf("%s (deployment %s) deployment completed.", service(svc), deploymentIDOf(deploymentID))
}

// DeploymentFailed is the event of the circuit breaker failing a deployment.
func DeploymentFailed(svc, deploymentID string) string {
	return fmt.Sprintf("%s (deployment %s) deployment failed: tasks failed to start.", service(svc), deploymentIDOf(deploymentID))
}

// RolledBack is the event of the circuit breaker rolling back to the last COMPLETED
// deployment toID. The failed deployment fromID has had its own DeploymentFailed event;
// ECS names only the target here.
func RolledBack(svc, fromID, toID string) string {
	return fmt.Sprintf("%s rolling back to (deployment %s).", service(svc), deploymentIDOf(toID))
}

// UnableToPlace is the event of a task that no container instance can take. reason is
// ECS's sentence after "Reason: "; a final period is added when it has none.
func UnableToPlace(svc, reason string) string {
	msg := service(svc) + " was unable to place a task because no container instance met all of its requirements."
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return msg
	}
	if !strings.HasSuffix(reason, ".") {
		reason += "."
	}
	return msg + " Reason: " + reason
}

// UnableToConsistentlyStart is the event of the service throttle slowing down task starts.
func UnableToConsistentlyStart(svc string) string {
	return service(svc) + " is unable to consistently start tasks successfully."
}

// DeploymentBlocked is the event of a deployment whose minimumHealthyPercent and
// maximumPercent leave no room to stop or start a task (Bounds.Blocked).
func DeploymentBlocked(svc string) string {
	return service(svc) + " was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again."
}

// BeganDraining is the event of n tasks leaving their load balancer before they stop.
func BeganDraining(svc string, n int) string {
	return fmt.Sprintf("%s has begun draining connections on %d tasks.", service(svc), n)
}

// DeregisteredTargets is the event of n targets leaving target group target. ECS ends it
// without a period.
func DeregisteredTargets(svc string, n int, target string) string {
	return fmt.Sprintf("%s deregistered %d targets in (target-group %s)", service(svc), n, target)
}

// RegisteredTargets is the event of n targets joining target group target. ECS ends it
// without a period.
func RegisteredTargets(svc string, n int, target string) string {
	return fmt.Sprintf("%s registered %d targets in (target-group %s)", service(svc), n, target)
}

// FailedReason is Deployment.rolloutStateReason of a deployment the circuit breaker failed.
const FailedReason = "ECS deployment circuit breaker: tasks failed to start."

// InProgressReason is Deployment.rolloutStateReason of deployment id while it rolls out.
func InProgressReason(id string) string {
	return fmt.Sprintf("ECS deployment %s in progress.", deploymentIDOf(id))
}

// CompletedReason is Deployment.rolloutStateReason of deployment id once it is COMPLETED.
func CompletedReason(id string) string {
	return fmt.Sprintf("ECS deployment %s completed.", deploymentIDOf(id))
}

// RollbackReason is Deployment.rolloutStateReason of deployment toID when the circuit
// breaker rolls back to it.
func RollbackReason(toID string) string {
	return fmt.Sprintf("ECS deployment circuit breaker: rolling back to deploymentId %s.", deploymentIDOf(toID))
}

func service(svc string) string {
	return "(service " + svc + ")"
}

// taskList is ": (task a) (task b)." or, with no tasks, ".".
func taskList(taskIDs []string) string {
	if len(taskIDs) == 0 {
		return "."
	}
	var b strings.Builder
	b.WriteString(":")
	for _, id := range taskIDs {
		b.WriteString(" (task ")
		b.WriteString(id)
		b.WriteString(")")
	}
	b.WriteString(".")
	return b.String()
}
