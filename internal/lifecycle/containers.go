package lifecycle

import (
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// ReasonOutOfMemory is ECS's reason for a container the kernel killed for memory.
const ReasonOutOfMemory = "OutOfMemoryError: Container killed due to memory usage"

// containerStatuses is one entry per container of the pod, in the pod's order. Fields Derive
// does not own (containerArn, cpu, memory, memoryReservation) are kept from prev.
func containerStatuses(v *podView, prev []ecsv1alpha1.Container) []ecsv1alpha1.Container {
	out := make([]ecsv1alpha1.Container, 0, len(v.containers))
	for _, cv := range v.containers {
		c := ecsv1alpha1.Container{
			Name:         cv.ecsName,
			Image:        cv.spec.Image,
			LastStatus:   ecsv1alpha1.TaskPending,
			HealthStatus: cv.health,
			Essential:    cv.essential,
		}
		for _, p := range prev {
			if p.Name == c.Name {
				c.ContainerArn, c.CPU, c.Memory, c.MemoryReservation = p.ContainerArn, p.CPU, p.Memory, p.MemoryReservation
			}
		}
		setRuntimeState(&c, cv)
		if v.pod.Status.PodIP != "" {
			c.NetworkBindings = networkBindings(cv.spec, v.pod)
			c.NetworkInterfaces = networkInterfaces(v.pod)
		}
		out = append(out, c)
	}
	return out
}

// setRuntimeState fills what the kubelet reports: ids, lastStatus, exit code and reason.
func setRuntimeState(c *ecsv1alpha1.Container, cv containerView) {
	s := cv.status
	if s == nil {
		return
	}
	c.ImageDigest = imageDigest(s.ImageID)
	c.RuntimeID = runtimeID(s.ContainerID)
	if t := cv.lastTerminated(); t != nil {
		if c.RuntimeID == "" {
			c.RuntimeID = runtimeID(t.ContainerID)
		}
		c.LastStatus = ecsv1alpha1.TaskStopped
		code := t.ExitCode
		c.ExitCode = &code
		c.Reason = terminatedReason(t)
	}
	switch {
	case s.State.Running != nil:
		c.LastStatus, c.ExitCode, c.Reason = ecsv1alpha1.TaskRunning, nil, ""
	case s.State.Waiting != nil && c.LastStatus == ecsv1alpha1.TaskPending:
		c.Reason = waitingReason(s.State.Waiting)
	}
}

// terminatedReason is ECS's reason for a stopped container: empty for a plain exit (the exit
// code says it), ECS's wording where it has one, else the kubelet's reason and message.
func terminatedReason(t *corev1.ContainerStateTerminated) string {
	switch t.Reason {
	case "", "Completed", "Error":
		return ""
	case reasonOOMKilled:
		return ReasonOutOfMemory
	case reasonStartError, reasonContainerCannotRun:
		return prefixCannotStart + detailOr(t.Message, t.Reason)
	}
	return withDetail(t.Reason, t.Message)
}

// markContainersStopped: in a STOPPED task every container is STOPPED, health UNKNOWN.
func markContainersStopped(cs []ecsv1alpha1.Container) {
	for i := range cs {
		cs[i].LastStatus = ecsv1alpha1.TaskStopped
		cs[i].HealthStatus = ecsv1alpha1.HealthStatusUnknown
	}
}

// imageDigest is the digest of a resolved image reference ("repo@sha256:..." -> "sha256:...").
func imageDigest(imageID string) string {
	if i := strings.LastIndex(imageID, "@"); i >= 0 {
		return imageID[i+1:]
	}
	if strings.HasPrefix(imageID, "sha256:") {
		return imageID
	}
	return ""
}

// runtimeID drops the runtime scheme ("containerd://<id>" -> "<id>").
func runtimeID(containerID string) string {
	if _, id, ok := strings.Cut(containerID, "://"); ok {
		return id
	}
	return containerID
}

// networkBindings are the container's ports: bound on the node's address when they have a
// host port, else on the pod's.
func networkBindings(c *corev1.Container, pod *corev1.Pod) []ecsv1alpha1.NetworkBinding {
	var out []ecsv1alpha1.NetworkBinding
	for _, p := range c.Ports {
		proto, ok := protocol(p.Protocol)
		if !ok {
			continue
		}
		b := ecsv1alpha1.NetworkBinding{ContainerPort: p.ContainerPort, HostPort: p.HostPort, Protocol: proto, BindIP: pod.Status.PodIP}
		if p.HostPort != 0 {
			b.BindIP = detailOr(p.HostIP, pod.Status.HostIP)
		}
		out = append(out, b)
	}
	return out
}

// protocol maps a Kubernetes protocol to ECS's (which has no SCTP).
func protocol(p corev1.Protocol) (ecsv1alpha1.TransportProtocol, bool) {
	switch p {
	case "", corev1.ProtocolTCP:
		return ecsv1alpha1.TransportProtocolTCP, true
	case corev1.ProtocolUDP:
		return ecsv1alpha1.TransportProtocolUDP, true
	}
	return "", false
}

// networkInterfaces is the pod's network attachment: its first IPv4 and IPv6 addresses.
func networkInterfaces(pod *corev1.Pod) []ecsv1alpha1.NetworkInterface {
	ips := []string{pod.Status.PodIP}
	for _, ip := range pod.Status.PodIPs {
		ips = append(ips, ip.IP)
	}
	var ni ecsv1alpha1.NetworkInterface
	for _, s := range ips {
		addr, err := netip.ParseAddr(s)
		switch {
		case err != nil:
		case addr.Is4() && ni.PrivateIpv4Address == "":
			ni.PrivateIpv4Address = s
		case addr.Is6() && ni.Ipv6Address == "":
			ni.Ipv6Address = s
		}
	}
	return []ecsv1alpha1.NetworkInterface{ni}
}
