package arn

import "testing"

func TestScopeValidate(t *testing.T) {
	tests := []struct {
		name    string
		scope   Scope
		wantErr bool
	}{
		{"defaults", Scope{DefaultRegion, DefaultAccount}, false},
		{"gov region", Scope{"us-gov-west-1", "123456789012"}, false},
		{"upper-case region", Scope{"US-EAST-1", DefaultAccount}, true},
		{"region without number", Scope{"us-east", DefaultAccount}, true},
		{"short account", Scope{DefaultRegion, "12345"}, true},
		{"account with letters", Scope{DefaultRegion, "12345678901a"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.scope.Validate(); (err != nil) != tt.wantErr {
				t.Fatalf("Validate() error = %v, wantErr %v", err, tt.wantErr)
			}
		})
	}
}

func TestARNs(t *testing.T) {
	s := Scope{Region: "eu-west-1", Account: "123456789012"}
	tests := []struct{ got, want string }{
		{s.Cluster("default"), "arn:aws:ecs:eu-west-1:123456789012:cluster/default"},
		{s.TaskDefinition("web", 7), "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7"},
		{s.Task("default", "abc"), "arn:aws:ecs:eu-west-1:123456789012:task/default/abc"},
		{s.Service("prod", "web"), "arn:aws:ecs:eu-west-1:123456789012:service/prod/web"},
		{s.ContainerInstance("prod", "i-1"), "arn:aws:ecs:eu-west-1:123456789012:container-instance/prod/i-1"},
		{s.AppRunnerService("api", "0123"), "arn:aws:apprunner:eu-west-1:123456789012:service/api/0123"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
