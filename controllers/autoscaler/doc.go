// Package autoscaler scales App Runner services on concurrent requests: it owns the replicas
// of every AppRunnerService's Deployment <name>, the only writer of them (through the scale
// subresource, field manager kube-ecs-autoscaler; the controller sets them only when it
// creates the Deployment).
//
// It is not a reconciler but a loop (a leader-elected manager.Runnable): every Interval it
// polls the Stats (internal/apprunner) of every activator pod, found through the
// EndpointSlices of the activator's Kubernetes Service, sums each service's requests in
// flight, records the sum in the service's apprunner.Scaler and writes the replicas the
// Scaler decides when they differ from the Deployment's, with a Scaled event on the
// AppRunnerService. The windows, the panic mode and scaling to zero are apprunner.Scaler's.
//
// When no activator answers nothing is recorded and no service scales down; when some do,
// the others are logged (at V(1)) and their requests are missing from the sums. Services
// with a code repository (which kube-ecs does not build) and Deployments that are missing or
// not controlled by their AppRunnerService are left alone. The Scalers live in memory: after
// a restart (or a leader change) they wait a stable window before scaling anything down.
package autoscaler
