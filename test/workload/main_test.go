package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestServerHandler(t *testing.T) {
	t.Setenv("WORKLOAD_TEST_VAR", "42")
	s := &server{common: common{name: "web"}, exit: make(chan int, 1)}
	ts := httptest.NewServer(s.handler())
	defer ts.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/"); code != 200 || !strings.Contains(body, "hello from web") {
		t.Errorf("/ = %d %q", code, body)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz = %d before /unhealthy", code)
	}
	get("/unhealthy")
	if code, _ := get("/healthz"); code != 503 {
		t.Errorf("/healthz = %d after /unhealthy, want 503", code)
	}
	get("/healthy")
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz = %d after /healthy", code)
	}
	_, body := get("/env")
	var env map[string]string
	if err := json.Unmarshal([]byte(body), &env); err != nil || env["WORKLOAD_TEST_VAR"] != "42" {
		t.Errorf("/env = %q (%v)", body, err)
	}
	if code, _ := get("/exit?code=3"); code != 200 {
		t.Errorf("/exit = %d", code)
	}
	select {
	case c := <-s.exit:
		if c != 3 {
			t.Errorf("exit code %d, want 3", c)
		}
	case <-time.After(time.Second):
		t.Error("/exit did not ask to exit")
	}
	if code, _ := get("/exit?code=x"); code != 400 {
		t.Errorf("/exit?code=x = %d, want 400", code)
	}
}

func TestJobAndCheck(t *testing.T) {
	dir := t.TempDir()
	if code := run([]string{"run", "--name", "init", "--record", dir, "--exit-code", "4"}); code != 4 {
		t.Fatalf("run exit code %d, want 4", code)
	}
	for _, f := range []string{"init.started", "init.stopped"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(data))); err != nil {
			t.Errorf("%s holds %q: %v", f, data, err)
		}
	}
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer ok.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) }))
	defer bad.Close()
	if code := run([]string{"check", ok.URL}); code != 0 {
		t.Errorf("check of a 200 = %d", code)
	}
	if code := run([]string{"check", bad.URL}); code != 1 {
		t.Errorf("check of a 503 = %d", code)
	}
	if code := run([]string{"check"}); code != 2 {
		t.Errorf("check without URL = %d", code)
	}
}

// captureStdout runs f and returns what it printed.
func captureStdout(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	defer func() { os.Stdout = stdout }()
	f()
	_ = w.Close()
	out, _ := io.ReadAll(r)
	return string(out)
}

func TestMetadata(t *testing.T) {
	var calls atomic.Int32
	// The agent does not know the pod for the first two requests, as right after it starts.
	agent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v4/uid/web/task" {
			http.NotFound(w, r)
			return
		}
		if calls.Add(1) <= 2 {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`"V4 task metadata handler: no task on this node has the pod UID uid"`))
			return
		}
		_, _ = w.Write([]byte(`{"Cluster":"arn:aws:ecs:us-east-1:000000000000:cluster/default","TaskARN":"arn:aws:ecs:us-east-1:000000000000:task/default/0123","Family":"web","Revision":"3"}`))
	}))
	defer agent.Close()

	t.Setenv("ECS_CONTAINER_METADATA_URI_V4", agent.URL+"/v4/uid/web")
	var code int
	out := captureStdout(t, func() { code = run([]string{"metadata", "--interval", "10ms", "--timeout", "5s"}) })
	if code != 0 || out != "TaskARN=arn:aws:ecs:us-east-1:000000000000:task/default/0123\nFamily=web\n" {
		t.Errorf("metadata = %d, printed %q", code, out)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("%d requests, want 3 (two failures, then the answer)", n)
	}

	t.Setenv("ECS_CONTAINER_METADATA_URI_V4", agent.URL+"/v4/other/web")
	if code := run([]string{"metadata", "--interval", "10ms", "--timeout", "100ms"}); code != 1 {
		t.Errorf("metadata of an endpoint that never answers = %d, want 1", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := taskMetadata(ctx, agent.URL+"/v4/other/web/task", 10*time.Millisecond); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("the error of an endpoint that never answers: %v, want the last 404", err)
	}

	t.Setenv("ECS_CONTAINER_METADATA_URI_V4", "")
	if code := run([]string{"metadata"}); code != 1 {
		t.Errorf("metadata without ECS_CONTAINER_METADATA_URI_V4 = %d, want 1", code)
	}
	if code := run([]string{"metadata", "extra"}); code != 2 {
		t.Errorf("metadata with an argument = %d, want 2", code)
	}
}
