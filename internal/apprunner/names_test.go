package apprunner

import "testing"

func TestParseHost(t *testing.T) {
	tests := []struct {
		host, name, namespace string
		ok                    bool
	}{
		{"web.team-a.apps.example.com", "web", "team-a", true},
		{"WEB.Team-A.apps.example.com.", "web", "team-a", true},
		{"web.apps.example.com", "", "", false},
		{"a.b.c.apps.example.com", "", "", false},
		{"web.team-a.example.org", "", "", false},
		{".team-a.apps.example.com", "", "", false},
	}
	for _, tt := range tests {
		name, ns, ok := ParseHost(tt.host, "apps.example.com")
		if name != tt.name || ns != tt.namespace || ok != tt.ok {
			t.Errorf("ParseHost(%q) = %q, %q, %t; want %q, %q, %t", tt.host, name, ns, ok, tt.name, tt.namespace, tt.ok)
		}
	}
	if got := Host("web", "team-a", "apps.example.com"); got != "web.team-a.apps.example.com" {
		t.Errorf("Host = %q", got)
	}
	if got := ServiceURL("web", "team-a", "apps.example.com"); got != "https://web.team-a.apps.example.com" {
		t.Errorf("ServiceURL = %q", got)
	}
}
