// Package bench holds kube-ecs's benchmarks. Each measures something against a baseline
// measured in the same run and prints the ratio, so that a slower or faster machine does not
// change what it says. Run them with
//
//	go test ./test/bench/ -run '^$' -bench . -benchtime 2000x
package bench
