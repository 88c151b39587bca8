package apprunner

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
)

// The service certificates cert-manager issues when the manager has an issuer (docs/activator.md).
const (
	// CertificateLabel=true marks the Secrets cert-manager writes for service certificates:
	// the activator watches the Secrets of its namespace with this label.
	CertificateLabel = "apprunner.kube-ecs.io/certificate"
	// CertificateServiceNamespaceLabel and CertificateServiceNameLabel on a Certificate
	// name its AppRunnerService (it lives in the activators' namespace: no owner reference).
	CertificateServiceNamespaceLabel = "apprunner.kube-ecs.io/service-namespace"
	CertificateServiceNameLabel      = ServiceLabel
	// CertificateFinalizer on an AppRunnerService: its Certificate and Secret are deleted
	// before it is.
	CertificateFinalizer = "apprunner.kube-ecs.io/certificate"
	// CertManagerGroup is cert-manager's API group, the default group of issuers.
	CertManagerGroup = "cert-manager.io"
	// ClusterIssuerKind is the default kind of issuers.
	ClusterIssuerKind = "ClusterIssuer"
	// IssuerKind is a namespaced issuer (in the activators' namespace, with the Certificates).
	IssuerKind = "Issuer"
	// certificatePrefix starts the name of every service Certificate.
	certificatePrefix = "apprunner-"
)

// CertificateGVK is the kind of cert-manager's Certificates.
var CertificateGVK = schema.GroupVersionKind{Group: CertManagerGroup, Version: "v1", Kind: "Certificate"}

// IssuerRef is the cert-manager issuer of service certificates.
type IssuerRef struct {
	Name  string
	Kind  string
	Group string
}

// String is the flag format ParseIssuerRef reads: <kind>/<name>, or <kind>.<group>/<name>
// when the group is not cert-manager.io.
func (i IssuerRef) String() string {
	if i.Group == "" || i.Group == CertManagerGroup {
		return i.Kind + "/" + i.Name
	}
	return i.Kind + "." + i.Group + "/" + i.Name
}

// ParseIssuerRef reads <kind>/<name> or <kind>.<group>/<name> (as kubectl names a resource
// of a group: ClusterIssuer/letsencrypt, AWSPCAClusterIssuer.awspca.cert-manager.io/pca).
// The group defaults to cert-manager.io, where kind must be Issuer or ClusterIssuer.
func ParseIssuerRef(s string) (IssuerRef, error) {
	kindGroup, name, ok := strings.Cut(s, "/")
	if !ok || name == "" || kindGroup == "" {
		return IssuerRef{}, fmt.Errorf("issuer %q: want <kind>/<name> or <kind>.<group>/<name>", s)
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return IssuerRef{}, fmt.Errorf("issuer %q: invalid name: %s", s, strings.Join(errs, "; "))
	}
	kind, group, _ := strings.Cut(kindGroup, ".")
	if group == "" {
		group = CertManagerGroup
	}
	if errs := validation.IsDNS1123Subdomain(group); len(errs) > 0 {
		return IssuerRef{}, fmt.Errorf("issuer %q: invalid group: %s", s, strings.Join(errs, "; "))
	}
	if group == CertManagerGroup && kind != IssuerKind && kind != ClusterIssuerKind {
		return IssuerRef{}, fmt.Errorf("issuer %q: the kind of a cert-manager.io issuer is %s or %s", s, IssuerKind, ClusterIssuerKind)
	}
	if kind == "" {
		return IssuerRef{}, fmt.Errorf("issuer %q: no kind", s)
	}
	return IssuerRef{Name: name, Kind: kind, Group: group}, nil
}

// CertificateName is the name of the Certificate of service name in namespace, and of the
// Secret cert-manager writes: apprunner-<namespace>-<name>, cut to 63 characters with a hash
// of both when longer (cert-manager derives label values and other names from it).
func CertificateName(namespace, name string) string {
	full := certificatePrefix + namespace + "-" + name
	if len(full) <= validation.DNS1123LabelMaxLength {
		return full
	}
	sum := sha256.Sum256([]byte(namespace + "/" + name))
	suffix := "-" + hex.EncodeToString(sum[:])[:8]
	return strings.TrimRight(full[:validation.DNS1123LabelMaxLength-len(suffix)], "-.") + suffix
}

// MakeCertificate is the cert-manager Certificate of svc's host, in the activators'
// namespace: its Secret (of the same name) is labelled CertificateLabel=true for the
// activator, and its labels name the service.
func MakeCertificate(svc *apprunnerv1alpha1.AppRunnerService, domain, namespace string, issuer IssuerRef) *unstructured.Unstructured {
	name := CertificateName(svc.Namespace, svc.Name)
	group := issuer.Group
	if group == "" {
		group = CertManagerGroup
	}
	kind := issuer.Kind
	if kind == "" {
		kind = ClusterIssuerKind
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{
			"name": name, "namespace": namespace,
			"labels": map[string]any{
				CertificateServiceNamespaceLabel: svc.Namespace,
				CertificateServiceNameLabel:      svc.Name,
				ManagedByLabel:                   ManagedByValue,
			},
		},
		"spec": map[string]any{
			"secretName": name,
			"dnsNames":   []any{Host(svc.Name, svc.Namespace, domain)},
			"issuerRef":  map[string]any{"name": issuer.Name, "kind": kind, "group": group},
			"secretTemplate": map[string]any{
				"labels": map[string]any{CertificateLabel: "true"},
			},
		},
	}}
	u.SetGroupVersionKind(CertificateGVK)
	return u
}

// CertificateOf says whether the Certificate's labels name svc.
func CertificateOf(u *unstructured.Unstructured, svc *apprunnerv1alpha1.AppRunnerService) bool {
	l := u.GetLabels()
	return l[CertificateServiceNamespaceLabel] == svc.Namespace && l[CertificateServiceNameLabel] == svc.Name
}
