package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	env := func(node, namespace string) func(string) string {
		return func(k string) string {
			switch k {
			case "NODE_NAME":
				return node
			case "POD_NAMESPACE":
				return namespace
			}
			return ""
		}
	}
	tests := []struct {
		name         string
		args         []string
		nodeEnv      string
		namespaceEnv string
		want         options
		wantErr      string
	}{
		{name: "defaults from the environment", nodeEnv: "node-a", namespaceEnv: "kube-ecs-system",
			want: options{nodeName: "node-a", namespace: "kube-ecs-system", metadataAddr: ":51679", heartbeatInterval: 10 * time.Second, heartbeatTimeout: 40 * time.Second}},
		{name: "flags win over the environment", nodeEnv: "node-a", namespaceEnv: "ns-a",
			args: []string{"--node-name", "node-b", "--lease-namespace", "ns-b", "--metadata-address", "127.0.0.1:9999",
				"--heartbeat-interval", "2s", "--heartbeat-timeout", "8s", "--region", "eu-west-1", "--account-id", "123456789012"},
			want: options{nodeName: "node-b", namespace: "ns-b", metadataAddr: "127.0.0.1:9999", heartbeatInterval: 2 * time.Second, heartbeatTimeout: 8 * time.Second}},
		{name: "no node name", namespaceEnv: "ns", wantErr: "the node name is not set"},
		{name: "no namespace", nodeEnv: "n", wantErr: "the Lease's namespace is not set"},
		{name: "node name too long for a Lease", nodeEnv: strings.Repeat("a", 250), namespaceEnv: "ns", wantErr: "invalid Lease name"},
		{name: "timeout not longer than the interval", nodeEnv: "n", namespaceEnv: "ns", args: []string{"--heartbeat-timeout", "10s"}, wantErr: "must be longer than --heartbeat-interval"},
		{name: "timeout in fractions of a second", nodeEnv: "n", namespaceEnv: "ns", args: []string{"--heartbeat-timeout", "40500ms"}, wantErr: "whole seconds"},
		{name: "zero interval", nodeEnv: "n", namespaceEnv: "ns", args: []string{"--heartbeat-interval", "0s"}, wantErr: "must be positive"},
		{name: "bad region", nodeEnv: "n", namespaceEnv: "ns", args: []string{"--region", "Europe"}, wantErr: "invalid region"},
		{name: "bad account", nodeEnv: "n", namespaceEnv: "ns", args: []string{"--account-id", "42"}, wantErr: "invalid account id"},
		{name: "version needs nothing else", args: []string{"--version"}, want: options{version: true}},
		{name: "stray argument", nodeEnv: "n", namespaceEnv: "ns", args: []string{"extra"}, wantErr: "unexpected arguments"},
		{name: "unknown flag", args: []string{"--cluster-name", "x"}, wantErr: "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, _, err := parseFlags(tt.args, env(tt.nodeEnv, tt.namespaceEnv))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.want.version {
				if !o.version {
					t.Fatal("--version not set")
				}
				return
			}
			got := []any{o.nodeName, o.namespace, o.metadataAddr, o.heartbeatInterval, o.heartbeatTimeout}
			want := []any{tt.want.nodeName, tt.want.namespace, tt.want.metadataAddr, tt.want.heartbeatInterval, tt.want.heartbeatTimeout}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("options = %v, want %v", got, want)
					break
				}
			}
		})
	}
}
