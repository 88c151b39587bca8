package main

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

func TestParseFlags(t *testing.T) {
	o, _, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.caSecret != (types.NamespacedName{Namespace: "kube-ecs-system", Name: "kube-ecs-apprunner-ca"}) ||
		o.queueDepth != 200 || o.queueTimeout != time.Minute || o.httpAddr != ":8080" || o.httpsAddr != ":8443" || o.healthAddr != ":8081" ||
		o.internalHTTPAddr != ":8090" || o.internalHTTPSAddr != ":8444" {
		t.Errorf("defaults: %+v", o)
	}
	o, _, err = parseFlags([]string{"--ca-secret=ops/ca", "--queue-depth=5", "--queue-timeout=2s", "--domain=apps.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if o.caSecret.String() != "ops/ca" || o.queueDepth != 5 || o.queueTimeout != 2*time.Second || o.domain != "apps.example.com" {
		t.Errorf("set: %+v", o)
	}
}

func TestCertSourceFlags(t *testing.T) {
	o, _, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.certSource != "ca" || o.certNamespace != "kube-ecs-system" {
		t.Errorf("defaults: cert source %q, namespace %q", o.certSource, o.certNamespace)
	}
	o, _, err = parseFlags([]string{"--cert-source=cert-manager", "--cert-namespace=ops"})
	if err != nil {
		t.Fatal(err)
	}
	if o.certSource != "cert-manager" || o.certNamespace != "ops" {
		t.Errorf("set: cert source %q, namespace %q", o.certSource, o.certNamespace)
	}
}

func TestParseFlagsRejects(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--domain", "Not_A_Domain"}, "invalid --domain"},
		{[]string{"--ca-secret", "no-namespace"}, "invalid --ca-secret"},
		{[]string{"--ca-secret", "Bad_NS/ca"}, "invalid --ca-secret"},
		{[]string{"--queue-depth", "-1"}, "--queue-depth"},
		{[]string{"--cert-source", "acme"}, "invalid --cert-source"},
		{[]string{"--cert-source", "cert-manager", "--cert-namespace", "Bad_NS"}, "invalid --cert-namespace"},
		{[]string{"--queue-timeout", "0s"}, "--queue-timeout"},
		{[]string{"extra"}, "unexpected arguments"},
	} {
		if _, _, err := parseFlags(tt.args); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want %q", tt.args, err, tt.want)
		}
	}
}
