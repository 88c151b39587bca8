// Package apprunner is the App Runner service controller: it runs an AppRunnerService as a
// Deployment on the FARGATE capacity pool, a Kubernetes Service the activator routes to, an
// Ingress when the service is public and a ServiceAccount for its instance role (the pure
// builders are internal/apprunner's), and reports App Runner's status and operations
// (CREATE_SERVICE, UPDATE_SERVICE, START_DEPLOYMENT, PAUSE_SERVICE, RESUME_SERVICE). It never
// writes replicas after creating a Deployment: the autoscaler owns them.
//
// It also keeps the App Runner CA Secret (CAKeeper), the issuer of the certificates the
// activator serves for each service's host.
package apprunner
