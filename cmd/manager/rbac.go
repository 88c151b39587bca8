package main

// The manager reads and writes every kube-ecs kind and records ECS-worded events. Each
// controller package adds the markers for the Kubernetes objects it writes.
//
// +kubebuilder:rbac:groups=ecs.kube-ecs.io,resources=clusters;taskdefinitions;tasks;services;containerinstances,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=ecs.kube-ecs.io,resources=clusters/status;taskdefinitions/status;tasks/status;services/status;containerinstances/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=ecs.kube-ecs.io,resources=clusters/finalizers;taskdefinitions/finalizers;tasks/finalizers;services/finalizers,verbs=update
// +kubebuilder:rbac:groups=apprunner.kube-ecs.io,resources=apprunnerservices,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=apprunner.kube-ecs.io,resources=apprunnerservices/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=apprunner.kube-ecs.io,resources=apprunnerservices/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
