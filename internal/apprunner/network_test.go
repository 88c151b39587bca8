package apprunner

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
)

const connectorArn = "arn:aws:apprunner:us-east-1:123456789012:vpcconnector/my-connector/1/abc"

func withEgress(egressType, arn string) func(*apprunnerv1alpha1.AppRunnerService) {
	return func(s *apprunnerv1alpha1.AppRunnerService) {
		s.Spec.NetworkConfiguration = &apprunnerv1alpha1.NetworkConfiguration{
			EgressConfiguration: &apprunnerv1alpha1.EgressConfiguration{EgressType: egressType, VpcConnectorArn: arn},
		}
	}
}

func connectorConfigMap(name string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "team-a", Labels: map[string]string{VpcConnectorLabel: "true"}},
		Data:       data,
	}
}

func TestVpcConnectorName(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  string
	}{
		{connectorArn, "my-connector", ""},
		{"arn:aws:apprunner:eu-west-1:123456789012:vpcconnector/db-access", "db-access", ""},
		{"db-access", "db-access", ""},
		{"", "", "needs vpcConnectorArn"},
		{"arn:aws:apprunner:us-east-1:123456789012:service/web/1", "", "its resource is not vpcconnector"},
		{"arn:aws:apprunner", "", "not an ARN of a VPC connector"},
		{"arn:aws:apprunner:us-east-1:123456789012:vpcconnector/My_Connector/1/abc", "", "not a ConfigMap name"},
	}
	for _, tt := range tests {
		got, err := VpcConnectorName(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("VpcConnectorName(%q) error %v, want one containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("VpcConnectorName(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestParseVpcConnector(t *testing.T) {
	tests := []struct {
		name    string
		data    map[string]string
		want    *VpcConnector
		wantErr string
	}{
		{"empty", nil, &VpcConnector{Name: "c"}, ""},
		{"CIDRs by commas, spaces and lines; canonical, sorted, once",
			map[string]string{"cidrs": "10.1.0.0/16, 10.0.0.5/8\n192.168.1.0/24\n\n10.1.0.0/16 fd00::/8"},
			&VpcConnector{Name: "c", CIDRs: []string{"10.0.0.0/8", "10.1.0.0/16", "192.168.1.0/24", "fd00::/8"}}, ""},
		{"selectors", map[string]string{"namespaceSelector": "team=data", "podSelector": "app=db,tier in (primary,replica)"},
			&VpcConnector{Name: "c",
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "data"}},
				PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}, MatchExpressions: []metav1.LabelSelectorRequirement{
					{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"primary", "replica"}},
				}}}, ""},
		{"bad CIDR", map[string]string{"cidrs": "10.0.0.0/16,10.0.0.300/24"}, nil, `cidrs: "10.0.0.300/24" is not a CIDR`},
		{"bad selector", map[string]string{"podSelector": "tier in (a"}, nil, "podSelector"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseVpcConnector(connectorConfigMap("c", tt.data))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestEgressFor(t *testing.T) {
	svc := newService(withEgress("VPC", connectorArn))
	unlabelled := connectorConfigMap("my-connector", map[string]string{"cidrs": "10.0.0.0/16"})
	unlabelled.Labels = nil
	tests := []struct {
		name       string
		svc        *apprunnerv1alpha1.AppRunnerService
		cm         *corev1.ConfigMap
		wantReason string
		wantMsg    string
	}{
		{"found", svc, connectorConfigMap("my-connector", map[string]string{"cidrs": "10.0.0.0/16"}), "", ""},
		{"missing", svc, nil, apprunnerv1alpha1.VpcConnectorNotFoundReason,
			"create ConfigMap team-a/my-connector labelled apprunner.kube-ecs.io/vpc-connector=true"},
		{"not labelled as a connector", svc, unlabelled, apprunnerv1alpha1.VpcConnectorNotFoundReason, "create ConfigMap team-a/my-connector"},
		{"invalid", svc, connectorConfigMap("my-connector", map[string]string{"cidrs": "nope"}), apprunnerv1alpha1.VpcConnectorInvalidReason,
			`VPC connector ConfigMap team-a/my-connector: cidrs: "nope" is not a CIDR`},
		{"no ARN", newService(withEgress("VPC", "")), nil, apprunnerv1alpha1.VpcConnectorInvalidReason, "needs vpcConnectorArn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eg := EgressFor(tt.svc, tt.cm)
			if eg.Reason != tt.wantReason || !strings.Contains(eg.Message, tt.wantMsg) {
				t.Errorf("got %s %q, want %s containing %q", eg.Reason, eg.Message, tt.wantReason, tt.wantMsg)
			}
			if (eg.Connector != nil) != (tt.wantReason == "") {
				t.Errorf("connector %+v with reason %q", eg.Connector, eg.Reason)
			}
		})
	}
}

func TestMakeEgressPolicy(t *testing.T) {
	udp, tcp := corev1.ProtocolUDP, corev1.ProtocolTCP
	dnsPort := intstr.FromInt32(53)
	dnsRule := networkingv1.NetworkPolicyEgressRule{
		To: []networkingv1.NetworkPolicyPeer{{
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "kube-system"}},
			PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}},
		}},
		Ports: []networkingv1.NetworkPolicyPort{{Protocol: &udp, Port: &dnsPort}, {Protocol: &tcp, Port: &dnsPort}},
	}
	dbPods := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}
	dataNamespaces := &metav1.LabelSelector{MatchLabels: map[string]string{"team": "data"}}
	tests := []struct {
		name string
		svc  *apprunnerv1alpha1.AppRunnerService
		eg   Egress
		want []networkingv1.NetworkPolicyEgressRule // nil: no policy
	}{
		{"no network configuration: none", newService(), Egress{}, nil},
		{"DEFAULT: none", newService(withEgress("DEFAULT", connectorArn)), Egress{}, nil},
		{"VPC, missing connector: DNS only", newService(withEgress("VPC", connectorArn)),
			Egress{Reason: apprunnerv1alpha1.VpcConnectorNotFoundReason}, []networkingv1.NetworkPolicyEgressRule{dnsRule}},
		{"VPC, connector allows nothing: DNS only (a rule without peers would allow all)", newService(withEgress("VPC", connectorArn)),
			Egress{Connector: &VpcConnector{Name: "my-connector"}}, []networkingv1.NetworkPolicyEgressRule{dnsRule}},
		{"VPC with CIDRs", newService(withEgress("VPC", connectorArn)),
			Egress{Connector: &VpcConnector{Name: "my-connector", CIDRs: []string{"10.0.0.0/16", "192.168.0.0/24"}}},
			[]networkingv1.NetworkPolicyEgressRule{dnsRule, {To: []networkingv1.NetworkPolicyPeer{
				{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/16"}}, {IPBlock: &networkingv1.IPBlock{CIDR: "192.168.0.0/24"}},
			}}}},
		{"VPC with CIDRs and selectors", newService(withEgress("VPC", connectorArn)),
			Egress{Connector: &VpcConnector{Name: "my-connector", CIDRs: []string{"10.0.0.0/16"}, NamespaceSelector: dataNamespaces, PodSelector: dbPods}},
			[]networkingv1.NetworkPolicyEgressRule{dnsRule, {To: []networkingv1.NetworkPolicyPeer{
				{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/16"}}, {NamespaceSelector: dataNamespaces, PodSelector: dbPods},
			}}}},
		{"VPC with a pod selector only: pods of the service's namespace", newService(withEgress("VPC", connectorArn)),
			Egress{Connector: &VpcConnector{Name: "my-connector", PodSelector: dbPods}},
			[]networkingv1.NetworkPolicyEgressRule{dnsRule, {To: []networkingv1.NetworkPolicyPeer{{PodSelector: dbPods}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := MakeEgressPolicy(tt.svc, tt.eg)
			if tt.want == nil {
				if p != nil {
					t.Fatalf("want no policy, got %+v", p)
				}
				return
			}
			if p == nil {
				t.Fatal("want a policy, got none")
			}
			if p.Name != "web-egress" || p.Namespace != "team-a" || !metav1.IsControlledBy(p, tt.svc) ||
				p.Labels[ServiceLabel] != "web" || p.Kind != "NetworkPolicy" {
				t.Errorf("metadata %+v %+v", p.TypeMeta, p.ObjectMeta)
			}
			if diff := cmp.Diff(metav1.LabelSelector{MatchLabels: map[string]string{ServiceLabel: "web"}}, p.Spec.PodSelector); diff != "" {
				t.Errorf("pod selector (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]networkingv1.PolicyType{networkingv1.PolicyTypeEgress}, p.Spec.PolicyTypes); diff != "" {
				t.Errorf("policy types (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, p.Spec.Egress); diff != "" {
				t.Errorf("egress rules (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMakeIngressPolicy(t *testing.T) {
	svc := newService()
	if p := MakeIngressPolicy(svc, ""); p != nil {
		t.Errorf("no activator namespace: want no policy, got %+v", p)
	}
	p := MakeIngressPolicy(svc, "kube-ecs-system")
	tcp := corev1.ProtocolTCP
	http := intstr.FromString("http")
	want := networkingv1.NetworkPolicySpec{
		PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{ServiceLabel: "web"}},
		PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
		Ingress: []networkingv1.NetworkPolicyIngressRule{{
			From: []networkingv1.NetworkPolicyPeer{{
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "kube-ecs-system"}},
				PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{
					"app.kubernetes.io/component": "activator", "app.kubernetes.io/part-of": "kube-ecs",
				}},
			}},
			Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &http}},
		}},
	}
	if diff := cmp.Diff(want, p.Spec); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if p.Name != "web-ingress" || !metav1.IsControlledBy(p, svc) {
		t.Errorf("metadata %+v", p.ObjectMeta)
	}
}

func TestSetEgressCondition(t *testing.T) {
	svc := newService(withEgress("VPC", connectorArn))
	SetEgressCondition(svc, Egress{Reason: apprunnerv1alpha1.VpcConnectorNotFoundReason, Message: "create it"})
	c := meta.FindStatusCondition(svc.Status.Conditions, apprunnerv1alpha1.EgressReadyCondition)
	if c == nil || c.Status != metav1.ConditionFalse || c.Reason != apprunnerv1alpha1.VpcConnectorNotFoundReason || c.Message != "create it" {
		t.Fatalf("missing connector: %+v", c)
	}
	SetEgressCondition(svc, Egress{Connector: &VpcConnector{Name: "my-connector", CIDRs: []string{"10.0.0.0/16"},
		PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}}})
	c = meta.FindStatusCondition(svc.Status.Conditions, apprunnerv1alpha1.EgressReadyCondition)
	want := "egress through VPC connector my-connector: CIDRs 10.0.0.0/16; pods app=db; the cluster DNS"
	if c == nil || c.Status != metav1.ConditionTrue || c.Reason != apprunnerv1alpha1.ReconciledReason || c.Message != want {
		t.Fatalf("connector found: %+v, want message %q", c, want)
	}
	svc.Spec.NetworkConfiguration.EgressConfiguration.EgressType = "DEFAULT"
	SetEgressCondition(svc, Egress{})
	if c := meta.FindStatusCondition(svc.Status.Conditions, apprunnerv1alpha1.EgressReadyCondition); c != nil {
		t.Errorf("DEFAULT egress keeps %+v", c)
	}
}
