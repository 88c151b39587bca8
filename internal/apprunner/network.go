package apprunner

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
)

// VPC connectors. kube-ecs has no VPCs: a VPC connector is a ConfigMap of the service's
// namespace, named after the connector and labelled VpcConnectorLabel=true, that says where
// the instances may send traffic (its subnets, as CIDRs, and in-cluster peers by label).
const (
	// VpcConnectorLabel marks a ConfigMap as a VPC connector ("true"). The manager caches
	// only ConfigMaps with this label.
	VpcConnectorLabel = "apprunner.kube-ecs.io/vpc-connector"
	// VpcConnectorCIDRsKey is the ConfigMap key of the CIDRs the instances may reach
	// (separated by commas, spaces or newlines), as a connector's subnets.
	VpcConnectorCIDRsKey = "cidrs"
	// VpcConnectorNamespaceSelectorKey is the ConfigMap key of a label selector
	// ("k=v,k2 in (a,b)") of namespaces whose pods the instances may reach.
	VpcConnectorNamespaceSelectorKey = "namespaceSelector"
	// VpcConnectorPodSelectorKey is the ConfigMap key of a label selector of pods the
	// instances may reach (in the service's namespace, or in the namespaceSelector's).
	VpcConnectorPodSelectorKey = "podSelector"

	// EgressTypeVPC sends all outbound traffic through a VPC connector.
	EgressTypeVPC = "VPC"
)

// The peers of the services' NetworkPolicies.
const (
	// NamespaceNameLabel is the label the API server sets on every namespace to its name.
	NamespaceNameLabel = "kubernetes.io/metadata.name"
	// DNSNamespace and DNSPodLabel, DNSPodLabelValue select the cluster DNS (kube-dns or
	// CoreDNS, which keeps kube-dns's label).
	DNSNamespace     = "kube-system"
	DNSPodLabel      = "k8s-app"
	DNSPodLabelValue = "kube-dns"
	// DNSPort is the port of the cluster DNS, over UDP and TCP.
	DNSPort = 53
	// ComponentLabel and PartOfLabel, with ActivatorComponent and PartOfValue, select the
	// activator's pods as the chart labels them.
	ComponentLabel     = "app.kubernetes.io/component"
	ActivatorComponent = "activator"
	PartOfLabel        = "app.kubernetes.io/part-of"
	PartOfValue        = "kube-ecs"
)

// EgressPolicyName and IngressPolicyName are the names of the service's NetworkPolicies.
func EgressPolicyName(svc *apprunnerv1alpha1.AppRunnerService) string  { return svc.Name + "-egress" }
func IngressPolicyName(svc *apprunnerv1alpha1.AppRunnerService) string { return svc.Name + "-ingress" }

// IsVpcEgress says the service's egressType is VPC.
func IsVpcEgress(svc *apprunnerv1alpha1.AppRunnerService) bool {
	n := svc.Spec.NetworkConfiguration
	return n != nil && n.EgressConfiguration != nil && n.EgressConfiguration.EgressType == EgressTypeVPC
}

// VpcConnectorName is the name of the ConfigMap of a VPC connector ARN,
// arn:aws:apprunner:<region>:<account>:vpcconnector/<name>/<revision>/<id>: its <name>. A
// value that is not an ARN is taken as the name itself.
func VpcConnectorName(connectorArn string) (string, error) {
	name := connectorArn
	if strings.HasPrefix(connectorArn, "arn:") {
		parts := strings.SplitN(connectorArn, ":", 6)
		if len(parts) < 6 {
			return "", fmt.Errorf("vpcConnectorArn %q is not an ARN of a VPC connector (arn:aws:apprunner:<region>:<account>:vpcconnector/<name>/<revision>/<id>)", connectorArn)
		}
		resource, ok := strings.CutPrefix(parts[5], "vpcconnector/")
		if !ok {
			return "", fmt.Errorf("vpcConnectorArn %q is not an ARN of a VPC connector (its resource is not vpcconnector/<name>/...)", connectorArn)
		}
		name, _, _ = strings.Cut(resource, "/")
	}
	if name == "" {
		return "", fmt.Errorf("egressType VPC needs vpcConnectorArn (arn:aws:apprunner:<region>:<account>:vpcconnector/<name>/<revision>/<id>)")
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return "", fmt.Errorf("VPC connector name %q of vpcConnectorArn is not a ConfigMap name: %s", name, strings.Join(errs, "; "))
	}
	return name, nil
}

