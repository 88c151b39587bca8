package apprunner

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
)

func TestCertificateName(t *testing.T) {
	long := strings.Repeat("n", 63)
	tests := []struct {
		namespace, name string
		// want is the whole name, or the 54 characters before "-<hash>" when it is cut.
		want string
		cut  bool
	}{
		{"team-a", "web", "apprunner-team-a-web", false},
		{"ns", strings.Repeat("s", 50), "apprunner-ns-" + strings.Repeat("s", 50), false}, // 63 exactly
		{"ns", strings.Repeat("s", 51), "apprunner-ns-" + strings.Repeat("s", 41), true},
		{long, "web", "apprunner-" + strings.Repeat("n", 44), true},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		got := CertificateName(tt.namespace, tt.name)
		if tt.cut {
			if len(got) != 63 || !strings.HasPrefix(got, tt.want+"-") {
				t.Errorf("CertificateName(%q, %q) = %q, want %q-<hash> (63 characters)", tt.namespace, tt.name, got, tt.want)
			}
		} else if got != tt.want {
			t.Errorf("CertificateName(%q, %q) = %q, want %q", tt.namespace, tt.name, got, tt.want)
		}
		if errs := validation.IsDNS1123Label(got); len(errs) > 0 {
			t.Errorf("CertificateName(%q, %q) = %q: not a DNS label: %v", tt.namespace, tt.name, got, errs)
		}
		if seen[got] {
			t.Errorf("CertificateName(%q, %q) = %q twice", tt.namespace, tt.name, got)
		}
		seen[got] = true
	}
	// Long names that share their first 54 characters still differ.
	a, b := CertificateName(long, "a"), CertificateName(long, "b")
	if a == b || len(a) != 63 {
		t.Errorf("long names %q and %q: want distinct names of 63 characters", a, b)
	}
	if got := CertificateName(long, "a"); got != a {
		t.Errorf("CertificateName is not deterministic: %q then %q", a, got)
	}
}

func TestParseIssuerRef(t *testing.T) {
	tests := []struct {
		in      string
		want    IssuerRef
		wantErr bool
	}{
		{in: "ClusterIssuer/letsencrypt", want: IssuerRef{Name: "letsencrypt", Kind: "ClusterIssuer", Group: "cert-manager.io"}},
		{in: "Issuer/ca", want: IssuerRef{Name: "ca", Kind: "Issuer", Group: "cert-manager.io"}},
		{in: "ClusterIssuer.cert-manager.io/ca", want: IssuerRef{Name: "ca", Kind: "ClusterIssuer", Group: "cert-manager.io"}},
		{in: "AWSPCAClusterIssuer.awspca.cert-manager.io/pca", want: IssuerRef{Name: "pca", Kind: "AWSPCAClusterIssuer", Group: "awspca.cert-manager.io"}},
		{in: "letsencrypt", wantErr: true},
		{in: "Certificate/x", wantErr: true},
		{in: "ClusterIssuer/", wantErr: true},
		{in: "/x", wantErr: true},
		{in: "ClusterIssuer/Bad_Name", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseIssuerRef(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseIssuerRef(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseIssuerRef(%q) (-want +got):\n%s", tt.in, diff)
		}
		if !tt.wantErr {
			if back, err := ParseIssuerRef(got.String()); err != nil || back != got {
				t.Errorf("ParseIssuerRef(%q.String() = %q) = %+v, %v", tt.in, got.String(), back, err)
			}
		}
	}
}

func TestMakeCertificate(t *testing.T) {
	svc := &apprunnerv1alpha1.AppRunnerService{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "web"}}
	tests := []struct {
		name       string
		issuer     IssuerRef
		wantIssuer map[string]any
	}{
		{"defaults", IssuerRef{Name: "le"}, map[string]any{"name": "le", "kind": "ClusterIssuer", "group": "cert-manager.io"}},
		{"namespaced issuer", IssuerRef{Name: "ca", Kind: "Issuer"}, map[string]any{"name": "ca", "kind": "Issuer", "group": "cert-manager.io"}},
		{"external issuer", IssuerRef{Name: "pca", Kind: "AWSPCAClusterIssuer", Group: "awspca.cert-manager.io"},
			map[string]any{"name": "pca", "kind": "AWSPCAClusterIssuer", "group": "awspca.cert-manager.io"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MakeCertificate(svc, "apps.example.com", "kube-ecs-system", tt.issuer)
			want := map[string]any{
				"apiVersion": "cert-manager.io/v1",
				"kind":       "Certificate",
				"metadata": map[string]any{
					"name": "apprunner-team-a-web", "namespace": "kube-ecs-system",
					"labels": map[string]any{
						"apprunner.kube-ecs.io/service-namespace": "team-a",
						"apprunner.kube-ecs.io/service":           "web",
						"app.kubernetes.io/managed-by":            "kube-ecs",
					},
				},
				"spec": map[string]any{
					"secretName":     "apprunner-team-a-web",
					"dnsNames":       []any{"web.team-a.apps.example.com"},
					"issuerRef":      tt.wantIssuer,
					"secretTemplate": map[string]any{"labels": map[string]any{"apprunner.kube-ecs.io/certificate": "true"}},
				},
			}
			if diff := cmp.Diff(want, got.Object); diff != "" {
				t.Errorf("MakeCertificate (-want +got):\n%s", diff)
			}
			if !CertificateOf(got, svc) {
				t.Error("CertificateOf(MakeCertificate(svc), svc) = false")
			}
			other := svc.DeepCopy()
			other.Namespace = "team"
			if CertificateOf(got, other) {
				t.Error("CertificateOf matched another service")
			}
		})
	}
}
