package taskdef_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/taskdef"
)

func pm(containerPort int32, hostPort *int32, proto ecsv1alpha1.TransportProtocol, name string) ecsv1alpha1.PortMapping {
	return ecsv1alpha1.PortMapping{ContainerPort: ptr.To(containerPort), HostPort: hostPort, Protocol: proto, Name: name}
}

func portRange(r string) ecsv1alpha1.PortMapping {
	return ecsv1alpha1.PortMapping{ContainerPortRange: r}
}

func TestNetworkModes(t *testing.T) {
	mappings := []ecsv1alpha1.PortMapping{
		pm(80, ptr.To[int32](8080), "", "http"),
		pm(81, ptr.To[int32](0), ecsv1alpha1.TransportProtocolTCP, ""),
		pm(53, nil, ecsv1alpha1.TransportProtocolUDP, "dns"),
	}
	hostMappings := []ecsv1alpha1.PortMapping{pm(80, ptr.To[int32](80), "", "http"), pm(53, nil, ecsv1alpha1.TransportProtocolUDP, "")}
	tests := []struct {
		name        string
		mode        ecsv1alpha1.NetworkMode
		mappings    []ecsv1alpha1.PortMapping
		want        []corev1.ContainerPort
		hostNetwork bool
		wantNotes   []string
	}{
		{name: "bridge: a static hostPort is bound, 0 or none is dynamic (pod IP only)", mode: ecsv1alpha1.NetworkModeBridge, mappings: mappings,
			want: []corev1.ContainerPort{
				{Name: "http", ContainerPort: 80, HostPort: 8080, Protocol: corev1.ProtocolTCP},
				{ContainerPort: 81, Protocol: corev1.ProtocolTCP},
				{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP},
			}},
		{name: "default mode is bridge", mode: "", mappings: mappings[:1],
			want: []corev1.ContainerPort{{Name: "http", ContainerPort: 80, HostPort: 8080, Protocol: corev1.ProtocolTCP}}},
		{name: "awsvpc: container ports only", mode: ecsv1alpha1.NetworkModeAwsvpc, mappings: hostMappings,
			want: []corev1.ContainerPort{
				{Name: "http", ContainerPort: 80, Protocol: corev1.ProtocolTCP},
				{ContainerPort: 53, Protocol: corev1.ProtocolUDP},
			}},
		{name: "host: host network, each port its own host port", mode: ecsv1alpha1.NetworkModeHost, mappings: hostMappings, hostNetwork: true,
			want: []corev1.ContainerPort{
				{Name: "http", ContainerPort: 80, HostPort: 80, Protocol: corev1.ProtocolTCP},
				{ContainerPort: 53, HostPort: 53, Protocol: corev1.ProtocolUDP},
			}},
		{name: "none: no ports, and the pod still has a network", mode: ecsv1alpha1.NetworkModeNone,
			wantNotes: []string{"networkMode: none: a pod always has a network interface and an IP on Kubernetes; the task's containers are not isolated from the network"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := spec(tt.mode, ctr("web", func(c *ecsv1alpha1.ContainerDefinition) { c.PortMappings = tt.mappings }))
			res := mustBuild(t, taskdef.Input{Spec: s})
			if diff := cmp.Diff(tt.want, container(t, res, "web").Ports); diff != "" {
				t.Errorf("ports (-want +got):\n%s", diff)
			}
			if res.PodSpec.HostNetwork != tt.hostNetwork {
				t.Errorf("hostNetwork = %t, want %t", res.PodSpec.HostNetwork, tt.hostNetwork)
			}
			if diff := cmp.Diff(tt.wantNotes, res.Unsupported); diff != "" {
				t.Errorf("notes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPortNamesAndRanges(t *testing.T) {
	tests := []struct {
		name      string
		mode      ecsv1alpha1.NetworkMode
		mappings  []ecsv1alpha1.PortMapping
		want      []corev1.ContainerPort
		wantNotes []string
	}{
		{name: "a name that is no IANA service name is dropped", mode: ecsv1alpha1.NetworkModeAwsvpc,
			mappings: []ecsv1alpha1.PortMapping{pm(80, nil, "", "Web_HTTP"), pm(81, nil, "", "web-app-http-8081")},
			want:     []corev1.ContainerPort{{ContainerPort: 80, Protocol: corev1.ProtocolTCP}, {ContainerPort: 81, Protocol: corev1.ProtocolTCP}},
			wantNotes: []string{
				`containerDefinitions[0].portMappings[0].name: "Web_HTTP" is not a valid Kubernetes port name (must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)); the port is unnamed`,
				`containerDefinitions[0].portMappings[1].name: "web-app-http-8081" is not a valid Kubernetes port name (must be no more than 15 characters); the port is unnamed`,
			}},
		{name: "a range is one port each", mode: ecsv1alpha1.NetworkModeAwsvpc,
			mappings: []ecsv1alpha1.PortMapping{portRange("8000-8002")},
			want: []corev1.ContainerPort{
				{ContainerPort: 8000, Protocol: corev1.ProtocolTCP}, {ContainerPort: 8001, Protocol: corev1.ProtocolTCP}, {ContainerPort: 8002, Protocol: corev1.ProtocolTCP},
			}},
		{name: "a range in bridge mode uses dynamic host ports", mode: ecsv1alpha1.NetworkModeBridge,
			mappings: []ecsv1alpha1.PortMapping{{ContainerPortRange: "9000-9001", Protocol: ecsv1alpha1.TransportProtocolUDP}},
			want:     []corev1.ContainerPort{{ContainerPort: 9000, Protocol: corev1.ProtocolUDP}, {ContainerPort: 9001, Protocol: corev1.ProtocolUDP}}},
		{name: "a range in host mode binds each port", mode: ecsv1alpha1.NetworkModeHost,
			mappings: []ecsv1alpha1.PortMapping{portRange("7000-7001")},
			want:     []corev1.ContainerPort{{ContainerPort: 7000, HostPort: 7000, Protocol: corev1.ProtocolTCP}, {ContainerPort: 7001, HostPort: 7001, Protocol: corev1.ProtocolTCP}}},
		{name: "a range of exactly 100 ports is listed", mode: ecsv1alpha1.NetworkModeAwsvpc,
			mappings: []ecsv1alpha1.PortMapping{portRange("1000-1099")},
			want: func() []corev1.ContainerPort {
				var out []corev1.ContainerPort
				for p := int32(1000); p < 1100; p++ {
					out = append(out, corev1.ContainerPort{ContainerPort: p, Protocol: corev1.ProtocolTCP})
				}
				return out
			}()},
		{name: "a range of more than 100 ports is not", mode: ecsv1alpha1.NetworkModeAwsvpc,
			mappings:  []ecsv1alpha1.PortMapping{portRange("1000-1100")},
			wantNotes: []string{`containerDefinitions[0].portMappings[0].containerPortRange: "1000-1100" has 101 ports; ranges of more than 100 ports are not listed in the pod (the container can still listen on them)`}},
		{name: "a reversed or out-of-range range is noted", mode: ecsv1alpha1.NetworkModeAwsvpc,
			mappings: []ecsv1alpha1.PortMapping{portRange("9000-8000"), portRange("0-10"), portRange("65535-65536")},
			wantNotes: []string{
				`containerDefinitions[0].portMappings[0].containerPortRange: "9000-8000" is not a range of ports first-last between 1 and 65535; ignored`,
				`containerDefinitions[0].portMappings[1].containerPortRange: "0-10" is not a range of ports first-last between 1 and 65535; ignored`,
				`containerDefinitions[0].portMappings[2].containerPortRange: "65535-65536" is not a range of ports first-last between 1 and 65535; ignored`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := spec(tt.mode, ctr("web", func(c *ecsv1alpha1.ContainerDefinition) { c.PortMappings = tt.mappings }))
			res := mustBuild(t, taskdef.Input{Spec: s})
			if diff := cmp.Diff(tt.want, container(t, res, "web").Ports); diff != "" {
				t.Errorf("ports (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantNotes, res.Unsupported); diff != "" {
				t.Errorf("notes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPortNamesAreUniqueInThePod(t *testing.T) {
	s := spec(ecsv1alpha1.NetworkModeAwsvpc,
		ctr("a", func(c *ecsv1alpha1.ContainerDefinition) {
			c.PortMappings = []ecsv1alpha1.PortMapping{pm(80, nil, "", "http")}
		}),
		ctr("b", func(c *ecsv1alpha1.ContainerDefinition) {
			c.PortMappings = []ecsv1alpha1.PortMapping{pm(8080, nil, "", "http")}
		}),
	)
	res := mustBuild(t, taskdef.Input{Spec: s})
	if got := container(t, res, "b").Ports[0].Name; got != "" {
		t.Errorf("second port named %q, want unnamed", got)
	}
	want := []string{`containerDefinitions[1].portMappings[0].name: "http" is already the name of another port of the task; the port is unnamed`}
	if diff := cmp.Diff(want, res.Unsupported); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
}

func TestHostPortsAreBoundOnce(t *testing.T) {
	tests := []struct {
		name      string
		mode      ecsv1alpha1.NetworkMode
		a, b      []ecsv1alpha1.PortMapping
		wantB     []corev1.ContainerPort
		wantNotes []string
	}{
		{name: "host mode: the same port in two containers", mode: ecsv1alpha1.NetworkModeHost,
			a: []ecsv1alpha1.PortMapping{pm(80, nil, "", "")}, b: []ecsv1alpha1.PortMapping{pm(80, nil, "", ""), pm(80, nil, ecsv1alpha1.TransportProtocolUDP, "")},
			wantB:     []corev1.ContainerPort{{ContainerPort: 80, HostPort: 80, Protocol: corev1.ProtocolUDP}},
			wantNotes: []string{"containerDefinitions[1].portMappings[0]: host port 80/TCP is already bound by another port mapping of the task; ignored"}},
		{name: "bridge: a static host port twice", mode: ecsv1alpha1.NetworkModeBridge,
			a: []ecsv1alpha1.PortMapping{pm(80, ptr.To[int32](8080), "", "")}, b: []ecsv1alpha1.PortMapping{pm(81, ptr.To[int32](8080), "", ""), pm(82, ptr.To[int32](0), "", "")},
			wantB:     []corev1.ContainerPort{{ContainerPort: 82, Protocol: corev1.ProtocolTCP}},
			wantNotes: []string{"containerDefinitions[1].portMappings[0]: host port 8080/TCP is already bound by another port mapping of the task; ignored"}},
		{name: "host mode: a range overlapping a port", mode: ecsv1alpha1.NetworkModeHost,
			a: []ecsv1alpha1.PortMapping{pm(9001, nil, "", "")}, b: []ecsv1alpha1.PortMapping{portRange("9000-9002")},
			wantB:     []corev1.ContainerPort{{ContainerPort: 9000, HostPort: 9000, Protocol: corev1.ProtocolTCP}, {ContainerPort: 9002, HostPort: 9002, Protocol: corev1.ProtocolTCP}},
			wantNotes: []string{"containerDefinitions[1].portMappings[0]: host port 9001/TCP is already bound by another port mapping of the task; ignored"}},
		{name: "awsvpc binds no host port", mode: ecsv1alpha1.NetworkModeAwsvpc,
			a: []ecsv1alpha1.PortMapping{pm(80, nil, "", "")}, b: []ecsv1alpha1.PortMapping{pm(80, nil, "", "")},
			wantB: []corev1.ContainerPort{{ContainerPort: 80, Protocol: corev1.ProtocolTCP}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := spec(tt.mode,
				ctr("a", func(c *ecsv1alpha1.ContainerDefinition) { c.PortMappings = tt.a }),
				ctr("b", func(c *ecsv1alpha1.ContainerDefinition) { c.PortMappings = tt.b }))
			res := mustBuild(t, taskdef.Input{Spec: s})
			if diff := cmp.Diff(tt.wantB, container(t, res, "b").Ports); diff != "" {
				t.Errorf("ports of b (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantNotes, res.Unsupported); diff != "" {
				t.Errorf("notes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPodNetworkSettings(t *testing.T) {
	tests := []struct {
		name      string
		mode      ecsv1alpha1.NetworkMode
		defs      []ecsv1alpha1.ContainerDefinition
		want      corev1.PodSpec // only the network fields are compared
		wantNotes []string
	}{
		{name: "one hostname is the pod's", defs: []ecsv1alpha1.ContainerDefinition{
			ctr("a", func(c *ecsv1alpha1.ContainerDefinition) { c.Hostname = "api" }), ctr("b")},
			want: corev1.PodSpec{Hostname: "api"}},
		{name: "the same hostname twice is still one", defs: []ecsv1alpha1.ContainerDefinition{
			ctr("a", func(c *ecsv1alpha1.ContainerDefinition) { c.Hostname = "api" }), ctr("b", func(c *ecsv1alpha1.ContainerDefinition) { c.Hostname = "api" })},
			want: corev1.PodSpec{Hostname: "api"}},
		{name: "different hostnames are noted", defs: []ecsv1alpha1.ContainerDefinition{
			ctr("a", func(c *ecsv1alpha1.ContainerDefinition) { c.Hostname = "api" }), ctr("b", func(c *ecsv1alpha1.ContainerDefinition) { c.Hostname = "db" })},
			wantNotes: []string{"containerDefinitions[].hostname: containers set different hostnames (api, db) and a pod has one; ignored"}},
		{name: "a hostname that is no DNS label is noted", defs: []ecsv1alpha1.ContainerDefinition{
			ctr("a", func(c *ecsv1alpha1.ContainerDefinition) { c.Hostname = "api.example.com" })},
			wantNotes: []string{`containerDefinitions[0].hostname: "api.example.com" is not a DNS-1123 label, which a pod's hostname must be; ignored`}},
		{name: "no hostname on the host network", mode: ecsv1alpha1.NetworkModeHost, defs: []ecsv1alpha1.ContainerDefinition{
			ctr("a", func(c *ecsv1alpha1.ContainerDefinition) { c.Hostname = "api" })},
			want:      corev1.PodSpec{HostNetwork: true},
			wantNotes: []string{"containerDefinitions[0].hostname: a pod on the host network has the node's hostname; ignored"}},
		{name: "DNS servers replace the cluster's, search domains are merged", defs: []ecsv1alpha1.ContainerDefinition{
			ctr("a", func(c *ecsv1alpha1.ContainerDefinition) {
				c.DNSServers = []string{"10.0.0.2", "10.0.0.3"}
				c.DNSSearchDomains = []string{"corp.example.com"}
			}),
			ctr("b", func(c *ecsv1alpha1.ContainerDefinition) {
				c.DNSServers = []string{"10.0.0.3", "10.0.0.4", "10.0.0.5", "not-an-ip"}
				c.DNSSearchDomains = []string{"Corp.Example.com", "svc.example.com.", "bad_domain"}
			})},
			want: corev1.PodSpec{DNSPolicy: corev1.DNSNone, DNSConfig: &corev1.PodDNSConfig{
				Nameservers: []string{"10.0.0.2", "10.0.0.3", "10.0.0.4"},
				Searches:    []string{"corp.example.com", "svc.example.com."},
			}},
			wantNotes: []string{
				`containerDefinitions[1].dnsSearchDomains[2]: "bad_domain" is not a valid DNS search domain; ignored`,
				"containerDefinitions[1].dnsServers[2]: a pod can have at most 3 DNS servers; 10.0.0.5 ignored",
				`containerDefinitions[1].dnsServers[3]: "not-an-ip" is not an IP address; ignored`,
			}},
		{name: "search domains alone keep the cluster's DNS", defs: []ecsv1alpha1.ContainerDefinition{
			ctr("a", func(c *ecsv1alpha1.ContainerDefinition) { c.DNSSearchDomains = []string{"internal.example.com"} })},
			want: corev1.PodSpec{DNSConfig: &corev1.PodDNSConfig{Searches: []string{"internal.example.com"}}}},
		{name: "extraHosts and links are host aliases, grouped by IP", defs: []ecsv1alpha1.ContainerDefinition{
			ctr("api", func(c *ecsv1alpha1.ContainerDefinition) {
				c.Links = []string{"statsd:metrics", "cache"}
				c.ExtraHosts = []ecsv1alpha1.HostEntry{{Hostname: "metadata", IPAddress: "169.254.169.254"}, {Hostname: "Db", IPAddress: "10.0.0.9"}}
			}),
			ctr("statsd", func(c *ecsv1alpha1.ContainerDefinition) {
				c.ExtraHosts = []ecsv1alpha1.HostEntry{{Hostname: "db-replica", IPAddress: "10.0.0.9"}, {Hostname: "x", IPAddress: "nope"}, {Hostname: "bad_name", IPAddress: "10.0.0.1"}}
				c.Links = []string{"api:api"}
			}),
			ctr("cache")},
			want: corev1.PodSpec{HostAliases: []corev1.HostAlias{
				{IP: "169.254.169.254", Hostnames: []string{"metadata"}},
				{IP: "10.0.0.9", Hostnames: []string{"db", "db-replica"}},
				{IP: "127.0.0.1", Hostnames: []string{"metrics", "cache", "api"}},
			}},
			wantNotes: []string{
				`containerDefinitions[1].extraHosts[1]: "nope" is not an IP address; ignored`,
				`containerDefinitions[1].extraHosts[2]: "bad_name" is not a valid host name on Kubernetes; ignored`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustBuild(t, taskdef.Input{Spec: spec(tt.mode, tt.defs...)})
			got := corev1.PodSpec{
				Hostname:    res.PodSpec.Hostname,
				HostNetwork: res.PodSpec.HostNetwork,
				DNSPolicy:   res.PodSpec.DNSPolicy,
				DNSConfig:   res.PodSpec.DNSConfig,
				HostAliases: res.PodSpec.HostAliases,
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("pod network (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantNotes, res.Unsupported); diff != "" {
				t.Errorf("notes (-want +got):\n%s", diff)
			}
		})
	}
}
