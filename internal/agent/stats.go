package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
)

// Summary is the part of the kubelet's stats summary (GET /stats/summary, the
// stats/v1alpha1 API) that the endpoint reads.
type Summary struct {
	Pods []PodSummary `json:"pods"`
}

// PodSummary is the stats of one pod.
type PodSummary struct {
	PodRef     PodReference       `json:"podRef"`
	Containers []ContainerSummary `json:"containers,omitempty"`
	Network    *NetworkSummary    `json:"network,omitempty"`
}

// PodReference names a pod of the summary.
type PodReference struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	UID       string `json:"uid"`
}

// ContainerSummary is the stats of one container.
type ContainerSummary struct {
	Name   string         `json:"name"`
	CPU    *CPUSummary    `json:"cpu,omitempty"`
	Memory *MemorySummary `json:"memory,omitempty"`
}

// CPUSummary is a container's cumulative cpu time.
type CPUSummary struct {
	Time                 metav1.Time `json:"time"`
	UsageCoreNanoSeconds *uint64     `json:"usageCoreNanoSeconds,omitempty"`
}

// MemorySummary is a container's memory use.
type MemorySummary struct {
	Time            metav1.Time `json:"time"`
	UsageBytes      *uint64     `json:"usageBytes,omitempty"`
	WorkingSetBytes *uint64     `json:"workingSetBytes,omitempty"`
	RSSBytes        *uint64     `json:"rssBytes,omitempty"`
}

// NetworkSummary is a pod's network traffic: its default interface, and every interface.
type NetworkSummary struct {
	Time metav1.Time `json:"time"`
	InterfaceSummary
	Interfaces []InterfaceSummary `json:"interfaces,omitempty"`
}

// InterfaceSummary is the traffic of one network interface.
type InterfaceSummary struct {
	Name     string  `json:"name"`
	RxBytes  *uint64 `json:"rxBytes,omitempty"`
	RxErrors *uint64 `json:"rxErrors,omitempty"`
	TxBytes  *uint64 `json:"txBytes,omitempty"`
	TxErrors *uint64 `json:"txErrors,omitempty"`
}

// SummaryFetcher reads the kubelet's stats summary of node through the API server's node
// proxy (RBAC: get nodes/proxy).
func SummaryFetcher(rc rest.Interface, node string) func(context.Context) (*Summary, error) {
	return func(ctx context.Context) (*Summary, error) {
		raw, err := rc.Get().AbsPath("/api/v1/nodes", node, "proxy", "stats", "summary").Do(ctx).Raw()
		if err != nil {
			return nil, fmt.Errorf("reading the stats summary of node %s: %w", node, err)
		}
		s := &Summary{}
		if err := json.Unmarshal(raw, s); err != nil {
			return nil, fmt.Errorf("decoding the stats summary of node %s: %w", node, err)
		}
		return s, nil
	}
}

// Samples are the last two distinct samples of each container and pod network, so that
// stats carry a previous reading (precpu_stats, network rates) as Docker's do.
type Samples struct {
	containers map[containerKey]sample[ContainerSummary]
	networks   map[string]sample[NetworkSummary]
}

type containerKey struct{ podUID, name string }

type sample[T any] struct{ cur, prev *T }

// NextSamples adds a summary to the samples (nil for none yet) and returns new samples; prev
// is not changed. A container or network whose reading did not change since the last summary
// keeps its previous reading; one the summary lacks is dropped.
func NextSamples(prev *Samples, sum *Summary) *Samples {
	if prev == nil {
		prev = &Samples{}
	}
	next := &Samples{containers: map[containerKey]sample[ContainerSummary]{}, networks: map[string]sample[NetworkSummary]{}}
	for _, p := range sum.Pods {
		for i := range p.Containers {
			c := &p.Containers[i]
			k := containerKey{p.PodRef.UID, c.Name}
			old := prev.containers[k]
			next.containers[k] = shift(old, c, old.cur != nil && containerTime(old.cur).Equal(containerTime(c)))
		}
		if p.Network != nil {
			old := prev.networks[p.PodRef.UID]
			same := old.cur != nil && old.cur.Time.Equal(&p.Network.Time)
			next.networks[p.PodRef.UID] = shift(old, p.Network, same)
		}
	}
	return next
}

// shift makes cur the new reading; the old current one becomes the previous, unless the new
// reading is the same one again.
func shift[T any](old sample[T], cur *T, same bool) sample[T] {
	if same {
		return sample[T]{cur: cur, prev: old.prev}
	}
	return sample[T]{cur: cur, prev: old.cur}
}

