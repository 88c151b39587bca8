package service

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	ecsv1alpha1 "github.com/kube-ecs/kube-ecs/api/ecs/v1alpha1"
	"github.com/kube-ecs/kube-ecs/controllers/service/resources"
	"github.com/kube-ecs/kube-ecs/internal/rollout"
)

// apply writes a child with server-side apply under kube-ecs's field manager.
func (r *Reconciler) apply(ctx context.Context, obj client.Object) error {
	//nolint:staticcheck // typed objects are what the pure builders return
	if err := r.Patch(ctx, obj, client.Apply, client.FieldOwner(ecsv1alpha1.FieldManager), client.ForceOwnership); err != nil {
		return fmt.Errorf("applying %s %s: %w", obj.GetObjectKind().GroupVersionKind().Kind, klog.KObj(obj), err)
	}
	return nil
}

// reconcileWorkloads writes the service's Deployments (or DaemonSet) and deletes the ones no
// part needs any more. When minimumHealthyPercent and maximumPercent leave no room to
// replace a task, a workload keeps running its current template (ECS's deployment is stuck
// the same way) and the service says why.
func (r *Reconciler) reconcileWorkloads(ctx context.Context, s *scope, p *plan) error {
	svc := s.svc
	keep := map[string]bool{}
	blocked := false
	for _, part := range p.parts {
		keep[part.Name] = true
		t := p.template(part)
		if p.daemon {
			ds := resources.MakeDaemonSet(svc, t, part)
			cur := &appsv1.DaemonSet{}
			err := r.Get(ctx, client.ObjectKeyFromObject(ds), cur)
			if err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("reading %s: %w", klog.KObj(ds), err)
			}
			if err == nil {
				if !metav1IsControlledBy(cur, svc) {
					return fmt.Errorf("%s: DaemonSet %s exists and is not controlled by this service", ecsv1alpha1.NotOwnedReason, cur.Name)
				}
				n := cur.Status.DesiredNumberScheduled
				b := rollout.ServiceBounds(n, p.minPct, daemonMaxPercent)
				if b.Blocked() && cur.Annotations[ecsv1alpha1.DeploymentIDAnnotation] != t.DeploymentID {
					ds.Spec.Template = cur.Spec.Template
					ds.Annotations = cur.Annotations
					blocked = true
				}
				if b.MaxUnavailable > 0 {
					u := ds.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable
					*u = intOrInt(b.MaxUnavailable)
				}
			}
			if err := r.apply(ctx, ds); err != nil {
				return err
			}
			if cur.Generation == 0 || ds.Generation != cur.Status.ObservedGeneration ||
				cur.Status.UpdatedNumberScheduled != cur.Status.DesiredNumberScheduled || cur.Status.NumberAvailable != cur.Status.DesiredNumberScheduled {
				s.unsettled = true
			}
			continue
		}
		dep := resources.MakeDeployment(svc, t, part, p.paused)
		cur := &appsv1.Deployment{}
		err := r.Get(ctx, client.ObjectKeyFromObject(dep), cur)
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("reading %s: %w", klog.KObj(dep), err)
		}
		if err == nil {
			if !metav1IsControlledBy(cur, svc) {
				return fmt.Errorf("%s: Deployment %s exists and is not controlled by this service", ecsv1alpha1.NotOwnedReason, cur.Name)
			}
			if part.Bounds.Blocked() && cur.Annotations[ecsv1alpha1.DeploymentIDAnnotation] != t.DeploymentID {
				dep.Spec.Template = cur.Spec.Template
				dep.Annotations = cur.Annotations
				blocked = true
			}
		}
		if part.Bounds.Blocked() {
			// Kubernetes needs some room; the template does not change, so none is used.
			one := intOrInt(1)
			dep.Spec.Strategy.RollingUpdate.MaxSurge = &one
		}
		if err := r.apply(ctx, dep); err != nil {
			return err
		}
		if cur.Generation == 0 || dep.Generation != cur.Status.ObservedGeneration ||
			cur.Status.UpdatedReplicas != part.Replicas || cur.Status.Replicas != part.Replicas || cur.Status.AvailableReplicas != part.Replicas {
			s.unsettled = true
		}
	}
	if blocked {
		if !s.tr.blocked {
			s.tr.blocked = true
			s.event(true, ecsv1alpha1.DeploymentBlockedReason, rollout.DeploymentBlocked(svc.Name))
		}
	} else {
		s.tr.blocked = false
	}
	s.blocked = blocked
	for _, kind := range []client.ObjectList{&appsv1.DeploymentList{}, &appsv1.DaemonSetList{}} {
		objs, err := r.owned(ctx, svc, kind)
		if err != nil {
			return err
		}
		for _, o := range objs {
			if keep[o.GetName()] && ((p.daemon) == isDaemonSet(o)) || o.GetDeletionTimestamp() != nil {
				continue
			}
			log.FromContext(ctx).Info("Deleting a workload no capacity provider needs", "workload", klog.KObj(o))
			if err := r.Delete(ctx, o); client.IgnoreNotFound(err) != nil {
				return fmt.Errorf("deleting %s: %w", klog.KObj(o), err)
			}
		}
	}
	return nil
}

func isDaemonSet(o client.Object) bool { _, ok := o.(*appsv1.DaemonSet); return ok }

// reconcileNetworking writes the Kubernetes Service of the load balancers, the headless
// Service of the registry and the Ingress, and deletes the ones the service no longer asks
// for.
func (r *Reconciler) reconcileNetworking(ctx context.Context, s *scope, p *plan) error {
	svc := s.svc
	cluster := clusterOf(svc)
	want := map[string]client.Object{}
	if len(p.lbPorts) > 0 {
		o := resources.MakeLoadBalancerService(svc, cluster, p.lbPorts)
		want["Service/"+o.Name] = o
		if ing := resources.MakeIngress(svc, cluster, p.lbPorts); ing != nil {
			want["Ingress/"+ing.Name] = ing
		}
	}
	if p.registry {
		o := resources.MakeDiscoveryService(svc, cluster, p.regPorts)
		want["Service/"+o.Name] = o
	}
	for key, o := range want {
		if err := r.checkOwned(ctx, svc, o); err != nil {
			return err
		}
		if err := r.apply(ctx, o); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	for kind, list := range map[string]client.ObjectList{"Service": &corev1.ServiceList{}, "Ingress": &networkingv1.IngressList{}} {
		objs, err := r.owned(ctx, svc, list)
		if err != nil {
			return err
		}
		for _, o := range objs {
			if want[kind+"/"+o.GetName()] != nil || o.GetDeletionTimestamp() != nil {
				continue
			}
			if err := r.Delete(ctx, o); client.IgnoreNotFound(err) != nil {
				return fmt.Errorf("deleting %s %s: %w", kind, klog.KObj(o), err)
			}
		}
	}
	return nil
}

// checkOwned refuses to take over an object of the same name the service does not control.
func (r *Reconciler) checkOwned(ctx context.Context, svc *ecsv1alpha1.Service, o client.Object) error {
	cur := o.DeepCopyObject().(client.Object)
	err := r.Get(ctx, client.ObjectKeyFromObject(o), cur)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", klog.KObj(o), err)
	}
	if !metav1IsControlledBy(cur, svc) {
		return fmt.Errorf("%s: %s %s exists and is not controlled by this service", ecsv1alpha1.NotOwnedReason, o.GetObjectKind().GroupVersionKind().Kind, o.GetName())
	}
	return nil
}
