package apprunner

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	apprunnerv1alpha1 "github.com/kube-ecs/kube-ecs/api/apprunner/v1alpha1"
	"github.com/kube-ecs/kube-ecs/internal/apprunner"
)

// The controller writes each service's NetworkPolicies and reads VPC connector ConfigMaps.
// +kubebuilder:rbac:groups=networking.k8s.io,resources=networkpolicies,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch

// Event action of egress warnings.
const configureEgressAction = "ConfigureEgress"

// CacheByObject restricts the manager's cache of ConfigMaps to VPC connectors, so that the
// controller does not hold every ConfigMap of the cluster in memory.
func CacheByObject() map[client.Object]cache.ByObject {
	return map[client.Object]cache.ByObject{
		&corev1.ConfigMap{}: {Label: labels.SelectorFromSet(labels.Set{apprunner.VpcConnectorLabel: "true"})},
	}
}

// reconcileNetworkPolicies writes the egress policy of a service with egressType VPC (or
// deletes it) and the ingress policy that admits the activators only.
func (r *Reconciler) reconcileNetworkPolicies(ctx context.Context, s *scope) error {
	svc := s.svc
	var egress, ingress client.Object
	if !apprunner.IsCodeRepository(svc) {
		if apprunner.IsVpcEgress(svc) {
			eg, err := r.getVpcConnector(ctx, svc)
			if err != nil {
				return err
			}
			s.egress = &eg
			egress = apprunner.MakeEgressPolicy(svc, eg)
		}
		if p := apprunner.MakeIngressPolicy(svc, r.ActivatorNamespace); p != nil {
			ingress = p
		}
	}
	if s.egress == nil && !apprunner.IsVpcEgress(svc) {
		s.egress = &apprunner.Egress{} // SetEgressCondition removes EgressReady
	}
	cur := &networkingv1.NetworkPolicy{ObjectMeta: r.childKey(svc, apprunner.EgressPolicyName(svc))}
	if _, err := r.applyOrDelete(ctx, svc, "NetworkPolicy", cur, egress); err != nil {
		return err
	}
	cur = &networkingv1.NetworkPolicy{ObjectMeta: r.childKey(svc, apprunner.IngressPolicyName(svc))}
	_, err := r.applyOrDelete(ctx, svc, "NetworkPolicy", cur, ingress)
	return err
}

// getVpcConnector reads the ConfigMap of the service's VPC connector.
func (r *Reconciler) getVpcConnector(ctx context.Context, svc *apprunnerv1alpha1.AppRunnerService) (apprunner.Egress, error) {
	name, err := apprunner.VpcConnectorName(svc.Spec.NetworkConfiguration.EgressConfiguration.VpcConnectorArn)
	if err != nil {
		return apprunner.EgressFor(svc, nil), nil
	}
	cm := &corev1.ConfigMap{}
	switch err := r.Get(ctx, client.ObjectKey{Namespace: svc.Namespace, Name: name}, cm); {
	case apierrors.IsNotFound(err):
		cm = nil
	case err != nil:
		return apprunner.Egress{}, fmt.Errorf("reading VPC connector ConfigMap %s/%s: %w", svc.Namespace, name, err)
	}
	eg := apprunner.EgressFor(svc, cm)
	if eg.Connector == nil {
		log.FromContext(ctx).Info("VPC connector unusable: egress limited to DNS", "service", klog.KObj(svc), "reason", eg.Reason)
	}
	return eg, nil
}

// servicesOfConnector maps a VPC connector ConfigMap to the services of its namespace whose
// vpcConnectorArn names it.
func (r *Reconciler) servicesOfConnector(ctx context.Context, obj client.Object) []reconcile.Request {
	list := &apprunnerv1alpha1.AppRunnerServiceList{}
	if err := r.List(ctx, list, client.InNamespace(obj.GetNamespace())); err != nil {
		log.FromContext(ctx).Error(err, "Listing the App Runner services of a VPC connector", "configMap", klog.KObj(obj))
		return nil
	}
	var out []reconcile.Request
	for i := range list.Items {
		svc := &list.Items[i]
		if !apprunner.IsVpcEgress(svc) {
			continue
		}
		if name, err := apprunner.VpcConnectorName(svc.Spec.NetworkConfiguration.EgressConfiguration.VpcConnectorArn); err == nil && name == obj.GetName() {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(svc)})
		}
	}
	return out
}

// emitEgress records a Warning when the service's egress turns unusable (or why changes).
func (r *Reconciler) emitEgress(base, svc *apprunnerv1alpha1.AppRunnerService) {
	c := meta.FindStatusCondition(svc.Status.Conditions, apprunnerv1alpha1.EgressReadyCondition)
	if c == nil || c.Status != metav1.ConditionFalse {
		return
	}
	if b := meta.FindStatusCondition(base.Status.Conditions, apprunnerv1alpha1.EgressReadyCondition); b != nil &&
		b.Status == c.Status && b.Reason == c.Reason && b.Message == c.Message {
		return
	}
	r.Recorder.Eventf(svc, nil, corev1.EventTypeWarning, c.Reason, configureEgressAction, "%s", c.Message)
}
