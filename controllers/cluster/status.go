package cluster

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// maxNamed is how many remaining objects a blocked deletion names before "and N more".
const maxNamed = 10

// members is what names a cluster: read from the cache, judged by the pure functions here.
type members struct {
	services  []ecsv1alpha1.Service
	tasks     []ecsv1alpha1.Task
	pods      []corev1.Pod // the pods of the services' tasks
	instances []ecsv1alpha1.ContainerInstance
}

// taskClass is how a task (a Task, or a pod of a service) counts in its cluster.
type taskClass int

const (
	// taskStopped neither counts nor blocks a deletion.
	taskStopped taskClass = iota
	// taskPending counts in pendingTasksCount.
	taskPending
	// taskRunning counts in runningTasksCount.
	taskRunning
	// taskStopping counts in neither but is not STOPPED yet: it blocks a deletion.
	taskStopping
)

// ClusterName returns the cluster name a Task's, Service's or ContainerInstance's cluster
// field refers to: a name, a cluster ARN, or empty for "default".
func ClusterName(ref string) string {
	if ref == "" {
		return ecsv1alpha1.DefaultClusterName
	}
	if i := strings.LastIndex(ref, ":cluster/"); i >= 0 && strings.HasPrefix(ref, "arn:") {
		return ref[i+len(":cluster/"):]
	}
	return ref
}

// classOfTask classifies a standalone Task by its lastStatus. A task the task controller has
// not seen yet has none: ECS would call it PROVISIONING.
func classOfTask(t *ecsv1alpha1.Task) taskClass {
	switch t.Status.LastStatus {
	case ecsv1alpha1.TaskRunning:
		return taskRunning
	case "", ecsv1alpha1.TaskProvisioning, ecsv1alpha1.TaskPending, ecsv1alpha1.TaskActivating:
		return taskPending
	case ecsv1alpha1.TaskStopped:
		return taskStopped
	default: // DEACTIVATING, STOPPING, DEPROVISIONING
		return taskStopping
	}
}

// classOfPod classifies a service's pod: RUNNING once it runs with every container started,
// PENDING before, stopping while it is deleted (or its node is lost), STOPPED when it ended.
func classOfPod(p *corev1.Pod) taskClass {
	switch {
	case p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed:
		return taskStopped
	case p.DeletionTimestamp != nil || p.Status.Phase == corev1.PodUnknown:
		return taskStopping
	case p.Status.Phase == corev1.PodRunning && allStarted(p):
		return taskRunning
	default:
		return taskPending
	}
}

func allStarted(p *corev1.Pod) bool {
	started := map[string]bool{}
	for _, s := range p.Status.ContainerStatuses {
		// started is set by the kubelet once startup probes pass; a runtime (or kwok) that
		// does not set it still reports the container running.
		started[s.Name] = (s.Started != nil && *s.Started) || (s.Started == nil && s.State.Running != nil)
	}
	for _, c := range p.Spec.Containers {
		if !started[c.Name] {
			return false
		}
	}
	return true
}

// taskCounts returns runningTasksCount and pendingTasksCount.
func taskCounts(m members) (running, pending int32) {
	count := func(c taskClass) {
		switch c {
		case taskRunning:
			running++
		case taskPending:
			pending++
		}
	}
	for i := range m.tasks {
		count(classOfTask(&m.tasks[i]))
	}
	for i := range m.pods {
		count(classOfPod(&m.pods[i]))
	}
	return running, pending
}

// activeServices counts the services that are not being deleted (DRAINING in ECS).
func activeServices(m members) int32 {
	var n int32
	for _, s := range m.services {
		if s.DeletionTimestamp == nil {
			n++
		}
	}
	return n
}

// blocker is why a cluster's deletion waits: ECS's exception and its message.
type blocker struct {
	reason  string
	message string
}

// deletionBlocker returns what DeleteCluster would fail with, in ECS's order: services
// (active or draining), then tasks that are not STOPPED, then container instances. It
// returns nil when the cluster can go.
func deletionBlocker(m members) *blocker {
	var services, tasks, instances []string
	for _, s := range m.services {
		services = append(services, "service "+s.Name)
	}
	if len(services) > 0 {
		return newBlocker(ecsv1alpha1.ClusterContainsServicesReason, "The Cluster cannot be deleted while Services are active.", services)
	}
	for i := range m.tasks {
		if classOfTask(&m.tasks[i]) != taskStopped {
			tasks = append(tasks, "task "+m.tasks[i].Name)
		}
	}
	for i := range m.pods {
		if classOfPod(&m.pods[i]) != taskStopped {
			tasks = append(tasks, "task "+m.pods[i].Name)
		}
	}
	if len(tasks) > 0 {
		return newBlocker(ecsv1alpha1.ClusterContainsTasksReason, "The Cluster cannot be deleted while Tasks are active.", tasks)
	}
	for _, ci := range m.instances {
		instances = append(instances, "container instance "+ci.Name)
	}
	if len(instances) > 0 {
		return newBlocker(ecsv1alpha1.ClusterContainsContainerInstancesReason, "The Cluster cannot be deleted while Container Instances are active or draining.", instances)
	}
	return nil
}

func newBlocker(reason, sentence string, remaining []string) *blocker {
	return &blocker{reason: reason, message: fmt.Sprintf("%s: %s Remaining: %s", reason, sentence, listNames(remaining))}
}

// listNames lists names sorted (so that the message changes only when they do), at most
// maxNamed of them.
func listNames(names []string) string {
	names = slices.Sorted(slices.Values(names))
	if len(names) <= maxNamed {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:maxNamed], ", "), len(names)-maxNamed)
}

// setStatus computes the cluster's status from its members. It returns what blocks the
// deletion of a cluster being deleted; nil when it is not being deleted or nothing blocks.
func setStatus(c *ecsv1alpha1.Cluster, m members, clusterArn string, now metav1.Time) *blocker {
	st := &c.Status
	st.ClusterArn = clusterArn
	st.CapacityProviders = slices.Clone(c.Spec.CapacityProviders)
	st.RegisteredContainerInstancesCount = int32(len(m.instances))
	st.RunningTasksCount, st.PendingTasksCount = taskCounts(m)
	st.ActiveServicesCount = activeServices(m)
	if c.DeletionTimestamp.IsZero() {
		st.Status = ecsv1alpha1.ClusterActive
		setCondition(c, ecsv1alpha1.ReadyCondition, metav1.ConditionTrue, ecsv1alpha1.ClusterActiveReason, "the cluster is ACTIVE", now)
		meta.RemoveStatusCondition(&st.Conditions, ecsv1alpha1.DeletingCondition)
		return nil
	}
	st.Status = ecsv1alpha1.ClusterDeprovisioning
	b := deletionBlocker(m)
	if b != nil {
		setCondition(c, ecsv1alpha1.ReadyCondition, metav1.ConditionFalse, b.reason, b.message, now)
		setCondition(c, ecsv1alpha1.DeletingCondition, metav1.ConditionTrue, b.reason, b.message, now)
	}
	return b
}

func setCondition(c *ecsv1alpha1.Cluster, t string, s metav1.ConditionStatus, reason, msg string, now metav1.Time) {
	meta.SetStatusCondition(&c.Status.Conditions, metav1.Condition{
		Type: t, Status: s, Reason: reason, Message: msg, ObservedGeneration: c.Generation, LastTransitionTime: now,
	})
}
