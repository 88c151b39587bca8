// Package controllers holds one package per kind (cluster, taskdefinition, task, service,
// containerinstance, apprunnerservice), each with its reconciler, phases, pure status
// computation and pure resource builders. See ARCHITECTURE.md.
package controllers
