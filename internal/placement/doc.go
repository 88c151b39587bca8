// Package placement is the ECS scheduler's decision for one task on the EC2 launch type:
// which container instance gets it (Place), what that instance has left afterwards
// (Reserve), and ECS's wording when no instance fits (Decision.Message).
//
// It is pure: no client, no clock, no environment. Randomness comes in as a *rand.Rand,
// so every decision is reproducible in tests.
//
// # Process
//
// As ECS documents it (task-placement.md), the instances are filtered, then ordered by
// the strategy chain:
//
//  1. AGENT: the agent is connected; INACTIVE: the instance is ACTIVE and its node
//     schedulable. ECS has no failure reason for draining instances, it simply does not
//     consider them; we report "INACTIVE" so that a user sees why a cordoned or DRAINING
//     instance was skipped. An instance that is both disconnected and inactive reports
//     AGENT.
//  2. RESOURCE:CPU and 3. RESOURCE:MEMORY: the task's reservation fits what remains.
//  4. RESOURCE:PORTS, then RESOURCE:PORTS_UDP: none of the task's host ports is taken, TCP
//     and UDP counted separately (TCP 53 and UDP 53 do not conflict). Host port 0 asks for
//     a dynamic port and never conflicts.
//  5. Constraints, in the order given: DistinctInstance (no task of the same group on the
//     instance) and MemberOf (the cluster query expression holds).
//
// Each rejected instance gets one Failure, for the first stage it failed.
//
// # Strategies
//
// Strategies are best effort and applied in order, each keeping its best candidates (the
// ties) for the next:
//
//   - binpack cpu|memory keeps the instances with the least of that resource remaining,
//     that is the fullest instances that still fit.
//   - spread instanceId (or host) keeps the instances with the fewest tasks of the task's
//     group; spread attribute:<name> keeps the instances whose attribute value has the
//     fewest tasks of the group, counted over every instance with that value, including
//     instances that were filtered out: a full availability zone still counts its tasks,
//     which is how ECS keeps zones balanced. Instances without the attribute form one
//     group of their own, the value "".
//   - random picks one candidate with the given *rand.Rand.
//
// When several candidates remain after the chain (or the chain is empty) the first by
// name wins, so that decisions without random are deterministic. Unknown strategy types
// and fields, which admission rejects, are skipped.
package placement
