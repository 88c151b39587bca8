package main

import (
	"strings"
	"testing"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "defaults"},
		{name: "leader election and scope", args: []string{"--leader-elect", "--region", "eu-west-1", "--account-id", "123456789012"}},
		{name: "bad region", args: []string{"--region", "Europe"}, wantErr: "invalid region"},
		{name: "bad account", args: []string{"--account-id", "42"}, wantErr: "invalid account id"},
		{name: "stray argument", args: []string{"run"}, wantErr: "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := parseFlags(tt.args)
			if tt.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
