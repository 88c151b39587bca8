// Package kwokharness brings up a kwok cluster for the tests and benchmarks that need a real
// control plane at scale without real nodes: kwokctl's binary runtime (a real etcd,
// kube-apiserver, kube-controller-manager and kube-scheduler, with kwok playing the kubelet
// of simulated nodes), the tools built from source by hack/tools.sh, the kube-ecs CRDs and
// admission policies installed as a user would, and the manager run as a process with its
// log and PID file. Everything it starts it stops by PID: on Teardown, and on SIGINT, SIGTERM
// or SIGHUP once StopOnSignals was called. test/kwok and test/bench/cmd/kwokbench use it.
package kwokharness
