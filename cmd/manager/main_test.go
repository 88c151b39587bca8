package main

import (
	"slices"
	"strings"
	"testing"
	"time"
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
		{name: "app runner", args: []string{"--apprunner-domain=apps.example.com", "--apprunner-ca-secret=platform/ca"}},
		{name: "bad CA secret", args: []string{"--apprunner-ca-secret=ca"}, wantErr: "--apprunner-ca-secret must be <namespace>/<name>"},
		{name: "bad domain", args: []string{"--apprunner-domain=Apps_Example"}, wantErr: "--apprunner-domain"},
		{name: "image poll", args: []string{"--apprunner-image-poll-interval=30s", "--apprunner-insecure-registries=registry.internal:5000,mirror"}},
		{name: "bad image poll", args: []string{"--apprunner-image-poll-interval=0s"}, wantErr: "--apprunner-image-poll-interval must be positive"},
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

func TestAppRunnerFlags(t *testing.T) {
	o, _, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.appRunner.domain != "apps.kube-ecs.local" || o.appRunner.caSecret.String() != "kube-ecs-system/kube-ecs-apprunner-ca" {
		t.Errorf("defaults: domain %q, CA secret %s", o.appRunner.domain, o.appRunner.caSecret)
	}
	o, _, err = parseFlags([]string{"--apprunner-domain=apps.example.com", "--apprunner-ca-secret=platform/kube-ecs-apprunner-ca"})
	if err != nil {
		t.Fatal(err)
	}
	if o.appRunner.domain != "apps.example.com" || o.appRunner.caSecret.String() != "platform/kube-ecs-apprunner-ca" {
		t.Errorf("set: domain %q, CA secret %s", o.appRunner.domain, o.appRunner.caSecret)
	}
}

func TestAutoDeployFlags(t *testing.T) {
	o, _, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.appRunner.imagePoll != time.Minute || o.appRunner.insecureRegistries != nil {
		t.Errorf("defaults: image poll %s, insecure registries %q", o.appRunner.imagePoll, o.appRunner.insecureRegistries)
	}
	o, _, err = parseFlags([]string{"--apprunner-image-poll-interval=30s", "--apprunner-insecure-registries= registry.internal:5000, ,mirror"})
	if err != nil {
		t.Fatal(err)
	}
	if o.appRunner.imagePoll != 30*time.Second || !slices.Equal(o.appRunner.insecureRegistries, []string{"registry.internal:5000", "mirror"}) {
		t.Errorf("set: image poll %s, insecure registries %q", o.appRunner.imagePoll, o.appRunner.insecureRegistries)
	}
}

func TestCertManagerIssuerFlag(t *testing.T) {
	o, _, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.appRunner.issuer != nil {
		t.Errorf("default issuer %+v, want none (the CA)", *o.appRunner.issuer)
	}
	o, _, err = parseFlags([]string{"--apprunner-cert-manager-issuer=ClusterIssuer/letsencrypt"})
	if err != nil {
		t.Fatal(err)
	}
	if i := o.appRunner.issuer; i == nil || i.Kind != "ClusterIssuer" || i.Name != "letsencrypt" || i.Group != "cert-manager.io" {
		t.Errorf("issuer %+v, want ClusterIssuer letsencrypt of cert-manager.io", i)
	}
	if _, _, err := parseFlags([]string{"--apprunner-cert-manager-issuer=letsencrypt"}); err == nil || !strings.Contains(err.Error(), "--apprunner-cert-manager-issuer") {
		t.Errorf("an issuer without kind: err = %v", err)
	}
}
