package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLoad(t *testing.T) {
	var requests, wrongHost atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.Host != "web.team.apps.example.com" {
			wrongHost.Add(1)
		}
		if r.URL.Path == "/fail" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	if code := load([]string{"--concurrency", "5", "--requests", "20", "--interval", "0", "--host", "web.team.apps.example.com", srv.URL}); code != 0 {
		t.Fatalf("load exited %d", code)
	}
	if n := requests.Load(); n != 20 {
		t.Errorf("%d requests, want 20", n)
	}
	if n := wrongHost.Load(); n != 0 {
		t.Errorf("%d requests without the Host header", n)
	}
	if code := load([]string{"--requests", "2", "--interval", "0", srv.URL + "/fail"}); code != 1 {
		t.Errorf("load of a failing URL exited %d, want 1", code)
	}
	requests.Store(0)
	if code := load([]string{"--rate", "1000", "--concurrency", "5", "--requests", "20", "--host", "web.team.apps.example.com", srv.URL}); code != 0 {
		t.Fatalf("load --rate exited %d", code)
	}
	if n := requests.Load(); n != 20 {
		t.Errorf("%d requests at a rate, want 20", n)
	}
}

func TestDue(t *testing.T) {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		rate float64
		i    int64
		want time.Duration
	}{
		{rate: 50, i: 0, want: 0},
		{rate: 50, i: 1, want: 20 * time.Millisecond},
		{rate: 50, i: 50, want: time.Second},
		{rate: 3, i: 1, want: 333333333},
		{rate: 0.5, i: 3, want: 6 * time.Second},
	} {
		if got := due(start, tc.rate, tc.i).Sub(start); got != tc.want {
			t.Errorf("due(rate %v, %d) = start+%s, want start+%s", tc.rate, tc.i, got, tc.want)
		}
	}
}

// TestOpenLoop: calls are started on their schedule while earlier ones are still running
// (an open loop), never before they are due.
func TestOpenLoop(t *testing.T) {
	const n = 10
	var (
		mu      sync.Mutex
		started []time.Time
	)
	release := make(chan struct{})
	var late int64
	done := make(chan struct{})
	begin := time.Now()
	go func() {
		defer close(done)
		late = openLoop(context.Background(), 200, n, n, func() {
			mu.Lock()
			started = append(started, time.Now())
			mu.Unlock()
			<-release
		})
	}()
	// No call ends before all n have started: none waits for another's answer.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		mu.Lock()
		k := len(started)
		mu.Unlock()
		if k == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d calls started while the first ones were still running", k, n)
		}
	}
	close(release)
	<-done
	if late != 0 {
		t.Errorf("late = %d with room for every call, want 0", late)
	}
	// The i-th call to start was due at begin + i*5ms or later (openLoop's own start is later
	// than begin).
	for i, at := range started {
		if want := due(begin, 200, int64(i)); at.Before(want) {
			t.Errorf("call %d started at begin+%s, before it was due (begin+%s)", i, at.Sub(begin), want.Sub(begin))
		}
	}
}

// TestOpenLoopConcurrency: no more than concurrency calls run at once, and a call that falls
// due while they run counts as late.
func TestOpenLoopConcurrency(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	var running, most atomic.Int64
	// Every call is due at once and lasts until ctx ends, so the third is late.
	late := openLoop(ctx, 1e6, 2, 0, func() {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-ctx.Done()
		running.Add(-1)
	})
	if m := most.Load(); m != 2 {
		t.Errorf("at most %d calls ran at once, want 2", m)
	}
	if late < 1 {
		t.Errorf("late = %d, want at least 1", late)
	}
}

// TestOpenLoopDeadline: rate x duration calls at most, none due once the deadline has passed.
func TestOpenLoopDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var calls atomic.Int64
	openLoop(ctx, 100, 10, 0, func() { calls.Add(1) })
	if n := calls.Load(); n < 1 || n > 10 {
		t.Errorf("%d calls at 100/s for 100ms, want 1 to 10", n)
	}
}

func TestPercentile(t *testing.T) {
	ds := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for i := range ds {
		ds[i] *= time.Millisecond
	}
	for q, want := range map[float64]time.Duration{0.5: 5 * time.Millisecond, 0.99: 10 * time.Millisecond, 1: 10 * time.Millisecond} {
		if got := percentile(ds, q); got != want {
			t.Errorf("percentile(%v) = %s, want %s", q, got, want)
		}
	}
	if percentile(nil, 0.5) != 0 {
		t.Error("percentile of nothing is not 0")
	}
}
