package names_test

import (
	"testing"

	"github.com/kube-ecs/kube-ecs/internal/names"
)

func TestKube(t *testing.T) {
	tests := []struct {
		in    string
		max   int
		label bool
		want  string
	}{
		{"web-app", 253, false, "web-app"},
		{"Web_App", 253, false, "web-app"},
		{"__Web__App__", 253, false, "web--app"},
		{"web app!", 253, false, "webapp"},
		{"Ünïcode-Svc", 63, true, "ncode-svc"},
		{"a.b", 253, false, "a.b"},
		{"a.b", 63, true, "a-b"},
		{"-a-.-.b-", 253, false, "a.b"},
		{"abc-def", 4, false, "abc"},
		{"ab.cd", 3, false, "ab"},
		{"___", 253, false, ""},
		{"", 253, false, ""},
	}
	for _, tt := range tests {
		if got := names.Kube(tt.in, tt.max, tt.label); got != tt.want {
			t.Errorf("Kube(%q, %d, %t) = %q, want %q", tt.in, tt.max, tt.label, got, tt.want)
		}
	}
}
