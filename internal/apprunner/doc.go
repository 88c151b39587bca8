// Package apprunner is the logic of App Runner services with no client: names and hosts
// shared by the controller, the autoscaler and the activator, the activator's statistics
// format, the autoscaler's decisions, and the Kubernetes objects a service becomes.
//
// How the pieces fit:
//
//   - The controller (controllers/apprunner) turns an AppRunnerService <name> into a
//     Deployment <name> (its pods labelled ServiceLabel=<name>, on the FARGATE capacity pool),
//     a Kubernetes Service <name> and, when public, an Ingress; it reports status, and keeps
//     the CA Secret the activator signs service certificates with.
//   - The activator (cmd/activator) is always on the request path: it routes
//     Host(name, namespace, domain) to the ready endpoints of the Service <name> (its
//     EndpointSlices), terminates TLS with a certificate per host signed by the CA, holds
//     requests in a bounded queue while no instance is ready, answers 503 for a paused
//     service, and serves its per-service in-flight counts as Stats on StatsPath.
//   - The autoscaler (in the manager) polls every activator's Stats, decides the instances
//     of each service (Decide) and sets the Deployment's replicas through its scale
//     subresource: it is the only writer of replicas.
package apprunner
