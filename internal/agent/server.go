package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/clock"

	"github.com/kube-ecs/kube-ecs/internal/arn"
)

// The prefixes of error messages, ECS's agent's.
const (
	containerMetadataHandler = "V4 container metadata handler"
	taskMetadataHandler      = "V4 task metadata handler"
	containerStatsHandler    = "V4 container stats handler"
	taskStatsHandler         = "V4 task stats handler"
)

// Server serves the task metadata endpoint v4 to the tasks of one node.
type Server struct {
	// Pod returns the pod of the node with this UID, nil when there is none.
	Pod func(ctx context.Context, uid string) (*corev1.Pod, error)
	// Node returns the agent's node, nil when it is not known.
	Node func(ctx context.Context) (*corev1.Node, error)
	// Stats returns the latest stats samples of the node's containers.
	Stats func(ctx context.Context) (*Samples, error)
	// Scope is the region and account of the ARNs.
	Scope arn.Scope
	Clock clock.PassiveClock
	Log   logr.Logger
}

// Handler routes the endpoint's four documents; anything else is a 404.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v4/{pod}/{container}", s.serveContainer)
	mux.HandleFunc("GET /v4/{pod}/{container}/task", s.serveTask)
	mux.HandleFunc("GET /v4/{pod}/{container}/stats", s.serveContainerStats)
	mux.HandleFunc("GET /v4/{pod}/{container}/task/stats", s.serveTaskStats)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, "no task metadata at "+r.URL.Path+": use /v4/<pod UID>/<container>[/task][/stats]")
	})
	return mux
}

func (s *Server) serveContainer(w http.ResponseWriter, r *http.Request) {
	if t, _, ok := s.lookup(w, r, containerMetadataHandler); ok {
		m, _ := t.Container(r.PathValue("container"))
		writeJSON(w, http.StatusOK, m)
	}
}

func (s *Server) serveTask(w http.ResponseWriter, r *http.Request) {
	if t, _, ok := s.lookup(w, r, taskMetadataHandler); ok {
		writeJSON(w, http.StatusOK, t.Metadata())
	}
}

func (s *Server) serveContainerStats(w http.ResponseWriter, r *http.Request) {
	t, node, ok := s.lookup(w, r, containerStatsHandler)
	if !ok {
		return
	}
	samples, ok := s.samples(w, r, containerStatsHandler)
	if !ok {
		return
	}
	name := r.PathValue("container")
	st := t.Stats(name, samples, node)
	if st == nil {
		writeJSON(w, http.StatusNotFound, fmt.Sprintf("%s: no stats for container %s of task %s yet", containerStatsHandler, name, t.ARN()))
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) serveTaskStats(w http.ResponseWriter, r *http.Request) {
	t, node, ok := s.lookup(w, r, taskStatsHandler)
	if !ok {
		return
	}
	if samples, ok := s.samples(w, r, taskStatsHandler); ok {
		writeJSON(w, http.StatusOK, t.TaskStats(samples, node))
	}
}

// lookup finds the task and checks the container of the request's path; it answers the
// request itself when it cannot.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request, handler string) (*Task, *corev1.Node, bool) {
	ctx := r.Context()
	uid, name := r.PathValue("pod"), r.PathValue("container")
	pod, err := s.Pod(ctx, uid)
	if err != nil {
		s.Log.Error(err, "Reading a pod for the task metadata endpoint", "uid", uid)
		writeJSON(w, http.StatusInternalServerError, handler+": unable to read the task's pod")
		return nil, nil, false
	}
	if pod == nil {
		writeJSON(w, http.StatusNotFound, fmt.Sprintf("%s: no task on this node has the pod UID %s", handler, uid))
		return nil, nil, false
	}
	node, err := s.Node(ctx)
	if err != nil {
		// The zone and the node's capacity are missing, the rest is right: answer anyway.
		s.Log.Error(err, "Reading the node for the task metadata endpoint")
		node = nil
	}
	t, err := NewTask(pod, node, s.Scope, s.Clock.Now())
	if err != nil {
		writeJSON(w, http.StatusNotFound, fmt.Sprintf("%s: pod %s/%s: %v", handler, pod.Namespace, pod.Name, err))
		return nil, nil, false
	}
	if t.containerSpec(name) == nil {
		writeJSON(w, http.StatusNotFound, fmt.Sprintf("%s: task %s has no container %s", handler, t.ARN(), name))
		return nil, nil, false
	}
	return t, node, true
}

func (s *Server) samples(w http.ResponseWriter, r *http.Request, handler string) (*Samples, bool) {
	samples, err := s.Stats(r.Context())
	if err != nil {
		s.Log.Error(err, "Reading the node's stats for the task metadata endpoint")
		writeJSON(w, http.StatusInternalServerError, handler+": unable to read the node's stats")
		return nil, false
	}
	return samples, true
}

// writeJSON answers v as JSON; errors are JSON strings, as ECS's agent answers them.
func writeJSON(w http.ResponseWriter, code int, v any) {
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		code = http.StatusInternalServerError
		body.Reset()
		body.WriteString(`"unable to encode the response"`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(body.Bytes())
}
