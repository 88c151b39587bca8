package main

import (
	"net/http"
	"net/http/httptest"
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
