package placement

import (
	"slices"
	"time"

	"github.com/kube-ecs/kube-ecs/internal/placement/cql"
)

// subject shows an Instance to the cluster query language.
type subject struct{ inst *Instance }

var _ cql.Subject = subject{}

func (s subject) Attribute(name string) (string, bool) {
	v, ok := s.inst.Attributes[name]
	return v, ok
}

func (s subject) InstanceID() string      { return s.inst.ID }
func (s subject) AgentConnected() bool    { return s.inst.AgentConnected }
func (s subject) AgentVersion() string    { return s.inst.AgentVersion }
func (s subject) RegisteredAt() time.Time { return s.inst.RegisteredAt }
func (s subject) RunningTasksCount() int  { return s.inst.RunningTasks }

// TaskGroups lists the groups with at least one task on the instance, sorted.
func (s subject) TaskGroups() []string {
	groups := make([]string, 0, len(s.inst.TaskGroups))
	for g, n := range s.inst.TaskGroups {
		if n > 0 {
			groups = append(groups, g)
		}
	}
	slices.Sort(groups)
	return groups
}
