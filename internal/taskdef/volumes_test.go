package taskdef_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/taskdef"
)

func mount(vol, path string, ro bool) ecsv1alpha1.MountPoint {
	return ecsv1alpha1.MountPoint{SourceVolume: vol, ContainerPath: path, ReadOnly: ptr.To(ro)}
}

func mounts(ms ...ecsv1alpha1.MountPoint) func(*ecsv1alpha1.ContainerDefinition) {
	return func(c *ecsv1alpha1.ContainerDefinition) { c.MountPoints = ms }
}

func volumesFrom(src string, ro bool) func(*ecsv1alpha1.ContainerDefinition) {
	return func(c *ecsv1alpha1.ContainerDefinition) {
		c.VolumesFrom = append(c.VolumesFrom, ecsv1alpha1.VolumeFrom{SourceContainer: src, ReadOnly: ptr.To(ro)})
	}
}

var emptyDirSource = corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}

func memoryDir(mib int64) corev1.VolumeSource {
	q := mi(mib)
	return corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory, SizeLimit: &q}}
}

func TestVolumeSources(t *testing.T) {
	tests := []struct {
		name      string
		vol       ecsv1alpha1.Volume
		want      corev1.Volume
		wantSub   string // subPath of the mount
		wantNotes []string
	}{
		{name: "a bare name is task scratch space", vol: ecsv1alpha1.Volume{Name: "data"},
			want: corev1.Volume{Name: "data", VolumeSource: emptyDirSource}},
		{name: "host without sourcePath is task scratch space", vol: ecsv1alpha1.Volume{Name: "data", Host: &ecsv1alpha1.HostVolumeProperties{}},
			want: corev1.Volume{Name: "data", VolumeSource: emptyDirSource}},
		{name: "host sourcePath is a hostPath", vol: ecsv1alpha1.Volume{Name: "docker_sock", Host: &ecsv1alpha1.HostVolumeProperties{SourcePath: "/var/run/docker.sock"}},
			want: corev1.Volume{Name: "docker-sock", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/run/docker.sock"}}}},
		{name: "a task-scoped docker volume is an emptyDir", vol: ecsv1alpha1.Volume{Name: "data", DockerVolumeConfiguration: &ecsv1alpha1.DockerVolumeConfiguration{Scope: "task", Driver: "local"}},
			want: corev1.Volume{Name: "data", VolumeSource: emptyDirSource}},
		{name: "a shared docker volume is an emptyDir too, noted", vol: ecsv1alpha1.Volume{Name: "data", DockerVolumeConfiguration: &ecsv1alpha1.DockerVolumeConfiguration{Scope: "shared", Autoprovision: ptr.To(true)}},
			want:      corev1.Volume{Name: "data", VolumeSource: emptyDirSource},
			wantNotes: []string{"volumes[0].dockerVolumeConfiguration.scope: shared Docker volumes outlive the task on ECS; on Kubernetes the volume is an emptyDir that lives as long as the pod"}},
		{name: "a docker volume driver is noted", vol: ecsv1alpha1.Volume{Name: "data", DockerVolumeConfiguration: &ecsv1alpha1.DockerVolumeConfiguration{Driver: "rexray/ebs", DriverOpts: map[string]string{"size": "10"}}},
			want:      corev1.Volume{Name: "data", VolumeSource: emptyDirSource},
			wantNotes: []string{"volumes[0].dockerVolumeConfiguration.driver: Docker volume drivers and their options are not available on Kubernetes; the volume is an emptyDir"}},
		{name: "EFS is the claim named by the file system id", vol: ecsv1alpha1.Volume{Name: "shared", EFSVolumeConfiguration: &ecsv1alpha1.EFSVolumeConfiguration{FileSystemID: "fs-0123456789abcdef0"}},
			want: corev1.Volume{Name: "shared", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "fs-0123456789abcdef0"}}}},
		{name: "EFS root directory is the mount's subPath; the rest belongs to the PV", vol: ecsv1alpha1.Volume{Name: "shared", EFSVolumeConfiguration: &ecsv1alpha1.EFSVolumeConfiguration{
			FileSystemID: "FS_Upper", RootDirectory: "/exports/app/", TransitEncryption: "ENABLED",
			AuthorizationConfig: &ecsv1alpha1.EFSAuthorizationConfig{AccessPointID: "fsap-1", IAM: "ENABLED"}}},
			want:      corev1.Volume{Name: "shared", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "fs-upper"}}},
			wantSub:   "exports/app",
			wantNotes: []string{"volumes[0].efsVolumeConfiguration: transitEncryption and authorizationConfig: set them on the PersistentVolume of claim fs-upper (for the EFS CSI driver, an access point goes in its volumeHandle); ignored here"}},
		{name: "FSx is not available", vol: ecsv1alpha1.Volume{Name: "win", FSxWindowsFileServerVolumeConfiguration: &ecsv1alpha1.FSxWindowsFileServerVolumeConfiguration{FileSystemID: "fs-1", RootDirectory: `\share`}},
			want:      corev1.Volume{Name: "win", VolumeSource: emptyDirSource},
			wantNotes: []string{"volumes[0].fsxWindowsFileServerVolumeConfiguration: FSx for Windows File Server is not available on Kubernetes; the volume is an empty emptyDir"}},
		{name: "configured at launch is not supported yet", vol: ecsv1alpha1.Volume{Name: "ebs", ConfiguredAtLaunch: ptr.To(true)},
			want:      corev1.Volume{Name: "ebs", VolumeSource: emptyDirSource},
			wantNotes: []string{"volumes[0].configuredAtLaunch: volumes configured at launch are not supported yet; the volume is an empty emptyDir"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := spec("", ctr("web", mounts(mount(tt.vol.Name, "/data", false))))
			s.Volumes = []ecsv1alpha1.Volume{tt.vol}
			res := mustBuild(t, taskdef.Input{Spec: s})
			if diff := cmp.Diff([]corev1.Volume{tt.want}, res.PodSpec.Volumes); diff != "" {
				t.Errorf("volumes (-want +got):\n%s", diff)
			}
			wantMounts := []corev1.VolumeMount{{Name: tt.want.Name, MountPath: "/data", SubPath: tt.wantSub}}
			if diff := cmp.Diff(wantMounts, container(t, res, "web").VolumeMounts); diff != "" {
				t.Errorf("mounts (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantNotes, res.Unsupported); diff != "" {
				t.Errorf("notes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVolumeNames(t *testing.T) {
	s := spec("", ctr("web", mounts(mount("My_Data", "/a", false), mount("my-data", "/b", false), mount("MY.DATA", "/c", true))))
	s.Volumes = []ecsv1alpha1.Volume{{Name: "My_Data"}, {Name: "my-data"}, {Name: "MY.DATA"}}
	res := mustBuild(t, taskdef.Input{Spec: s})
	want := []corev1.VolumeMount{
		{Name: "my-data-2", MountPath: "/a"},
		{Name: "my-data", MountPath: "/b"},
		{Name: "my-data-3", MountPath: "/c", ReadOnly: true},
	}
	if diff := cmp.Diff(want, container(t, res, "web").VolumeMounts); diff != "" {
		t.Errorf("mounts (-want +got):\n%s", diff)
	}
	var names []string
	for _, v := range res.PodSpec.Volumes {
		names = append(names, v.Name)
	}
	if diff := cmp.Diff([]string{"my-data-2", "my-data", "my-data-3"}, names); diff != "" {
		t.Errorf("volume names (-want +got):\n%s", diff)
	}
}

func TestMountsAndVolumesFrom(t *testing.T) {
	vols := []ecsv1alpha1.Volume{{Name: "data"}, {Name: "logs"}, {Name: "conf"}}
	tests := []struct {
		name      string
		defs      []ecsv1alpha1.ContainerDefinition
		want      map[string][]corev1.VolumeMount
		wantNotes []string
	}{
		{name: "mountPoints with readOnly",
			defs: []ecsv1alpha1.ContainerDefinition{ctr("web", mounts(mount("data", "/data", false), mount("conf", "/etc/app", true)))},
			want: map[string][]corev1.VolumeMount{"web": {{Name: "data", MountPath: "/data"}, {Name: "conf", MountPath: "/etc/app", ReadOnly: true}}}},
		{name: "volumesFrom mounts every volume of the source at the same paths",
			defs: []ecsv1alpha1.ContainerDefinition{
				ctr("web", mounts(mount("data", "/data", false), mount("conf", "/etc/app", true))),
				ctr("shipper", volumesFrom("web", false))},
			want: map[string][]corev1.VolumeMount{
				"web":     {{Name: "data", MountPath: "/data"}, {Name: "conf", MountPath: "/etc/app", ReadOnly: true}},
				"shipper": {{Name: "data", MountPath: "/data"}, {Name: "conf", MountPath: "/etc/app", ReadOnly: true}}}},
		{name: "readOnly volumesFrom makes them all read-only",
			defs: []ecsv1alpha1.ContainerDefinition{
				ctr("web", mounts(mount("data", "/data", false))),
				ctr("shipper", volumesFrom("web", true))},
			want: map[string][]corev1.VolumeMount{
				"web":     {{Name: "data", MountPath: "/data"}},
				"shipper": {{Name: "data", MountPath: "/data", ReadOnly: true}}}},
		{name: "volumesFrom is transitive, and loops end",
			defs: []ecsv1alpha1.ContainerDefinition{
				ctr("a", mounts(mount("data", "/data", false)), volumesFrom("c", false)),
				ctr("b", mounts(mount("logs", "/logs", false)), volumesFrom("a", false)),
				ctr("c", volumesFrom("b", true))},
			want: map[string][]corev1.VolumeMount{
				"a": {{Name: "data", MountPath: "/data"}, {Name: "logs", MountPath: "/logs", ReadOnly: true}},
				"b": {{Name: "logs", MountPath: "/logs"}, {Name: "data", MountPath: "/data"}},
				"c": {{Name: "logs", MountPath: "/logs", ReadOnly: true}, {Name: "data", MountPath: "/data", ReadOnly: true}}}},
		{name: "a second mount at the same path is dropped",
			defs: []ecsv1alpha1.ContainerDefinition{
				ctr("web", mounts(mount("data", "/data", false))),
				ctr("shipper", mounts(mount("logs", "/data", false)), volumesFrom("web", false))},
			want: map[string][]corev1.VolumeMount{
				"web":     {{Name: "data", MountPath: "/data"}},
				"shipper": {{Name: "logs", MountPath: "/data"}}},
			wantNotes: []string{"containerDefinitions[1].volumesFrom[0]: /data is already mounted in the container; ignored"}},
		{name: "unusable mount points and sources are noted",
			defs: []ecsv1alpha1.ContainerDefinition{ctr("web", mounts(mount("", "/x", false), mount("data", "", false)), volumesFrom("ghost", false))},
			want: map[string][]corev1.VolumeMount{"web": nil},
			wantNotes: []string{
				"containerDefinitions[0].mountPoints[0]: needs a sourceVolume naming one of the task's volumes and a containerPath; ignored",
				"containerDefinitions[0].mountPoints[1]: needs a sourceVolume naming one of the task's volumes and a containerPath; ignored",
				`containerDefinitions[0].volumesFrom[0]: "ghost" is not a container in the task definition; ignored`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := spec("", tt.defs...)
			s.Volumes = vols
			res := mustBuild(t, taskdef.Input{Spec: s})
			for name, want := range tt.want {
				if diff := cmp.Diff(want, container(t, res, name).VolumeMounts); diff != "" {
					t.Errorf("%s mounts (-want +got):\n%s", name, diff)
				}
			}
			if diff := cmp.Diff(tt.wantNotes, res.Unsupported); diff != "" {
				t.Errorf("notes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSharedMemoryAndTmpfs(t *testing.T) {
	s := spec("", ctr("Web_1", func(c *ecsv1alpha1.ContainerDefinition) {
		c.LinuxParameters = &ecsv1alpha1.LinuxParameters{
			SharedMemorySize: ptr.To[int32](256),
			Tmpfs: []ecsv1alpha1.Tmpfs{
				{ContainerPath: "/tmp", Size: 64},
				{ContainerPath: "/run", Size: 8, MountOptions: []string{"noexec"}},
			},
		}
	}))
	s.Volumes = []ecsv1alpha1.Volume{{Name: "web-1-shm"}} // takes the name the shm volume would get
	res := mustBuild(t, taskdef.Input{Spec: s})
	wantVolumes := []corev1.Volume{
		{Name: "web-1-shm", VolumeSource: emptyDirSource},
		{Name: "web-1-shm-2", VolumeSource: memoryDir(256)},
		{Name: "web-1-tmpfs-0", VolumeSource: memoryDir(64)},
		{Name: "web-1-tmpfs-1", VolumeSource: memoryDir(8)},
	}
	if diff := cmp.Diff(wantVolumes, res.PodSpec.Volumes); diff != "" {
		t.Errorf("volumes (-want +got):\n%s", diff)
	}
	wantMounts := []corev1.VolumeMount{
		{Name: "web-1-shm-2", MountPath: "/dev/shm"},
		{Name: "web-1-tmpfs-0", MountPath: "/tmp"},
		{Name: "web-1-tmpfs-1", MountPath: "/run"},
	}
	if diff := cmp.Diff(wantMounts, container(t, res, "web-1").VolumeMounts); diff != "" {
		t.Errorf("mounts (-want +got):\n%s", diff)
	}
	wantNotes := []string{"containerDefinitions[0].linuxParameters.tmpfs[1].mountOptions: Kubernetes sets no mount options on emptyDir volumes; ignored"}
	if diff := cmp.Diff(wantNotes, res.Unsupported); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
}