// containerTime is when a container's reading was taken: its cpu reading's time, else its
// memory's.
func containerTime(c *ContainerSummary) time.Time {
	switch {
	case c == nil:
		return time.Time{}
	case c.CPU != nil:
		return c.CPU.Time.Time
	case c.Memory != nil:
		return c.Memory.Time.Time
	}
	return time.Time{}
}

// StatsCache reads the stats summary at most once per MaxAge and keeps the samples.
type StatsCache struct {
	Fetch  func(context.Context) (*Summary, error)
	Clock  clock.PassiveClock
	MaxAge time.Duration

	mu      sync.Mutex
	fetched time.Time
	samples *Samples
}

// Get returns the samples, reading a new summary when the last one is older than MaxAge.
func (c *StatsCache) Get(ctx context.Context) (*Samples, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.samples != nil && c.Clock.Since(c.fetched) < c.MaxAge {
		return c.samples, nil
	}
	sum, err := c.Fetch(ctx)
	if err != nil {
		return nil, err
	}
	c.samples, c.fetched = NextSamples(c.samples, sum), c.Clock.Now()
	return c.samples, nil
}

// DockerStats is a container's stats in the shape of Docker's stats API (GET
// /containers/<id>/stats), which ECS's agent serves and the OpenTelemetry ECS receivers read.
type DockerStats struct {
	Read             time.Time                     `json:"read"`
	PreRead          time.Time                     `json:"preread"`
	Name             string                        `json:"name"`
	ID               string                        `json:"id"`
	CPUStats         DockerCPUStats                `json:"cpu_stats"`
	PreCPUStats      DockerCPUStats                `json:"precpu_stats"`
	MemoryStats      DockerMemoryStats             `json:"memory_stats"`
	Networks         map[string]DockerNetworkStats `json:"networks,omitempty"`
	NetworkRateStats *NetworkRateStats             `json:"network_rate_stats,omitempty"`
}

// DockerCPUStats is cumulative cpu time in nanoseconds. system_cpu_usage counts every cpu of
// the node since the node was registered, so that its delta is elapsed time x online_cpus,
// the denominator Docker's cpu percentage uses. Kubernetes does not split kernel and user
// time: both are 0, present because readers expect them.
type DockerCPUStats struct {
	CPUUsage       DockerCPUUsage `json:"cpu_usage"`
	SystemCPUUsage uint64         `json:"system_cpu_usage"`
	OnlineCPUs     uint64         `json:"online_cpus"`
}

// DockerCPUUsage is a container's cpu time.
type DockerCPUUsage struct {
	TotalUsage        uint64 `json:"total_usage"`
	UsageInKernelmode uint64 `json:"usage_in_kernelmode"`
	UsageInUsermode   uint64 `json:"usage_in_usermode"`
}

// DockerMemoryStats is a container's memory in bytes. stats.cache is usage minus the working
// set, so that usage - cache (what ECS reports as utilized memory) is the working set
// Kubernetes reports.
type DockerMemoryStats struct {
	Usage uint64            `json:"usage"`
	Limit uint64            `json:"limit"`
	Stats map[string]uint64 `json:"stats,omitempty"`
}

// DockerNetworkStats is one interface's traffic. Kubernetes counts no packets and no drops:
// they are 0, present because readers expect them.
type DockerNetworkStats struct {
	RxBytes   uint64 `json:"rx_bytes"`
	RxPackets uint64 `json:"rx_packets"`
	RxErrors  uint64 `json:"rx_errors"`
	RxDropped uint64 `json:"rx_dropped"`
	TxBytes   uint64 `json:"tx_bytes"`
	TxPackets uint64 `json:"tx_packets"`
	TxErrors  uint64 `json:"tx_errors"`
	TxDropped uint64 `json:"tx_dropped"`
}

// NetworkRateStats is the traffic rate since the previous reading, which ECS's agent adds.
type NetworkRateStats struct {
	RxBytesPerSecond float64 `json:"rx_bytes_per_sec"`
	TxBytesPerSecond float64 `json:"tx_bytes_per_sec"`
}

// Stats are the stats of the container the pod calls name; nil when the samples have no
// reading of it (it has not started, or the kubelet has not measured it yet). node supplies
// online_cpus and the memory limit of a container without one.
func (t *Task) Stats(name string, s *Samples, node *corev1.Node) *DockerStats {
	spec := t.containerSpec(name)
	if spec == nil || s == nil {
		return nil
	}
	c := s.containers[containerKey{string(t.pod.UID), name}]
	if c.cur == nil {
		return nil
	}
	cm, _ := t.Container(name)
	d := &DockerStats{Read: containerTime(c.cur).UTC(), Name: "/" + cm.DockerName, ID: cm.DockerID}
	cpus, epoch := nodeCPUs(node)
	d.CPUStats = cpuStats(c.cur, d.Read, cpus, epoch)
	if prev := c.prev; prev != nil && cpuTotal(prev) <= cpuTotal(c.cur) && containerTime(prev).Before(containerTime(c.cur)) {
		d.PreRead = containerTime(prev).UTC()
		d.PreCPUStats = cpuStats(prev, d.PreRead, cpus, epoch)
	}
	d.MemoryStats = memoryStats(c.cur, spec, node)
	if n := s.networks[string(t.pod.UID)]; n.cur != nil {
		d.Networks, d.NetworkRateStats = networkStats(n)
	}
	return d
}

