package main

import (
	"strings"
	"testing"
)

func TestParseFlags(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "NODE_NAME" {
				return v
			}
			return ""
		}
	}
	tests := []struct {
		name     string
		args     []string
		nodeEnv  string
		wantNode string
		wantErr  string
	}{
		{name: "node from the environment", nodeEnv: "node-a", wantNode: "node-a"},
		{name: "flag wins over the environment", args: []string{"--node-name", "node-b"}, nodeEnv: "node-a", wantNode: "node-b"},
		{name: "no node name", wantErr: "the node name is not set"},
		{name: "stray argument", args: []string{"--node-name", "n", "extra"}, wantErr: "unexpected arguments"},
		{name: "unknown flag", args: []string{"--cluster-name", "x"}, wantErr: "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, _, err := parseFlags(tt.args, env(tt.nodeEnv))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.nodeName != tt.wantNode {
				t.Fatalf("node = %q, want %q", o.nodeName, tt.wantNode)
			}
		})
	}
}
