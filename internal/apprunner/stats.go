package apprunner

// Stats is what an activator reports on StatsPath (JSON): the requests it is handling now,
// per service. The autoscaler sums them over every activator replica.
type Stats struct {
	Services []ServiceStats `json:"services"`
}

// ServiceStats are one service's requests at one activator.
type ServiceStats struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// InFlight are the requests being proxied or waiting for an instance (Queued included):
	// the concurrency the autoscaler scales on.
	InFlight int64 `json:"inFlight"`
	// Queued are the requests waiting because no instance is ready.
	Queued int64 `json:"queued"`
	// Requests is the number of requests received since the activator started.
	Requests uint64 `json:"requests"`
}
