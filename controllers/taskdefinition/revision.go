package taskdefinition

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
)

// Labels and annotations of revisions.
const (
	// SpecHashLabel is the hash of a revision's registered spec.
	SpecHashLabel = ecsv1alpha1.LabelPrefix + "spec-hash"
	// DeregisteredAtAnnotation records when a revision was deregistered.
	DeregisteredAtAnnotation = ecsv1alpha1.LabelPrefix + "deregistered-at"
)

// RegisteredSpec is the part of a TaskDefinition spec that a revision registers: the spec
// without the read-only describe fields and without the family's own bookkeeping
// (deregisteredRevisions), so that neither makes a new revision.
func RegisteredSpec(spec *ecsv1alpha1.TaskDefinitionSpec) *ecsv1alpha1.TaskDefinitionSpec {
	s := spec.DeepCopy()
	s.Family = ""
	s.DeregisteredRevisions = nil
	s.TaskDefinitionArn = ""
	s.Revision = nil
	s.Status = ""
	s.RequiresAttributes = nil
	s.Compatibilities = nil
	s.RegisteredAt = ""
	s.DeregisteredAt = ""
	s.RegisteredBy = ""
	return s
}

// Hash is a short, stable hash of a registered spec.
func Hash(registered *ecsv1alpha1.TaskDefinitionSpec) (string, []byte, error) {
	data, err := json.Marshal(registered)
	if err != nil {
		return "", nil, fmt.Errorf("encoding the task definition: %w", err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])[:16], data, nil
}

// RevisionName is the name of the ControllerRevision holding revision n of family.
func RevisionName(family string, n int32) string {
	return family + "-" + strconv.Itoa(int(n))
}

// MakeRevision builds the ControllerRevision that registers data as revision n of td.
func MakeRevision(td *ecsv1alpha1.TaskDefinition, n int32, hash string, data []byte) *appsv1.ControllerRevision {
	return &appsv1.ControllerRevision{
		TypeMeta: metav1.TypeMeta{APIVersion: appsv1.SchemeGroupVersion.String(), Kind: "ControllerRevision"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      RevisionName(td.Name, n),
			Namespace: td.Namespace,
			Labels: map[string]string{
				ecsv1alpha1.FamilyLabel:   td.Name,
				ecsv1alpha1.RevisionLabel: strconv.Itoa(int(n)),
				SpecHashLabel:             hash,
			},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(td, ecsv1alpha1.GroupVersion.WithKind("TaskDefinition"))},
		},
		Data:     runtime.RawExtension{Raw: data},
		Revision: int64(n),
	}
}

// Decode returns the task definition spec a ControllerRevision registers.
func Decode(cr *appsv1.ControllerRevision) (*ecsv1alpha1.TaskDefinitionSpec, error) {
	spec := &ecsv1alpha1.TaskDefinitionSpec{}
	if err := json.Unmarshal(cr.Data.Raw, spec); err != nil {
		return nil, fmt.Errorf("decoding revision %s: %w", cr.Name, err)
	}
	return spec, nil
}
