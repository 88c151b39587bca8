package taskdef

import (
	"cmp"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// containerSecurity maps user, privileged, readonlyRootFilesystem, the capabilities and
// the docker security options Kubernetes has a field for. It is nil when none is set.
func (b *builder) containerSecurity(i int) *corev1.SecurityContext {
	d := &b.defs[i]
	sc := &corev1.SecurityContext{}
	sc.RunAsUser, sc.RunAsGroup = b.user(i)
	if ptr.Deref(d.Privileged, false) {
		sc.Privileged = ptr.To(true)
	}
	if ptr.Deref(d.ReadonlyRootFilesystem, false) {
		sc.ReadOnlyRootFilesystem = ptr.To(true)
	}
	if lp := d.LinuxParameters; lp != nil && lp.Capabilities != nil && (len(lp.Capabilities.Add) > 0 || len(lp.Capabilities.Drop) > 0) {
		sc.Capabilities = &corev1.Capabilities{}
		for _, c := range lp.Capabilities.Add {
			sc.Capabilities.Add = append(sc.Capabilities.Add, corev1.Capability(c))
		}
		for _, c := range lp.Capabilities.Drop {
			sc.Capabilities.Drop = append(sc.Capabilities.Drop, corev1.Capability(c))
		}
	}
	for j, opt := range d.DockerSecurityOptions {
		b.securityOption(cpath(i, fmt.Sprintf("dockerSecurityOptions[%d]", j)), opt, sc)
	}
	if *sc == (corev1.SecurityContext{}) {
		return nil
	}
	return sc
}

// user maps "uid" and "uid:gid" to runAsUser and runAsGroup. Names cannot be resolved
// outside the image: a name part is noted and left to the image.
func (b *builder) user(i int) (uid, gid *int64) {
	u := b.defs[i].User
	if u == "" {
		return nil, nil
	}
	userPart, groupPart, hasGroup := strings.Cut(u, ":")
	id := func(s, what string) *int64 {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 || n > 2147483647 {
			b.note(cpath(i, "user"), "the %s %q is not a numeric id, and Kubernetes runs containers as numeric ids only; the image's %s applies", what, s, what)
			return nil
		}
		return ptr.To(n)
	}
	uid = id(userPart, "user")
	if hasGroup {
		gid = id(groupPart, "group")
	}
	return uid, gid
}

// securityOption maps one dockerSecurityOptions entry: no-new-privileges,
// apparmor:<profile> and label:<user|role|type|level>:<value>.
func (b *builder) securityOption(path, opt string, sc *corev1.SecurityContext) {
	kind, value, _ := strings.Cut(opt, ":")
	switch kind {
	case "no-new-privileges":
		sc.AllowPrivilegeEscalation = ptr.To(false)
		return
	case "apparmor":
		sc.AppArmorProfile = appArmorProfile(value)
		return
	case "label":
		if field, v, ok := strings.Cut(value, ":"); ok {
			if sc.SELinuxOptions == nil {
				sc.SELinuxOptions = &corev1.SELinuxOptions{}
			}
			switch field {
			case "user":
				sc.SELinuxOptions.User = v
				return
			case "role":
				sc.SELinuxOptions.Role = v
				return
			case "type":
				sc.SELinuxOptions.Type = v
				return
			case "level":
				sc.SELinuxOptions.Level = v
				return
			}
			if *sc.SELinuxOptions == (corev1.SELinuxOptions{}) {
				sc.SELinuxOptions = nil
			}
		}
	}
	b.note(path, "%q has no Kubernetes equivalent; ignored", opt)
}

func appArmorProfile(name string) *corev1.AppArmorProfile {
	switch name {
	case "unconfined":
		return &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}
	case "", "docker-default", "runtime/default":
		return &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeRuntimeDefault}
	default:
		return &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeLocalhost, LocalhostProfile: ptr.To(name)}
	}
}

// setPodSecurity maps the task's pidMode and ipcMode, and the containers' systemControls,
// which Kubernetes sets per pod.
func (b *builder) setPodSecurity(spec *corev1.PodSpec) {
	switch b.spec.PidMode {
	case "task":
		spec.ShareProcessNamespace = ptr.To(true)
	case "host":
		spec.HostPID = true
	}
	switch b.spec.IpcMode {
	case "host":
		spec.HostIPC = true
	case "none":
		b.note("ipcMode", "none: the containers of a pod always share an IPC namespace on Kubernetes")
	}
	if sysctls := b.sysctls(); len(sysctls) > 0 {
		spec.SecurityContext = &corev1.PodSecurityContext{Sysctls: sysctls}
	}
}

