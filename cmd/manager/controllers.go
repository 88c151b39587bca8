package main

import (
	"context"

	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/kube-ecs/kube-ecs/controllers/cluster"
	"github.com/kube-ecs/kube-ecs/controllers/containerinstance"
	"github.com/kube-ecs/kube-ecs/controllers/index"
	"github.com/kube-ecs/kube-ecs/controllers/scheduler"
	"github.com/kube-ecs/kube-ecs/controllers/service"
	"github.com/kube-ecs/kube-ecs/controllers/task"
	"github.com/kube-ecs/kube-ecs/controllers/taskdefinition"
)

// eventSource names kube-ecs as the reporting controller of its events.
const eventSource = "kube-ecs"

// setupControllers registers every controller with the manager.
func setupControllers(ctx context.Context, mgr ctrl.Manager, o options) error {
	recorder := mgr.GetEventRecorder(eventSource)
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
		Pools:    task.DefaultPools(),
	}).SetupWithManager(ctx, mgr); err != nil {
		return err
	}
	return (&task.Reconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Scope:     o.scope,
		Clock:     clock.RealClock{},
		Recorder:  recorder,
		Pools:     task.DefaultPools(),
		Retention: o.taskRetention,
	}).SetupWithManager(ctx, mgr)
}
