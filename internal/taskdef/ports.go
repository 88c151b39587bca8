package taskdef

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// maxPortRange is the largest containerPortRange expanded into container ports.
const maxPortRange = 100

// containerPorts maps the port mappings by network mode: every mode but none lists the
// container ports; bridge adds a static hostPort when one is set (0 or none is ECS's dynamic
// port: the task is reached on its pod IP), host mode binds hostPort = containerPort.
// taken holds the port names and host ports already used in the pod.
func (b *builder) containerPorts(i int, taken portsTaken) []corev1.ContainerPort {
	if b.mode == ecsv1alpha1.NetworkModeNone {
		return nil
	}
	var out []corev1.ContainerPort
	for j, pm := range b.defs[i].PortMappings {
		path := cpath(i, fmt.Sprintf("portMappings[%d]", j))
		proto := corev1.ProtocolTCP
		if pm.Protocol == ecsv1alpha1.TransportProtocolUDP {
			proto = corev1.ProtocolUDP
		}
		if pm.ContainerPortRange != "" {
			for _, p := range b.portRange(path, pm.ContainerPortRange, proto) {
				if b.bindable(path, p, taken) {
					out = append(out, p)
				}
			}
			continue
		}
		if pm.ContainerPort == nil {
			continue
		}
		p := corev1.ContainerPort{ContainerPort: *pm.ContainerPort, Protocol: proto}
		switch b.mode {
		case ecsv1alpha1.NetworkModeHost:
			p.HostPort = p.ContainerPort
		case ecsv1alpha1.NetworkModeBridge:
			p.HostPort = ptr.Deref(pm.HostPort, 0)
		}
		if !b.bindable(path, p, taken) {
			continue
		}
		p.Name = b.portName(path, pm.Name, taken)
		out = append(out, p)
	}
	return out
}

// portsTaken are the port names and host ports (with their protocol) used in the pod.
type portsTaken map[string]bool

func newPortsTaken() portsTaken { return portsTaken{} }

// bindable reports whether p's host port is free in the pod; a second binding of a host
// port is noted and the mapping dropped: Kubernetes rejects it, as ECS cannot bind it twice.
func (b *builder) bindable(path string, p corev1.ContainerPort, taken portsTaken) bool {
	if p.HostPort == 0 {
		return true
	}
	key := fmt.Sprintf("host %d/%s", p.HostPort, p.Protocol)
	if taken[key] {
		b.note(path, "host port %d/%s is already bound by another port mapping of the task; ignored", p.HostPort, p.Protocol)
		return false
	}
	taken[key] = true
	return true
}

// portName is the mapping's name when Kubernetes accepts it as a port name (an
// IANA_SVC_NAME, unique in the pod), else "" with a note.
func (b *builder) portName(path, name string, taken portsTaken) string {
	if name == "" {
		return ""
	}
	if errs := validation.IsValidPortName(name); len(errs) > 0 {
		b.note(path+".name", "%q is not a valid Kubernetes port name (%s); the port is unnamed", name, strings.Join(errs, "; "))
		return ""
	}
	if taken["name "+name] {
		b.note(path+".name", "%q is already the name of another port of the task; the port is unnamed", name)
		return ""
	}
	taken["name "+name] = true
	return name
}

// portRange expands "first-last" into one container port per port, up to maxPortRange
// ports. Ranges use dynamic host ports on ECS, so no host port is bound, except in host
// mode where each port is its own host port.
func (b *builder) portRange(path, r string, proto corev1.Protocol) []corev1.ContainerPort {
	first, last, ok := parsePortRange(r)
	if !ok {
		b.note(path+".containerPortRange", "%q is not a range of ports first-last between 1 and 65535; ignored", r)
		return nil
	}
	if last-first+1 > maxPortRange {
		b.note(path+".containerPortRange", "%q has %d ports; ranges of more than %d ports are not listed in the pod (the container can still listen on them)", r, last-first+1, maxPortRange)
		return nil
	}
	var out []corev1.ContainerPort
	for port := first; port <= last; port++ {
		p := corev1.ContainerPort{ContainerPort: port, Protocol: proto}
		if b.mode == ecsv1alpha1.NetworkModeHost {
			p.HostPort = port
		}
		out = append(out, p)
	}
	return out
}

func parsePortRange(r string) (first, last int32, ok bool) {
	a, z, found := strings.Cut(r, "-")
	f, err1 := strconv.ParseInt(a, 10, 32)
	l, err2 := strconv.ParseInt(z, 10, 32)
	if !found || err1 != nil || err2 != nil || f < 1 || l > 65535 || f > l {
		return 0, 0, false
	}
	return int32(f), int32(l), true
}
