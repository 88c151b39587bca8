package taskdef

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/names"
)

// shmPath is where sharedMemorySize mounts its memory-backed volume.
const shmPath = "/dev/shm"

// taskVolumes are the pod's volumes: the task's, then the containers' own (shared memory
// and tmpfs), added as containers are built.
type taskVolumes struct {
	volumes []corev1.Volume
	// names maps ECS volume names to Kubernetes volume names.
	names map[string]string
	// subPaths are the paths inside the volume to mount, by ECS volume name (EFS
	// rootDirectory).
	subPaths map[string]string
	alloc    *nameAllocator
}

// taskVolumes maps the task's volumes: host without sourcePath (or nothing) and task-scoped
// Docker volumes to emptyDir, host.sourcePath to hostPath, EFS to the PersistentVolumeClaim
// named by the file system id. What Kubernetes cannot provide becomes an emptyDir, noted.
func (b *builder) taskVolumes() *taskVolumes {
	tv := &taskVolumes{names: map[string]string{}, subPaths: map[string]string{}, alloc: newNameAllocator("volume")}
	var ecsNames []string
	for _, v := range b.spec.Volumes {
		ecsNames = append(ecsNames, v.Name)
	}
	for j, name := range tv.alloc.assign(ecsNames) {
		v := b.spec.Volumes[j]
		tv.names[v.Name] = name
		tv.volumes = append(tv.volumes, corev1.Volume{Name: name, VolumeSource: b.volumeSource(j, v, tv)})
	}
	return tv
}

func emptyDir() corev1.VolumeSource {
	return corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
}

func (b *builder) volumeSource(j int, v ecsv1alpha1.Volume, tv *taskVolumes) corev1.VolumeSource {
	path := fmt.Sprintf("volumes[%d]", j)
	switch {
	case ptr.Deref(v.ConfiguredAtLaunch, false):
		b.note(path+".configuredAtLaunch", "volumes configured at launch are not supported yet; the volume is an empty emptyDir")
	case v.EFSVolumeConfiguration != nil:
		return b.efsSource(path, v, tv)
	case v.FSxWindowsFileServerVolumeConfiguration != nil:
		b.note(path+".fsxWindowsFileServerVolumeConfiguration", "FSx for Windows File Server is not available on Kubernetes; the volume is an empty emptyDir")
	case v.DockerVolumeConfiguration != nil:
		b.dockerVolumeNotes(path, v.DockerVolumeConfiguration)
	case v.Host != nil && v.Host.SourcePath != "":
		// Fargate task definitions with a sourcePath are rejected before this (checkFargate).
		return corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: v.Host.SourcePath}}
	}
	return emptyDir()
}

// efsSource mounts the PersistentVolumeClaim named after the file system id; the root
// directory becomes the mounts' subPath. The rest belongs on the PersistentVolume.
func (b *builder) efsSource(path string, v ecsv1alpha1.Volume, tv *taskVolumes) corev1.VolumeSource {
	efs := v.EFSVolumeConfiguration
	claim := names.Kube(efs.FileSystemID, validation.DNS1123SubdomainMaxLength, false)
	if claim == "" {
		b.note(path+".efsVolumeConfiguration.fileSystemId", "%q names no PersistentVolumeClaim; the volume is an empty emptyDir", efs.FileSystemID)
		return emptyDir()
	}
	if root := strings.Trim(efs.RootDirectory, "/"); root != "" {
		tv.subPaths[v.Name] = root
	}
	var ignored []string
	if efs.TransitEncryption != "" || efs.TransitEncryptionPort != nil {
		ignored = append(ignored, "transitEncryption")
	}
	if efs.AuthorizationConfig != nil {
		ignored = append(ignored, "authorizationConfig")
	}
	if len(ignored) > 0 {
		b.note(path+".efsVolumeConfiguration", "%s: set them on the PersistentVolume of claim %s (for the EFS CSI driver, an access point goes in its volumeHandle); ignored here", strings.Join(ignored, " and "), claim)
	}
	return corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}
}

func (b *builder) dockerVolumeNotes(path string, d *ecsv1alpha1.DockerVolumeConfiguration) {
	if d.Scope == "shared" {
		b.note(path+".dockerVolumeConfiguration.scope", "shared Docker volumes outlive the task on ECS; on Kubernetes the volume is an emptyDir that lives as long as the pod")
	}
	if (d.Driver != "" && d.Driver != "local") || len(d.DriverOpts) > 0 {
		b.note(path+".dockerVolumeConfiguration.driver", "Docker volume drivers and their options are not available on Kubernetes; the volume is an emptyDir")
	}
}