// VpcConnector is what a VPC connector ConfigMap lets the instances reach.
type VpcConnector struct {
	// Name of the connector (and its ConfigMap).
	Name string
	// CIDRs, canonical, sorted, without duplicates.
	CIDRs []string
	// NamespaceSelector and PodSelector select in-cluster peers (nil: not given).
	NamespaceSelector *metav1.LabelSelector
	PodSelector       *metav1.LabelSelector
}

// ParseVpcConnector reads a VPC connector ConfigMap.
func ParseVpcConnector(cm *corev1.ConfigMap) (*VpcConnector, error) {
	c := &VpcConnector{Name: cm.Name}
	for _, f := range strings.FieldsFunc(cm.Data[VpcConnectorCIDRsKey], func(r rune) bool {
		return r == ',' || r == ' ' || r == '\n' || r == '\t' || r == '\r'
	}) {
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a CIDR (such as 10.0.0.0/16)", VpcConnectorCIDRsKey, f)
		}
		c.CIDRs = append(c.CIDRs, p.Masked().String())
	}
	slices.Sort(c.CIDRs)
	c.CIDRs = slices.Compact(c.CIDRs)
	for key, sel := range map[string]**metav1.LabelSelector{
		VpcConnectorNamespaceSelectorKey: &c.NamespaceSelector,
		VpcConnectorPodSelectorKey:       &c.PodSelector,
	} {
		v := strings.TrimSpace(cm.Data[key])
		if v == "" {
			continue
		}
		s, err := metav1.ParseToLabelSelector(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a label selector (k=v,k2=v2): %w", key, v, err)
		}
		if len(s.MatchExpressions) == 0 {
			s.MatchExpressions = nil
		}
		*sel = s
	}
	return c, nil
}

// Egress is what the controller found of a service's VPC connector: the input of
// MakeEgressPolicy and SetEgressCondition.
type Egress struct {
	// Connector is the connector's rules; nil when it cannot be used (Reason says why).
	Connector *VpcConnector
	// Reason (a condition reason) and Message say why Connector is nil.
	Reason, Message string
}

// EgressFor is the egress of a service with egressType VPC given its connector's ConfigMap
// (nil: none of the name VpcConnectorName gives, or none labelled as a connector).
func EgressFor(svc *apprunnerv1alpha1.AppRunnerService, cm *corev1.ConfigMap) Egress {
	connectorArn := ""
	if n := svc.Spec.NetworkConfiguration; n != nil && n.EgressConfiguration != nil {
		connectorArn = n.EgressConfiguration.VpcConnectorArn
	}
	name, err := VpcConnectorName(connectorArn)
	if err != nil {
		return Egress{Reason: apprunnerv1alpha1.VpcConnectorInvalidReason,
			Message: err.Error() + "; the instances may reach the cluster DNS only"}
	}
	if cm == nil || cm.Labels[VpcConnectorLabel] != "true" {
		return Egress{Reason: apprunnerv1alpha1.VpcConnectorNotFoundReason, Message: fmt.Sprintf(
			"VPC connector %s not found: create ConfigMap %s/%s labelled %s=true with the CIDRs the instances may reach in data key %s; until then they may reach the cluster DNS only",
			name, svc.Namespace, name, VpcConnectorLabel, VpcConnectorCIDRsKey)}
	}
	c, err := ParseVpcConnector(cm)
	if err != nil {
		return Egress{Reason: apprunnerv1alpha1.VpcConnectorInvalidReason, Message: fmt.Sprintf(
			"VPC connector ConfigMap %s/%s: %s; the instances may reach the cluster DNS only", svc.Namespace, name, err)}
	}
	return Egress{Connector: c}
}

func policyMeta(svc *apprunnerv1alpha1.AppRunnerService, name string) (metav1.TypeMeta, metav1.ObjectMeta) {
	return metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"}, childMeta(svc, name)
}

