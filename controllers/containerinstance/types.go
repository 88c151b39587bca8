package containerinstance

import "sigs.k8s.io/controller-runtime/pkg/event"

type eventUpdate = event.UpdateEvent
