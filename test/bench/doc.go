// Package bench holds kube-ecs's benchmarks. Each measures something against a baseline
// measured in the same run and prints the ratio, so that a slower or faster machine does not
// change what it says. The in-process ones run with
//
//	go test ./test/bench/ -run '^$' -bench . -benchtime 2000x
//
// and cmd/kwokbench measures the controllers and the ECS scheduler at scale on a kwok
// cluster (service launch, standalone task throughput, placement) against a Deployment, bare
// Pods and kube-scheduler; make bench runs both, make bench-quick the kwok one small.
package bench
