//go:build envtest

package apprunner_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/apprunner"
	"github.com/kube-ecs/kube-ecs/internal/testenv"
)

// egressPeers are the destinations of an egress policy's rules after the DNS one.
func egressPeers(p *networkingv1.NetworkPolicy) []networkingv1.NetworkPolicyPeer {
	var out []networkingv1.NetworkPolicyPeer
	for _, r := range p.Spec.Egress[1:] {
		out = append(out, r.To...)
	}
	return out
}

func waitEgressCondition(t *testing.T, ns, name string, status metav1.ConditionStatus, reason, msg string) {
	t.Helper()
	waitObject(t, ns, name, &apprunnerv1alpha1.AppRunnerService{}, func(s *apprunnerv1alpha1.AppRunnerService) error {
		c := meta.FindStatusCondition(s.Status.Conditions, apprunnerv1alpha1.EgressReadyCondition)
		if c == nil || c.Status != status || c.Reason != reason || !strings.Contains(c.Message, msg) {
			return fmt.Errorf("EgressReady %+v; want %s %s containing %q", c, status, reason, msg)
		}
		return nil
	})
}

func waitPolicyGone(t *testing.T, ns, name string) {
	t.Helper()
	testenv.Eventually(t, timeout, func() error {
		err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &networkingv1.NetworkPolicy{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("NetworkPolicy %s still exists (get: %v)", name, err)
	})
}

// TestNetworkPolicies: a service's instances accept connections from the activators only;
// egressType VPC limits their egress to DNS and what its connector ConfigMap allows, DNS
// only while the connector is missing (EgressReady False, VpcConnectorNotFound), following
// the ConfigMap as it changes; DEFAULT removes the egress policy.
func TestNetworkPolicies(t *testing.T) {
	ns := env.NewNamespace(t, "ar-network")
	svc := newService(ns, "webnet")
	svc.Spec.NetworkConfiguration = &apprunnerv1alpha1.NetworkConfiguration{EgressConfiguration: &apprunnerv1alpha1.EgressConfiguration{
		EgressType: "VPC", VpcConnectorArn: "arn:aws:apprunner:us-east-1:123456789012:vpcconnector/db-access/1/abc",
	}}
	env.Create(t, svc)

	// Ingress: from the activators' pods only, on the container port.
	ing := waitObject(t, ns, "webnet-ingress", &networkingv1.NetworkPolicy{}, nil)
	if !metav1.IsControlledBy(ing, svc) {
		t.Errorf("ingress policy owners %+v", ing.OwnerReferences)
	}
	if diff := cmp.Diff(apprunner.MakeIngressPolicy(svc, activatorNamespace).Spec, ing.Spec); diff != "" {
		t.Errorf("ingress policy (-want +got):\n%s", diff)
	}

	// The connector is missing: DNS only, a condition and a Warning naming the ConfigMap.
	waitEgressCondition(t, ns, "webnet", metav1.ConditionFalse, apprunnerv1alpha1.VpcConnectorNotFoundReason,
		"create ConfigMap "+ns+"/db-access labelled apprunner.kube-ecs.io/vpc-connector=true")
	eg := waitObject(t, ns, "webnet-egress", &networkingv1.NetworkPolicy{}, func(p *networkingv1.NetworkPolicy) error {
		if len(p.Spec.Egress) != 1 {
			return fmt.Errorf("%d egress rules, want DNS only", len(p.Spec.Egress))
		}
		return nil
	})
	if diff := cmp.Diff([]networkingv1.PolicyType{networkingv1.PolicyTypeEgress}, eg.Spec.PolicyTypes); diff != "" {
		t.Errorf("egress policy types (-want +got):\n%s", diff)
	}
	testenv.Eventually(t, timeout, func() error {
		return hasEvent(ns, "webnet", apprunnerv1alpha1.VpcConnectorNotFoundReason, "ConfigureEgress")
	})

	// A ConfigMap of that name without the connector label is not a connector.
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db-access"},
		Data:       map[string]string{"cidrs": "10.20.0.0/16,10.30.0.0/16", "podSelector": "app=db"},
	}
	env.Create(t, cm)
	waitEgressCondition(t, ns, "webnet", metav1.ConditionFalse, apprunnerv1alpha1.VpcConnectorNotFoundReason, "db-access")

	// Labelled: egress to its CIDRs and pods.
	update(t, cm, func(c *corev1.ConfigMap) { c.Labels = map[string]string{apprunner.VpcConnectorLabel: "true"} })
	waitEgressCondition(t, ns, "webnet", metav1.ConditionTrue, apprunnerv1alpha1.ReconciledReason, "CIDRs 10.20.0.0/16, 10.30.0.0/16; pods app=db")
	waitObject(t, ns, "webnet-egress", &networkingv1.NetworkPolicy{}, func(p *networkingv1.NetworkPolicy) error {
		want := []networkingv1.NetworkPolicyPeer{
			{IPBlock: &networkingv1.IPBlock{CIDR: "10.20.0.0/16"}}, {IPBlock: &networkingv1.IPBlock{CIDR: "10.30.0.0/16"}},
			{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}},
		}
		if diff := cmp.Diff(want, egressPeers(p)); diff != "" {
			return fmt.Errorf("egress peers (-want +got):\n%s", diff)
		}
		return nil
	})

	// The ConfigMap changes: the policy follows.
	update(t, cm, func(c *corev1.ConfigMap) {
		c.Data = map[string]string{"cidrs": "10.40.0.0/24", "namespaceSelector": "team=data"}
	})
	waitObject(t, ns, "webnet-egress", &networkingv1.NetworkPolicy{}, func(p *networkingv1.NetworkPolicy) error {
		want := []networkingv1.NetworkPolicyPeer{
			{IPBlock: &networkingv1.IPBlock{CIDR: "10.40.0.0/24"}},
			{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "data"}}},
		}
		if diff := cmp.Diff(want, egressPeers(p)); diff != "" {
			return fmt.Errorf("egress peers (-want +got):\n%s", diff)
		}
		return nil
	})

	// An invalid ConfigMap fails closed.
	update(t, cm, func(c *corev1.ConfigMap) { c.Data = map[string]string{"cidrs": "10.40.0.0/33"} })
	waitEgressCondition(t, ns, "webnet", metav1.ConditionFalse, apprunnerv1alpha1.VpcConnectorInvalidReason, `"10.40.0.0/33" is not a CIDR`)
	waitObject(t, ns, "webnet-egress", &networkingv1.NetworkPolicy{}, func(p *networkingv1.NetworkPolicy) error {
		if len(p.Spec.Egress) != 1 {
			return fmt.Errorf("%d egress rules, want DNS only", len(p.Spec.Egress))
		}
		return nil
	})

	// The ConfigMap is deleted: DNS only again.
	update(t, cm, func(c *corev1.ConfigMap) { c.Data = map[string]string{"cidrs": "10.40.0.0/24"} })
	waitEgressCondition(t, ns, "webnet", metav1.ConditionTrue, apprunnerv1alpha1.ReconciledReason, "10.40.0.0/24")
	if err := env.Client.Delete(ctx, cm); err != nil {
		t.Fatal(err)
	}
	waitEgressCondition(t, ns, "webnet", metav1.ConditionFalse, apprunnerv1alpha1.VpcConnectorNotFoundReason, "db-access")

	// DEFAULT: no egress policy and no condition; the ingress policy stays.
	update(t, svc, func(s *apprunnerv1alpha1.AppRunnerService) {
		s.Spec.NetworkConfiguration.EgressConfiguration.EgressType = "DEFAULT"
	})
	waitPolicyGone(t, ns, "webnet-egress")
	waitObject(t, ns, "webnet", &apprunnerv1alpha1.AppRunnerService{}, func(s *apprunnerv1alpha1.AppRunnerService) error {
		if c := meta.FindStatusCondition(s.Status.Conditions, apprunnerv1alpha1.EgressReadyCondition); c != nil {
			return fmt.Errorf("EgressReady %+v with DEFAULT egress", c)
		}
		return nil
	})
	waitObject(t, ns, "webnet-ingress", &networkingv1.NetworkPolicy{}, nil)
}
