package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParseHost(t *testing.T) {
	tests := []struct {
		host   string
		want   route
		wantOK bool
	}{
		{"hello.team-a.apps.example.com", route{"hello", "team-a"}, true},
		{"Hello.Team-A.apps.example.com:8443", route{"hello", "team-a"}, true},
		{"hello.team-a.apps.example.com.", route{"hello", "team-a"}, true},
		{"hello.apps.example.com", route{}, false},
		{"a.b.c.apps.example.com", route{}, false},
		{"hello.team-a.example.org", route{}, false},
		{"apps.example.com", route{}, false},
	}
	for _, tt := range tests {
		got, ok := parseHost(tt.host, "apps.example.com")
		if ok != tt.wantOK || got != tt.want {
			t.Errorf("parseHost(%q) = %v, %v; want %v, %v", tt.host, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestFrontDoorAnswersUnknownHosts(t *testing.T) {
	h := frontDoor("apps.example.com")
	for host, want := range map[string]string{
		"hello.team-a.apps.example.com": `no App Runner service \"hello\" in namespace \"team-a\"`,
		"example.org":                   "is not a service host",
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Host = host
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), want) {
			t.Errorf("%s: got %d %s, want 404 containing %s", host, rec.Code, rec.Body.String(), want)
		}
	}
}

func TestParseFlagsRejectsBadDomain(t *testing.T) {
	if _, err := parseFlags([]string{"--domain", "Not_A_Domain"}); err == nil || !strings.Contains(err.Error(), "invalid --domain") {
		t.Fatalf("err = %v", err)
	}
}