// MakeEgressPolicy builds the NetworkPolicy of a service with egressType VPC (nil for
// DEFAULT): its instances may send traffic to the cluster DNS and to what the VPC connector
// allows, nothing else, as App Runner sends all of a VPC-egress service's outbound traffic
// into the VPC. Without a usable connector they may reach the DNS only (fail closed).
func MakeEgressPolicy(svc *apprunnerv1alpha1.AppRunnerService, eg Egress) *networkingv1.NetworkPolicy {
	if !IsVpcEgress(svc) {
		return nil
	}
	udp, tcp := corev1.ProtocolUDP, corev1.ProtocolTCP
	dns := intstr.FromInt32(DNSPort)
	rules := []networkingv1.NetworkPolicyEgressRule{{
		To: []networkingv1.NetworkPolicyPeer{{
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{NamespaceNameLabel: DNSNamespace}},
			PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{DNSPodLabel: DNSPodLabelValue}},
		}},
		Ports: []networkingv1.NetworkPolicyPort{{Protocol: &udp, Port: &dns}, {Protocol: &tcp, Port: &dns}},
	}}
	if c := eg.Connector; c != nil {
		var to []networkingv1.NetworkPolicyPeer
		for _, cidr := range c.CIDRs {
			to = append(to, networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: cidr}})
		}
		if c.NamespaceSelector != nil || c.PodSelector != nil {
			to = append(to, networkingv1.NetworkPolicyPeer{
				NamespaceSelector: c.NamespaceSelector.DeepCopy(), PodSelector: c.PodSelector.DeepCopy(),
			})
		}
		// A rule without peers would allow every destination.
		if len(to) > 0 {
			rules = append(rules, networkingv1.NetworkPolicyEgressRule{To: to})
		}
	}
	tm, om := policyMeta(svc, EgressPolicyName(svc))
	return &networkingv1.NetworkPolicy{
		TypeMeta: tm, ObjectMeta: om,
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: Selector(svc)},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress:      rules,
		},
	}
}

// MakeIngressPolicy builds the NetworkPolicy that lets the service's instances accept
// connections only from the activators (the pods labelled as the chart's activator in
// activatorNamespace), on the container port: the service URL is the only way in, as App
// Runner's instances are reachable only through its load balancer. nil when
// activatorNamespace is empty (no activator configured).
func MakeIngressPolicy(svc *apprunnerv1alpha1.AppRunnerService, activatorNamespace string) *networkingv1.NetworkPolicy {
	if activatorNamespace == "" {
		return nil
	}
	tcp := corev1.ProtocolTCP
	port := intstr.FromString(PortName)
	tm, om := policyMeta(svc, IngressPolicyName(svc))
	return &networkingv1.NetworkPolicy{
		TypeMeta: tm, ObjectMeta: om,
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: Selector(svc)},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From: []networkingv1.NetworkPolicyPeer{{
					NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{NamespaceNameLabel: activatorNamespace}},
					PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{
						ComponentLabel: ActivatorComponent, PartOfLabel: PartOfValue,
					}},
				}},
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &port}},
			}},
		},
	}
}

// SetEgressCondition sets EgressReady from eg for a service with egressType VPC, and removes
// it for any other.
func SetEgressCondition(svc *apprunnerv1alpha1.AppRunnerService, eg Egress) {
	st := &svc.Status
	if !IsVpcEgress(svc) {
		meta.RemoveStatusCondition(&st.Conditions, apprunnerv1alpha1.EgressReadyCondition)
		return
	}
	c := metav1.Condition{
		Type: apprunnerv1alpha1.EgressReadyCondition, Status: metav1.ConditionFalse,
		Reason: eg.Reason, Message: eg.Message, ObservedGeneration: svc.Generation,
	}
	if conn := eg.Connector; conn != nil {
		c.Status, c.Reason = metav1.ConditionTrue, apprunnerv1alpha1.ReconciledReason
		c.Message = fmt.Sprintf("egress through VPC connector %s: %s", conn.Name, describeConnector(conn))
	}
	meta.SetStatusCondition(&st.Conditions, c)
}

func describeConnector(c *VpcConnector) string {
	var parts []string
	if len(c.CIDRs) > 0 {
		parts = append(parts, "CIDRs "+strings.Join(c.CIDRs, ", "))
	}
	if c.NamespaceSelector != nil {
		parts = append(parts, "pods of namespaces "+metav1.FormatLabelSelector(c.NamespaceSelector))
	}
	if c.PodSelector != nil {
		parts = append(parts, "pods "+metav1.FormatLabelSelector(c.PodSelector))
	}
	parts = append(parts, "the cluster DNS")
	return strings.Join(parts, "; ")
}
