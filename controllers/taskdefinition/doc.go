// Package taskdefinition reconciles TaskDefinition families into immutable, numbered
// revisions (apps/v1 ControllerRevisions owned by the family, as StatefulSets keep theirs),
// and resolves the references tasks and services make to them ("family", "family:N", ARNs).
//
// Registration follows ECS: the first revision of a family is 1 (or the revision number of
// the describe-task-definition output that was pasted, so that references such as web:7
// keep working after a migration); each later change of the spec registers the next number;
// re-applying the spec of the latest revision registers nothing. A revision listed in
// spec.deregisteredRevisions becomes INACTIVE for good, as DeregisterTaskDefinition makes it.
package taskdefinition
