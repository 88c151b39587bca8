package task

import (
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// Attachment types and statuses, as ECS reports an awsvpc task's network interface.
const (
	ENIAttachment        = "ElasticNetworkInterface"
	AttachmentPrecreated = "PRECREATED"
	AttachmentAttached   = "ATTACHED"
	AttachmentDetached   = "DETACHED"
)

// maxOverridesLength is ECS's limit on a RunTask's overrides, JSON included.
const maxOverridesLength = 8192

// checkOverrides applies ECS's RunTask limit on the size of the overrides.
func checkOverrides(o *ecsv1alpha1.TaskOverride) error {
	if o == nil {
		return nil
	}
	data, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("encoding the overrides: %w", err)
	}
	if len(data) > maxOverridesLength {
		return fmt.Errorf("InvalidParameterException: Container Overrides length must be at most %d (these are %d characters)", maxOverridesLength, len(data))
	}
	return nil
}

// updateAttachments reports the network interface of an awsvpc task: ATTACHED with the pod's
// address once it has one, DETACHED once the task stopped.
func updateAttachments(st *ecsv1alpha1.TaskStatus, pod *corev1.Pod) {
	for i := range st.Attachments {
		a := &st.Attachments[i]
		if a.Type != ENIAttachment {
			continue
		}
		switch {
		case st.LastStatus == ecsv1alpha1.TaskStopped:
			a.Status = AttachmentDetached
		case pod != nil && pod.Status.PodIP != "":
			a.Status = AttachmentAttached
			a.Details = []ecsv1alpha1.KeyValuePair{
				{Name: "networkInterfaceId", Value: "eni-" + shortID(a.ID)},
				{Name: "privateIPv4Address", Value: pod.Status.PodIP},
			}
		}
	}
}

// shortID is the first 17 hex characters of an id, as long as an ENI id's.
func shortID(id string) string {
	var out []byte
	for i := 0; i < len(id) && len(out) < 17; i++ {
		if c := id[i]; c != '-' {
			out = append(out, c)
		}
	}
	return string(out)
}
