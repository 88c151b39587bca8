// Package activator is the App Runner front door (cmd/activator): it keeps a route table
// from AppRunnerServices and the EndpointSlices of their Kubernetes Services, proxies each
// request for <name>.<namespace>.<domain> to the ready instance with the fewest requests in
// flight, holds requests in a bounded queue while a service has no ready instance (scale
// from zero), answers 503 for paused services, terminates TLS with a certificate per host
// minted from the CA Secret the manager keeps, and counts each service's requests in the
// apprunner.Stats the autoscaler polls. It never writes to the API server.
//
// The pieces:
//   - routes.go: the pure function from objects to the route table (BuildTable).
//   - router.go: the live table, per-service counters, the queue and least-request choice.
//   - handler.go: the HTTP handler (proxy, retry on a dead instance, error answers).
//   - certs.go: the CA and the per-host certificates (tls.Config.GetCertificate).
//   - servers.go: the HTTP (with h2c), HTTPS and health servers.
//   - watch.go: the informers that feed the router and the CA.
package activator
