package main

import (
	ctrl "sigs.k8s.io/controller-runtime"
)

// setupControllers registers every controller with the manager. Each controller package
// under controllers/ adds its own SetupWithManager call here as it lands.
func setupControllers(mgr ctrl.Manager, o options) error {
	_, _ = mgr, o
	return nil
}