// TaskStats are the stats of every container of the task that has an id, by id (DockerId);
// null for one without a reading.
func (t *Task) TaskStats(s *Samples, node *corev1.Node) map[string]*DockerStats {
	out := map[string]*DockerStats{}
	for _, c := range t.containers() {
		cm, _ := t.Container(c.Name)
		if cm.DockerID != "" {
			out[cm.DockerID] = t.Stats(c.Name, s, node)
		}
	}
	return out
}

// nodeCPUs is the node's cpu count and the instant its system cpu time counts from.
func nodeCPUs(node *corev1.Node) (uint64, time.Time) {
	if node == nil {
		return 0, time.Time{}
	}
	n := uint64(0)
	if q, ok := node.Status.Capacity[corev1.ResourceCPU]; ok && q.Value() > 0 {
		n = uint64(q.Value())
	}
	return n, node.CreationTimestamp.Time
}

func cpuTotal(c *ContainerSummary) uint64 {
	if c.CPU == nil || c.CPU.UsageCoreNanoSeconds == nil {
		return 0
	}
	return *c.CPU.UsageCoreNanoSeconds
}

func cpuStats(c *ContainerSummary, read time.Time, cpus uint64, epoch time.Time) DockerCPUStats {
	s := DockerCPUStats{CPUUsage: DockerCPUUsage{TotalUsage: cpuTotal(c)}, OnlineCPUs: cpus}
	if !epoch.IsZero() && read.After(epoch) {
		s.SystemCPUUsage = uint64(read.Sub(epoch).Nanoseconds()) * cpus
	}
	return s
}

func memoryStats(c *ContainerSummary, spec *corev1.Container, node *corev1.Node) DockerMemoryStats {
	var s DockerMemoryStats
	if q, ok := spec.Resources.Limits[corev1.ResourceMemory]; ok {
		s.Limit = uint64(q.Value())
	} else if node != nil {
		if q, ok := node.Status.Capacity[corev1.ResourceMemory]; ok {
			s.Limit = uint64(q.Value())
		}
	}
	m := c.Memory
	if m == nil || m.UsageBytes == nil {
		return s
	}
	s.Usage = *m.UsageBytes
	s.Stats = map[string]uint64{}
	if ws := m.WorkingSetBytes; ws != nil && *ws <= s.Usage {
		s.Stats["cache"] = s.Usage - *ws
	}
	if m.RSSBytes != nil {
		s.Stats["rss"] = *m.RSSBytes
	}
	return s
}

// networkStats are the pod's interfaces (its default one when the kubelet lists none) and the
// rates since the previous reading (nil without one, or when a counter went backwards).
func networkStats(n sample[NetworkSummary]) (map[string]DockerNetworkStats, *NetworkRateStats) {
	ifaces := n.cur.Interfaces
	if len(ifaces) == 0 && n.cur.Name != "" {
		ifaces = []InterfaceSummary{n.cur.InterfaceSummary}
	}
	out := map[string]DockerNetworkStats{}
	var rx, tx uint64
	for _, i := range ifaces {
		s := DockerNetworkStats{RxBytes: val(i.RxBytes), RxErrors: val(i.RxErrors), TxBytes: val(i.TxBytes), TxErrors: val(i.TxErrors)}
		out[i.Name] = s
		rx, tx = rx+s.RxBytes, tx+s.TxBytes
	}
	if n.prev == nil {
		return out, nil
	}
	var prx, ptx uint64
	prevIfaces := n.prev.Interfaces
	if len(prevIfaces) == 0 && n.prev.Name != "" {
		prevIfaces = []InterfaceSummary{n.prev.InterfaceSummary}
	}
	for _, i := range prevIfaces {
		prx, ptx = prx+val(i.RxBytes), ptx+val(i.TxBytes)
	}
	elapsed := n.cur.Time.Sub(n.prev.Time.Time).Seconds()
	if elapsed <= 0 || prx > rx || ptx > tx {
		return out, nil
	}
	return out, &NetworkRateStats{RxBytesPerSecond: float64(rx-prx) / elapsed, TxBytesPerSecond: float64(tx-ptx) / elapsed}
}

func val(p *uint64) uint64 {
	if p == nil {
		return 0
	}
	return *p
}
