package rollout

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"regexp"
	"testing"
)

var deploymentIDPattern = regexp.MustCompile(`^ecs-svc/[1-9][0-9]{18}$`)

func TestNewDeploymentID(t *testing.T) {
	tests := []struct {
		name  string
		bytes []byte
		want  string
	}{
		{name: "zeros: the smallest id", bytes: make([]byte, 8), want: "ecs-svc/1000000000000000000"},
		{name: "9e18-1: the largest id", bytes: []byte{0x7c, 0xe6, 0x6c, 0x50, 0xe2, 0x83, 0xff, 0xff}, want: "ecs-svc/9999999999999999999"},
		{name: "9e18 wraps to the smallest", bytes: []byte{0x7c, 0xe6, 0x6c, 0x50, 0xe2, 0x84, 0x00, 0x00}, want: "ecs-svc/1000000000000000000"},
		{name: "all ones", bytes: bytes.Repeat([]byte{0xff}, 8), want: "ecs-svc/1446744073709551615"},
		{name: "only the first 8 bytes count", bytes: append(make([]byte, 8), 0xff), want: "ecs-svc/1000000000000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewDeploymentID(bytes.NewReader(tt.bytes))
			if err != nil {
				t.Fatalf("NewDeploymentID() error: %v", err)
			}
			if got != tt.want {
				t.Errorf("NewDeploymentID() = %q, want %q", got, tt.want)
			}
			if !deploymentIDPattern.MatchString(got) {
				t.Errorf("NewDeploymentID() = %q, does not match %s", got, deploymentIDPattern)
			}
		})
	}
}

func TestNewDeploymentIDFormat(t *testing.T) {
	r := rand.NewChaCha8([32]byte{1, 2, 3})
	seen := map[string]bool{}
	for range 10000 {
		id, err := NewDeploymentID(r)
		if err != nil {
			t.Fatalf("NewDeploymentID() error: %v", err)
		}
		if !deploymentIDPattern.MatchString(id) {
			t.Fatalf("NewDeploymentID() = %q, does not match %s", id, deploymentIDPattern)
		}
		if seen[id] {
			t.Fatalf("NewDeploymentID() = %q twice", id)
		}
		seen[id] = true
	}
}

func TestNewDeploymentIDShortRead(t *testing.T) {
	for name, tt := range map[string]struct {
		bytes []byte
		want  error
	}{
		"empty": {bytes: nil, want: io.EOF},
		"short": {bytes: []byte{1, 2, 3}, want: io.ErrUnexpectedEOF},
	} {
		t.Run(name, func(t *testing.T) {
			id, err := NewDeploymentID(bytes.NewReader(tt.bytes))
			if !errors.Is(err, tt.want) {
				t.Errorf("NewDeploymentID() error = %v, want %v", err, tt.want)
			}
			if id != "" {
				t.Errorf("NewDeploymentID() = %q with an error, want \"\"", id)
			}
		})
	}
}
