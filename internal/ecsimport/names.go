package ecsimport

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Name limits: every kube-ecs name is a DNS-1123 label (it is a label value); Services and
// AppRunnerServices also start with a letter, as they name Kubernetes Services.
const maxLabel = validation.DNS1123LabelMaxLength // 63

// KubeName converts an ECS or App Runner name (letters of either case, digits, '-' and
// '_') to a Kubernetes object name of at most maxLen characters: lower case, '_' becomes
// '-', other invalid characters are removed and the ends are trimmed. When label is true
// the result is a DNS-1123 label ('.' becomes '-' too), else a DNS-1123 subdomain. It
// returns "" when nothing valid is left.
func KubeName(name string, maxLen int, label bool) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
		case r == '_':
			b.WriteByte('-')
		case r == '.':
			if label {
				b.WriteByte('-')
			} else {
				b.WriteByte('.')
			}
		}
	}
	// Every dot-separated part must start and end with a letter or digit.
	var parts []string
	for _, p := range strings.Split(b.String(), ".") {
		if p = strings.Trim(p, "-"); p != "" {
			parts = append(parts, p)
		}
	}
	s := strings.Join(parts, ".")
	if len(s) > maxLen {
		s = s[:maxLen]
	}
	return strings.TrimRight(s, "-.")
}

// nameFor returns the object name for an ECS name and whether it differs from it.
func nameFor(ecsName string, maxLen int, label bool) (string, bool) {
	var valid bool
	if label {
		valid = len(validation.IsDNS1123Label(ecsName)) == 0 && len(ecsName) <= maxLen
	} else {
		valid = len(validation.IsDNS1123Subdomain(ecsName)) == 0 && len(ecsName) <= maxLen
	}
	if valid {
		return ecsName, false
	}
	return KubeName(ecsName, maxLen, label), true
}
