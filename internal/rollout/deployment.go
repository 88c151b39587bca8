package rollout

import (
	"encoding/binary"
	"fmt"
	"io"
	"strings"
)

// DeploymentIDPrefix starts every ECS deployment id.
const DeploymentIDPrefix = "ecs-svc/"

const (
	minDeploymentNumber = 1_000_000_000_000_000_000 // the smallest 19-digit number
	deploymentNumbers   = 9_000_000_000_000_000_000 // how many 19-digit numbers there are
)

// NewDeploymentID returns an ECS deployment id, "ecs-svc/" and 19 decimal digits (the
// first 1-9), drawn from 8 bytes of r. Reducing 64 bits modulo 9e18 makes the lowest
// twentieth of the ids half again as likely as the rest, which does not matter for an id.
func NewDeploymentID(r io.Reader) (string, error) {
	var b [8]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("reading random bytes for a deployment id: %w", err)
	}
	n := minDeploymentNumber + binary.BigEndian.Uint64(b[:])%deploymentNumbers
	return fmt.Sprintf("%s%d", DeploymentIDPrefix, n), nil
}

// deploymentIDOf writes id as ECS does, with its ecs-svc/ prefix, whether or not the caller
// had it (pod labels carry the digits only).
func deploymentIDOf(id string) string {
	if strings.HasPrefix(id, DeploymentIDPrefix) {
		return id
	}
	return DeploymentIDPrefix + id
}
