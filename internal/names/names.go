// Package names converts ECS and App Runner names (letters of either case, digits, '-' and
// '_') to Kubernetes names.
package names

import "strings"

// Kube converts an ECS or App Runner name (letters of either case, digits, '-' and
// '_') to a Kubernetes object name of at most maxLen characters: lower case, '_' becomes
// '-', other invalid characters are removed and the ends are trimmed. When label is true
// the result is a DNS-1123 label ('.' becomes '-' too), else a DNS-1123 subdomain. It
// returns "" when nothing valid is left.
func Kube(name string, maxLen int, label bool) string {
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
