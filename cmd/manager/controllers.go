package main

import (
	"context"
	"fmt"
	"os"

	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"

	apprunnerctrl "github.com/kube-ecs/kube-ecs/controllers/apprunner"
	"github.com/kube-ecs/kube-ecs/controllers/autoscaler"
	"github.com/kube-ecs/kube-ecs/controllers/cluster"
	"github.com/kube-ecs/kube-ecs/controllers/containerinstance"
	"github.com/kube-ecs/kube-ecs/controllers/index"
	"github.com/kube-ecs/kube-ecs/controllers/scheduler"
	"github.com/kube-ecs/kube-ecs/controllers/service"
	"github.com/kube-ecs/kube-ecs/controllers/spot"
	"github.com/kube-ecs/kube-ecs/controllers/task"
	"github.com/kube-ecs/kube-ecs/controllers/taskdefinition"
	"github.com/kube-ecs/kube-ecs/internal/capacity"
)

// eventSource names kube-ecs as the reporting controller of its events.
const eventSource = "kube-ecs"

// setupControllers registers every controller with the manager.
func setupControllers(ctx context.Context, mgr ctrl.Manager, o options) error {
	recorder := mgr.GetEventRecorder(eventSource)
	pools := capacity.DefaultPools()
	if o.capacityPools != "" {
		data, err := os.ReadFile(o.capacityPools)
		if err != nil {
			return fmt.Errorf("reading --capacity-pools: %w", err)
		}
		if pools, err = capacity.LoadPools(data); err != nil {
			return fmt.Errorf("%s: %w", o.capacityPools, err)
		}
	}
	if err := index.Setup(ctx, mgr); err != nil {
		return err
	}
	if err := (&containerinstance.Reconciler{
		Client:         mgr.GetClient(),
		Scope:          o.scope,
		Clock:          clock.RealClock{},
		AgentNamespace: o.agentNamespace,
		RequireAgent:   o.requireAgent,
	}).SetupWithManager(mgr); err != nil {
		return err
	}
	if err := (&scheduler.Scheduler{
		Client:   mgr.GetClient(),
		Clock:    clock.RealClock{},
		Recorder: recorder,
	}).SetupWithManager(mgr); err != nil {
		return err
	}
	if err := (&cluster.Reconciler{
		Client:   mgr.GetClient(),
		Scope:    o.scope,
		Clock:    clock.RealClock{},
		Recorder: recorder,
	}).SetupWithManager(ctx, mgr); err != nil {
		return err
	}
	if err := (&taskdefinition.Reconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Scope:     o.scope,
		Clock:     clock.RealClock{},
		Recorder:  recorder,
	}).SetupWithManager(mgr); err != nil {
		return err
	}
	if err := (&service.Reconciler{
		Client:   mgr.GetClient(),
		Scope:    o.scope,
		Clock:    clock.RealClock{},
		Recorder: recorder,
		Pools:    pools,
	}).SetupWithManager(ctx, mgr); err != nil {
		return err
	}
	if err := (&apprunnerctrl.Reconciler{
		Client:            mgr.GetClient(),
		APIReader:         mgr.GetAPIReader(),
		Scope:             o.scope,
		Domain:            o.appRunner.domain,
		Pools:             pools,
		Clock:             clock.RealClock{},
		Recorder:          recorder,
		Images:            apprunnerctrl.ImageResolver{InsecureRegistries: o.appRunner.insecureRegistries},
		ImagePollInterval: o.appRunner.imagePoll,
		// The activators run in their Service's namespace.
		ActivatorNamespace: o.appRunner.activator.Namespace,
	}).SetupWithManager(mgr); err != nil {
		return err
	}
	// Without an issuer it only releases services an earlier configuration gave a Certificate.
	if err := (&apprunnerctrl.CertificateReconciler{
		Client:    mgr.GetClient(),
		Issuer:    o.appRunner.issuer,
		Namespace: o.appRunner.activator.Namespace,
		Domain:    o.appRunner.domain,
		Recorder:  recorder,
	}).SetupWithManager(mgr); err != nil {
		return err
	}
	if err := mgr.Add(&apprunnerctrl.CAKeeper{
		Client: mgr.GetClient(),
		Reader: mgr.GetAPIReader(),
		Secret: o.appRunner.caSecret,
		Clock:  clock.RealClock{},
	}); err != nil {
		return fmt.Errorf("adding the App Runner CA keeper: %w", err)
	}
	if err := (&autoscaler.Autoscaler{
		Client:           mgr.GetClient(),
		Recorder:         recorder,
		Clock:            clock.RealClock{},
		Config:           o.appRunner.scaling,
		ActivatorService: o.appRunner.activator,
		StatsPort:        o.appRunner.statsPort,
	}).SetupWithManager(mgr); err != nil {
		return err
	}
	if err := (&spot.Reconciler{
		Client:   mgr.GetClient(),
		Clock:    clock.RealClock{},
		Recorder: recorder,
		Pools:    pools,
		Warning:  o.spotWarning,
	}).SetupWithManager(mgr); err != nil {
		return err
	}
	return (&task.Reconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Scope:     o.scope,
		Clock:     clock.RealClock{},
		Recorder:  recorder,
		Pools:     pools,
		Retention: o.taskRetention,
	}).SetupWithManager(ctx, mgr)
}