// sysctls merges the containers' systemControls. A parameter set to different values by
// two containers, a network parameter on the host network, an IPC parameter with the host's
// IPC namespace, and an invalid name are noted and left out (Kubernetes rejects them).
func (b *builder) sysctls() []corev1.Sysctl {
	var out []corev1.Sysctl
	for i, d := range b.defs {
		for j, s := range d.SystemControls {
			path := cpath(i, fmt.Sprintf("systemControls[%d]", j))
			if b.mode == ecsv1alpha1.NetworkModeHost && strings.HasPrefix(s.Namespace, "net.") {
				b.note(path, "%s would change the node's network settings on the host network; ignored", s.Namespace)
				continue
			}
			if b.spec.IpcMode == "host" && isIPCSysctl(s.Namespace) {
				b.note(path, "%s would change the node's IPC settings with ipcMode host; ignored", s.Namespace)
				continue
			}
			if !validSysctlName(s.Namespace) {
				b.note(path, "%q is not a valid sysctl name; ignored", s.Namespace)
				continue
			}
			if b.mergeSysctl(out, path, s) {
				out = append(out, corev1.Sysctl{Name: s.Namespace, Value: s.Value})
			}
		}
	}
	return out
}

// mergeSysctl reports whether s is new; a conflicting value is noted and dropped.
func (b *builder) mergeSysctl(out []corev1.Sysctl, path string, s ecsv1alpha1.SystemControl) bool {
	for _, o := range out {
		if o.Name != s.Namespace {
			continue
		}
		if o.Value != s.Value {
			b.note(path, "%s is set to %q by another container, and Kubernetes sets sysctls per pod; %q ignored", s.Namespace, o.Value, s.Value)
		}
		return false
	}
	return true
}

// isIPCSysctl reports whether a sysctl belongs to the IPC namespace, which Kubernetes
// forbids on pods that use the host's.
func isIPCSysctl(name string) bool {
	for _, p := range []string{"kernel.shm", "kernel.msg", "kernel.sem", "fs.mqueue."} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// sysctlName is Kubernetes' pattern of a sysctl name.
var sysctlName = regexp.MustCompile(`^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$`)

func validSysctlName(name string) bool {
	return len(name) <= validation.DNS1123SubdomainMaxLength && sysctlName.MatchString(name)
}

// Windows builds of the runtime platform's operating system families.
var windowsBuilds = map[string]string{
	"WINDOWS_SERVER_2016_FULL": "10.0.14393",
	"WINDOWS_SERVER_2019_CORE": "10.0.17763",
	"WINDOWS_SERVER_2019_FULL": "10.0.17763",
	"WINDOWS_SERVER_2004_CORE": "10.0.19041",
	"WINDOWS_SERVER_20H2_CORE": "10.0.19042",
	"WINDOWS_SERVER_2022_CORE": "10.0.20348",
	"WINDOWS_SERVER_2022_FULL": "10.0.20348",
	"WINDOWS_SERVER_2025_CORE": "10.0.26100",
	"WINDOWS_SERVER_2025_FULL": "10.0.26100",
}

// NodeLabelWindowsBuild is the well-known node label of a Windows node's build.
const NodeLabelWindowsBuild = "node.kubernetes.io/windows-build"

// nodeSelector maps runtimePlatform to the well-known node labels. Fargate's default
// platform is Linux on X86_64.
func (b *builder) nodeSelector() map[string]string {
	rp := ptr.Deref(b.spec.RuntimePlatform, ecsv1alpha1.RuntimePlatform{})
	if b.fargate {
		rp.CPUArchitecture = cmp.Or(rp.CPUArchitecture, "X86_64")
		rp.OperatingSystemFamily = cmp.Or(rp.OperatingSystemFamily, "LINUX")
	}
	out := map[string]string{}
	switch rp.CPUArchitecture {
	case "X86_64":
		out[ecsv1alpha1.NodeLabelArch] = "amd64"
	case "ARM64":
		out[ecsv1alpha1.NodeLabelArch] = "arm64"
	}
	switch {
	case rp.OperatingSystemFamily == "LINUX":
		out[ecsv1alpha1.NodeLabelOS] = "linux"
	case windowsBuilds[rp.OperatingSystemFamily] != "":
		out[ecsv1alpha1.NodeLabelOS] = "windows"
		out[NodeLabelWindowsBuild] = windowsBuilds[rp.OperatingSystemFamily]
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