// volumeMounts are the container's mountPoints, the mounts of the containers named in
// volumesFrom, then its shared memory and tmpfs mounts. A second mount at the same path is
// dropped, noted: Kubernetes rejects it.
func (b *builder) volumeMounts(i int, tv *taskVolumes) []corev1.VolumeMount {
	var out []corev1.VolumeMount
	add := func(path string, m corev1.VolumeMount) {
		for _, o := range out {
			if o.MountPath == m.MountPath {
				b.note(path, "%s is already mounted in the container; ignored", m.MountPath)
				return
			}
		}
		out = append(out, m)
	}
	for j, m := range b.mountPoints(i, tv, true) {
		add(cpath(i, fmt.Sprintf("mountPoints[%d]", j)), m)
	}
	for j, vf := range b.defs[i].VolumesFrom {
		path := cpath(i, fmt.Sprintf("volumesFrom[%d]", j))
		src, ok := b.index[vf.SourceContainer]
		if !ok {
			b.note(path, "%q is not a container in the task definition; ignored", vf.SourceContainer)
			continue
		}
		for _, m := range b.inheritedMounts(src, tv, map[int]bool{i: true}) {
			m.ReadOnly = m.ReadOnly || ptr.Deref(vf.ReadOnly, false)
			add(path, m)
		}
	}
	for _, m := range b.memoryMounts(i, tv) {
		add(cpath(i, "linuxParameters"), m)
	}
	return out
}

// mountPoints maps the container's mountPoints. Unusable ones are noted when note is set
// (the container's own pass) and skipped.
func (b *builder) mountPoints(i int, tv *taskVolumes, note bool) []corev1.VolumeMount {
	var out []corev1.VolumeMount
	for j, mp := range b.defs[i].MountPoints {
		name, ok := tv.names[mp.SourceVolume]
		if !ok || mp.ContainerPath == "" {
			if note {
				b.note(cpath(i, fmt.Sprintf("mountPoints[%d]", j)), "needs a sourceVolume naming one of the task's volumes and a containerPath; ignored")
			}
			continue
		}
		out = append(out, corev1.VolumeMount{
			Name:      name,
			MountPath: mp.ContainerPath,
			ReadOnly:  ptr.Deref(mp.ReadOnly, false),
			SubPath:   tv.subPaths[mp.SourceVolume],
		})
	}
	return out
}

// inheritedMounts are every mount container src has through mountPoints and, as Docker's
// --volumes-from does, through its own volumesFrom. seen guards against loops.
func (b *builder) inheritedMounts(src int, tv *taskVolumes, seen map[int]bool) []corev1.VolumeMount {
	if seen[src] {
		return nil
	}
	seen[src] = true
	out := b.mountPoints(src, tv, false)
	for _, vf := range b.defs[src].VolumesFrom {
		if next, ok := b.index[vf.SourceContainer]; ok {
			for _, m := range b.inheritedMounts(next, tv, seen) {
				m.ReadOnly = m.ReadOnly || ptr.Deref(vf.ReadOnly, false)
				out = append(out, m)
			}
		}
	}
	return out
}

// memoryMounts are the container's shared memory (/dev/shm) and tmpfs mounts: memory-backed
// emptyDirs with the size as their limit, added to the pod's volumes.
func (b *builder) memoryMounts(i int, tv *taskVolumes) []corev1.VolumeMount {
	lp := b.defs[i].LinuxParameters
	if lp == nil {
		return nil
	}
	var out []corev1.VolumeMount
	add := func(suffix string, sizeMiB int32, path string) {
		name := tv.alloc.take(b.names[i] + "-" + suffix)
		size := mebibytes(int64(sizeMiB))
		tv.volumes = append(tv.volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{
			EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory, SizeLimit: &size},
		}})
		out = append(out, corev1.VolumeMount{Name: name, MountPath: path})
	}
	if s := ptr.Deref(lp.SharedMemorySize, 0); s > 0 {
		add("shm", s, shmPath)
	}
	for j, t := range lp.Tmpfs {
		if len(t.MountOptions) > 0 {
			b.note(cpath(i, fmt.Sprintf("linuxParameters.tmpfs[%d].mountOptions", j)), "Kubernetes sets no mount options on emptyDir volumes; ignored")
		}
		add(fmt.Sprintf("tmpfs-%d", j), t.Size, t.ContainerPath)
	}
	return out
}
