package main

import (
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/kube-ecs/kube-ecs/controllers/taskdefinition"
)

// eventSource names kube-ecs as the reporting controller of its events.
const eventSource = "kube-ecs"

// setupControllers registers every controller with the manager.
func setupControllers(mgr ctrl.Manager, o options) error {
	return (&taskdefinition.Reconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Scope:     o.scope,
		Clock:     clock.RealClock{},
		Recorder:  mgr.GetEventRecorder(eventSource),
	}).SetupWithManager(mgr)
}
