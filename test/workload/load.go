package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// load GETs URL from --concurrency workers, each pausing --interval between requests, for
// --duration or until --requests requests were sent, and prints
// "requests=N failures=F p50=D p99=D max=D". With --rate R it sends R requests a second
// instead, open loop (openLoop), with up to --concurrency in flight, and appends " late=L":
// the requests that waited for one in flight to end. --host sets the Host header (and the TLS
// server name), --cacert trusts a CA for https. It exits 1 when a request failed or none was
// sent.
func load(args []string) int {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	duration := fs.Duration("duration", 30*time.Second, "How long to send requests.")
	interval := fs.Duration("interval", 20*time.Millisecond, "Pause between one worker's requests.")
	concurrency := fs.Int("concurrency", 1, "Workers sending requests at once.")
	limit := fs.Int64("requests", 0, "Stop after this many requests (0: when --duration ends).")
	host := fs.String("host", "", "Host header (and TLS server name) of the requests.")
	caFile := fs.String("cacert", "", "PEM file of a CA to trust for https.")
	timeout := fs.Duration("timeout", 5*time.Second, "Timeout of one request.")
	rate := fs.Float64("rate", 0, "Requests a second, sent on a fixed schedule whatever their latency (0: --concurrency workers with --interval).")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 || *concurrency < 1 || *rate < 0 {
		fmt.Fprintln(os.Stderr, "usage: workload load [--duration D] [--interval I | --rate R] [--concurrency N] [--requests N] [--host H] [--cacert FILE] [--timeout D] URL")
		return 2
	}
	url := fs.Arg(0)
	tr := &http.Transport{DisableKeepAlives: true, TLSClientConfig: &tls.Config{ServerName: *host}}
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			fmt.Fprintf(os.Stderr, "%s holds no PEM certificate\n", *caFile)
			return 2
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	client := &http.Client{Timeout: *timeout, Transport: tr}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *duration)
	defer cancel()

	var (
		sent, failures atomic.Int64
		mu             sync.Mutex
		latencies      []time.Duration
		wg             sync.WaitGroup
	)
	send := func() {
		start := time.Now()
		if err := get(client, url, *host); err != nil {
			failures.Add(1)
			fmt.Printf("failure: %v\n", err)
		}
		mu.Lock()
		latencies = append(latencies, time.Since(start))
		mu.Unlock()
	}
	var late int64
	if *rate > 0 {
		late = openLoop(ctx, *rate, *concurrency, *limit, send)
	} else {
		for range *concurrency {
			wg.Go(func() {
				for ctx.Err() == nil {
					if n := sent.Add(1); *limit > 0 && n > *limit {
						return
					}
					send()
					select {
					case <-ctx.Done():
					case <-time.After(*interval):
					}
				}
			})
		}
		wg.Wait()
	}
	slices.Sort(latencies)
	fmt.Printf("requests=%d failures=%d p50=%s p99=%s max=%s", len(latencies), failures.Load(),
		percentile(latencies, 0.50), percentile(latencies, 0.99), percentile(latencies, 1))
	if *rate > 0 {
		fmt.Printf(" late=%d", late)
	}
	fmt.Println()
	if failures.Load() > 0 || len(latencies) == 0 {
		return 1
	}
	return 0
}

func get(client *http.Client, url, host string) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if host != "" {
		req.Host = host
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s", resp.Status)
	}
	return nil
}

// openLoop calls send, each call in a goroutine of its own, at the times due(start, rate, i)
// for i = 0, 1, ... until ctx ends (no call falls due at or after its deadline) or limit calls
// were made (0: no limit), with at most concurrency calls running, and returns when the calls
// made have ended. A call that falls
// due while concurrency calls run waits for one of them to end and counts as late; the calls
// after it keep their times, so a slow call neither slows the rate nor delays the others
// (an open loop, unlike workers that wait for their last answer).
func openLoop(ctx context.Context, rate float64, concurrency int, limit int64, send func()) (late int64) {
	var wg sync.WaitGroup
	defer wg.Wait()
	running := make(chan struct{}, concurrency)
	timer := time.NewTimer(0)
	defer timer.Stop()
	start := time.Now()
	deadline, hasDeadline := ctx.Deadline()
	for i := int64(0); limit == 0 || i < limit; i++ {
		at := due(start, rate, i)
		if hasDeadline && !at.Before(deadline) {
			return late
		}
		timer.Reset(time.Until(at))
		select {
		case <-ctx.Done():
			return late
		case <-timer.C:
		}
		select {
		case running <- struct{}{}:
		default:
			late++
			select {
			case <-ctx.Done():
				return late
			case running <- struct{}{}:
			}
		}
		wg.Go(func() {
			defer func() { <-running }()
			send()
		})
	}
	return late
}

// due is when the i-th request (from 0) of an open loop at rate requests a second is sent.
func due(start time.Time, rate float64, i int64) time.Time {
	return start.Add(time.Duration(float64(i) * float64(time.Second) / rate))
}

// percentile of sorted durations (q in [0,1]), rounded to the microsecond (latencies within
// a cluster are often under a millisecond).
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i].Round(time.Microsecond)
}
