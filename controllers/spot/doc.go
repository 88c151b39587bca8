// Package spot interrupts FARGATE_SPOT capacity as AWS reclaims Fargate Spot capacity.
//
// The platform team (or a test) annotates a node of the FARGATE_SPOT capacity pool with
// ecs.kube-ecs.io/spot-interruption (any value):
//
//	kubectl annotate node <node> ecs.kube-ecs.io/spot-interruption=now
//
// The controller then runs ECS's two-minute warning (--spot-interruption-warning):
//
//  1. The node is tainted ecs.kube-ecs.io/spot-interruption:NoSchedule and annotated
//     ecs.kube-ecs.io/spot-reclaim-at with the end of the warning.
//  2. Every FARGATE_SPOT task on the node gets the interruption notice: a DisruptionTarget
//     condition with reason SpotInterruption on its pod. The task's controller (tasks and
//     services alike, through internal/lifecycle) records stopCode SpotInterruption and
//     stoppedReason "Your Spot Task was interrupted." and deletes the pod with its grace
//     period, the task's stopTimeout: the containers get SIGTERM, then SIGKILL. Services
//     start replacement tasks at once; they stay PROVISIONING until Spot capacity is back.
//  3. When the warning ends the capacity is reclaimed: pods of interrupted tasks still on the
//     node are deleted at once, and the node, standing for the new Spot capacity that AWS
//     would provide, loses the taint and both annotations, so the replacements can run.
//
// Removing the annotation during the warning ends the interruption early (the tasks already
// notified still stop). An annotated node outside the FARGATE_SPOT pool is left alone, with a
// warning event.
package spot
