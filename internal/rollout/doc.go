// Package rollout holds the arithmetic and the wording of an ECS service deployment, so
// that the Service controller only wires them to objects:
//
//   - the room of a rolling deployment (Bounds, ServiceBounds) and how it is shared by the
//     Kubernetes Deployments of one service, one per capacity provider (SplitBounds);
//   - how desiredCount is spread over a capacity provider strategy (Split);
//   - the deployment circuit breaker's failure threshold (Threshold) and the service
//     scheduler's back-off after tasks keep failing to start (ThrottleDelay);
//   - deployment ids (NewDeploymentID);
//   - the texts of ECS service events and of Deployment.rolloutStateReason (events.go), and
//     the service's event log (Record).
//
// It is pure: no client, no clock, no environment. Time and randomness come in as
// arguments, so every function is tested with tables.
//
// # Rounding
//
// ECS rounds maximumPercent down and minimumHealthyPercent up. With desiredCount 1,
// minimumHealthyPercent 100 and maximumPercent 150 that leaves no room at all: ECS can
// neither stop an old task nor start a new one and says so with DeploymentBlocked. Bounds
// keeps that outcome rather than rounding in the user's favour.
//
// # Circuit breaker threshold
//
// The documents disagree on the minimum of the default threshold. The ECS API reference
// (ServiceDeploymentCircuitBreaker) says "minimum threshold of 3 and a maximum threshold of
// 200" of 0.5 * desiredCount; the older Developer Guide (deployment-circuit-breaker.md) says
// a minimum of 10. We follow the API reference, the newer of the two and the one AWS
// support articles quote ("a threshold range from 3 to 200"): desiredCount 1 gives 3, not
// 10. A thresholdConfiguration (COUNT, BOUNDED_PERCENT, UNBOUNDED_PERCENT) overrides it.
//
// # Events
//
// Event texts are ECS's, word for word, including its plural-less "has started 1 tasks",
// because users grep for them and tools parse them. The log keeps the newest 100 events
// and does not repeat an unchanged message within 6 hours, as the ECS console does.
package rollout
