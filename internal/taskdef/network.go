package taskdef

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// Kubernetes' limits on a pod's DNS configuration.
const (
	maxNameservers = 3
	maxSearches    = 32
)

// loopback is where links point: the containers of a pod share one network namespace.
const loopback = "127.0.0.1"

// setPodNetwork sets the pod-level network settings: host networking, DNS, /etc/hosts and
// the hostname, which ECS sets per container and Kubernetes per pod (so they are merged).
func (b *builder) setPodNetwork(spec *corev1.PodSpec) {
	switch b.mode {
	case ecsv1alpha1.NetworkModeHost:
		spec.HostNetwork = true
	case ecsv1alpha1.NetworkModeNone:
		b.note("networkMode", "none: a pod always has a network interface and an IP on Kubernetes; the task's containers are not isolated from the network")
	}
	b.setDNS(spec)
	spec.HostAliases = b.hostAliases()
	spec.Hostname = b.hostname()
}

// setDNS merges the containers' dnsServers and dnsSearchDomains into the pod's DNS config.
// With servers, the pod uses exactly them (dnsPolicy None) as the containers would on ECS;
// search domains alone are added to the cluster's.
func (b *builder) setDNS(spec *corev1.PodSpec) {
	var servers, searches []string
	for i, d := range b.defs {
		for j, s := range d.DNSServers {
			path := cpath(i, fmt.Sprintf("dnsServers[%d]", j))
			switch _, err := netip.ParseAddr(s); {
			case err != nil:
				b.note(path, "%q is not an IP address; ignored", s)
			case slices.Contains(servers, s):
			case len(servers) == maxNameservers:
				b.note(path, "a pod can have at most %d DNS servers; %s ignored", maxNameservers, s)
			default:
				servers = append(servers, s)
			}
		}
		for j, s := range d.DNSSearchDomains {
			path := cpath(i, fmt.Sprintf("dnsSearchDomains[%d]", j))
			switch {
			case len(validation.IsDNS1123Subdomain(strings.TrimSuffix(strings.ToLower(s), "."))) > 0:
				b.note(path, "%q is not a valid DNS search domain; ignored", s)
			case slices.Contains(searches, strings.ToLower(s)):
			case len(searches) == maxSearches:
				b.note(path, "a pod can have at most %d DNS search domains; %s ignored", maxSearches, s)
			default:
				searches = append(searches, strings.ToLower(s))
			}
		}
	}
	if len(servers) == 0 && len(searches) == 0 {
		return
	}
	spec.DNSConfig = &corev1.PodDNSConfig{Nameservers: servers, Searches: searches}
	if len(servers) > 0 {
		spec.DNSPolicy = corev1.DNSNone
	}
}

// hostAliases are the containers' extraHosts, and their links (name:alias) pointing to the
// loopback address, grouped by IP in order of appearance.
func (b *builder) hostAliases() []corev1.HostAlias {
	var out []corev1.HostAlias
	add := func(path, ip, host string) {
		host = strings.ToLower(host)
		if _, err := netip.ParseAddr(ip); err != nil {
			b.note(path, "%q is not an IP address; ignored", ip)
			return
		}
		if len(validation.IsDNS1123Subdomain(host)) > 0 {
			b.note(path, "%q is not a valid host name on Kubernetes; ignored", host)
			return
		}
		at := slices.IndexFunc(out, func(h corev1.HostAlias) bool { return h.IP == ip })
		if at < 0 {
			out = append(out, corev1.HostAlias{IP: ip})
			at = len(out) - 1
		}
		if !slices.Contains(out[at].Hostnames, host) {
			out[at].Hostnames = append(out[at].Hostnames, host)
		}
	}
	for i, d := range b.defs {
		for j, h := range d.ExtraHosts {
			add(cpath(i, fmt.Sprintf("extraHosts[%d]", j)), h.IPAddress, h.Hostname)
		}
		for j, l := range d.Links {
			name, alias, found := strings.Cut(l, ":")
			if !found {
				alias = name
			}
			add(cpath(i, fmt.Sprintf("links[%d]", j)), loopback, alias)
		}
	}
	return out
}

// hostname is the containers' hostname when exactly one value is set: a pod has one.
func (b *builder) hostname() string {
	var values []string
	var first int
	for i, d := range b.defs {
		if d.Hostname != "" && !slices.Contains(values, d.Hostname) {
			if len(values) == 0 {
				first = i
			}
			values = append(values, d.Hostname)
		}
	}
	switch {
	case len(values) == 0:
		return ""
	case len(values) > 1:
		b.note("containerDefinitions[].hostname", "containers set different hostnames (%s) and a pod has one; ignored", strings.Join(values, ", "))
	case b.mode == ecsv1alpha1.NetworkModeHost:
		b.note(cpath(first, "hostname"), "a pod on the host network has the node's hostname; ignored")
	case len(validation.IsDNS1123Label(values[0])) > 0:
		b.note(cpath(first, "hostname"), "%q is not a DNS-1123 label, which a pod's hostname must be; ignored", values[0])
	default:
		return values[0]
	}
	return ""
}
