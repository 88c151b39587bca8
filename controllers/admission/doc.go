// Package admission is kube-ecs's validating webhook: the checks the API server cannot make
// with OpenAPI and CEL.
//   - The cluster query language of memberOf placement constraints, parsed by
//     internal/placement/cql, so that `kubectl apply` of a Task, Service or TaskDefinition
//     with an invalid expression fails with the parser's message.
//   - Fargate's rules for a Task or Service that runs on FARGATE, which depend on other
//     objects: its task definition's revision (taskdef.CheckFargate, in RunTask's words) and
//     its cluster's defaultCapacityProviderStrategy (no placement constraints, no DAEMON).
//
// Objects that do not exist yet are no error: apply order must not matter, and the
// controllers report a task definition that never comes. An update is checked only for the
// fields it changes, so that stopping, scaling, deleting or finalizing an object admitted
// earlier is never refused.
package admission
