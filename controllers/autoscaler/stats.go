package autoscaler

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/kube-ecs/kube-ecs/internal/apprunner"
)

// maxStatsBytes bounds the body of one activator's Stats.
const maxStatsBytes = 8 << 20

// activatorAddresses are the IPs of the activator pods among slices: every endpoint that is
// ready or serving and not terminating, once per pod (a dual-stack pod is in an IPv4 and an
// IPv6 slice: the first address seen wins).
func activatorAddresses(slices []discoveryv1.EndpointSlice) []string {
	seen := map[string]bool{}
	var addrs []string
	for _, s := range slices {
		if s.AddressType == discoveryv1.AddressTypeFQDN {
			continue
		}
		for _, ep := range s.Endpoints {
			c := ep.Conditions
			ready := c.Ready == nil || *c.Ready
			serving := (c.Serving == nil && ready) || (c.Serving != nil && *c.Serving)
			if (c.Terminating != nil && *c.Terminating) || !(ready || serving) || len(ep.Addresses) == 0 {
				continue
			}
			key := "ip/" + ep.Addresses[0]
			if r := ep.TargetRef; r != nil && r.Name != "" {
				key = "pod/" + r.Namespace + "/" + r.Name
			}
			if seen[key] {
				continue
			}
			seen[key] = true
			addrs = append(addrs, ep.Addresses[0])
		}
	}
	return addrs
}

// getActivatorAddresses lists the activator Service's EndpointSlices.
func (a *Autoscaler) getActivatorAddresses(ctx context.Context) ([]string, error) {
	slices := &discoveryv1.EndpointSliceList{}
	if err := a.Client.List(ctx, slices, client.InNamespace(a.ActivatorService.Namespace),
		client.MatchingLabels{discoveryv1.LabelServiceName: a.ActivatorService.Name}); err != nil {
		return nil, fmt.Errorf("listing the endpoint slices of the activator service %s: %w", a.ActivatorService, err)
	}
	return activatorAddresses(slices.Items), nil
}

// concurrency is the requests in flight per service, summed over the activators.
type concurrency map[types.NamespacedName]float64

// collect polls every activator's Stats at once. ok is false when none answered (or none
// exists): then nothing is known.
func (a *Autoscaler) collect(ctx context.Context) (sums concurrency, ok bool) {
	logger := log.FromContext(ctx)
	addrs, err := a.getActivatorAddresses(ctx)
	if err != nil {
		logger.Error(err, "Cannot find the activators")
		return nil, false
	}
	if len(addrs) == 0 {
		logger.V(1).Info("No activator endpoint", "service", a.ActivatorService)
		return nil, false
	}
	ctx, cancel := context.WithTimeout(ctx, a.statsTimeout())
	defer cancel()
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		answered int
	)
	sums = concurrency{}
	for _, addr := range addrs {
		wg.Go(func() {
			stats, err := a.getStats(ctx, addr)
			if err != nil {
				logger.V(1).Info("Cannot read an activator's stats", "address", addr, "error", err.Error())
				return
			}
			mu.Lock()
			defer mu.Unlock()
			answered++
			for _, s := range stats.Services {
				sums[types.NamespacedName{Namespace: s.Namespace, Name: s.Name}] += float64(max(s.InFlight, 0))
			}
		})
	}
	wg.Wait()
	return sums, answered > 0
}

// getStats reads one activator's Stats.
func (a *Autoscaler) getStats(ctx context.Context, ip string) (*apprunner.Stats, error) {
	url := "http://" + net.JoinHostPort(ip, strconv.Itoa(a.statsPort())) + apprunner.StatsPath
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := a.httpClient().Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	stats := &apprunner.Stats{}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxStatsBytes)).Decode(stats); err != nil {
		return nil, fmt.Errorf("decoding the stats of %s: %w", url, err)
	}
	return stats, nil
}
