package agent

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// podUIDIndex indexes the cached pods by metadata.uid, the key of the endpoint's paths.
const podUIDIndex = "metadata.uid"

// NewNodeCache is a cache of the pods of node, nothing else: the agent watches its own node's
// pods only. Pods are indexed by UID for PodByUID.
func NewNodeCache(ctx context.Context, cfg *rest.Config, scheme *runtime.Scheme, node string) (cache.Cache, error) {
	c, err := cache.New(cfg, cache.Options{
		Scheme:           scheme,
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Pod{}: {Field: fields.OneTermEqualSelector("spec.nodeName", node)},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("creating the cache of node %s's pods: %w", node, err)
	}
	err = c.IndexField(ctx, &corev1.Pod{}, podUIDIndex, func(o client.Object) []string { return []string{string(o.GetUID())} })
	if err != nil {
		return nil, fmt.Errorf("indexing pods by UID: %w", err)
	}
	return c, nil
}

// PodByUID returns a Server.Pod that finds pods in a cache made by NewNodeCache.
func PodByUID(r client.Reader) func(context.Context, string) (*corev1.Pod, error) {
	return func(ctx context.Context, uid string) (*corev1.Pod, error) {
		pods := &corev1.PodList{}
		if err := r.List(ctx, pods, client.MatchingFields{podUIDIndex: uid}); err != nil {
			return nil, fmt.Errorf("listing the pod with UID %s: %w", uid, err)
		}
		if len(pods.Items) == 0 {
			return nil, nil
		}
		return &pods.Items[0], nil
	}
}

// NodeReader reads the agent's node at most once per TTL (its zone and capacity hardly
// change), with get alone: the agent may not list or watch nodes.
type NodeReader struct {
	Reader client.Reader
	Name   string
	Clock  clock.PassiveClock
	TTL    time.Duration

	mu   sync.Mutex
	node *corev1.Node
	read time.Time
}

// Get returns the node, read again when the last reading is older than TTL. When reading
// fails it returns the last reading, if there is one. Callers share the node: never change it.
func (n *NodeReader) Get(ctx context.Context) (*corev1.Node, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.node != nil && n.Clock.Since(n.read) < n.TTL {
		return n.node, nil
	}
	node := &corev1.Node{}
	if err := n.Reader.Get(ctx, client.ObjectKey{Name: n.Name}, node); err != nil {
		if n.node != nil {
			return n.node, nil
		}
		return nil, fmt.Errorf("reading node %s: %w", n.Name, err)
	}
	n.node, n.read = node, n.Clock.Now()
	return node, nil
}
