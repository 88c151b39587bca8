package cql

import (
	"cmp"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

func isSpace(r rune) bool { return unicode.IsSpace(r) }

// wildcardMatch says whether v matches pattern, where each * in pattern stands for any run
// of characters (ECS: attribute:ecs.instance-type == t2.*).
func wildcardMatch(pattern, v string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == v
	}
	parts := strings.Split(pattern, "*")
	first, last := parts[0], parts[len(parts)-1]
	if !strings.HasPrefix(v, first) {
		return false
	}
	v = v[len(first):]
	// Taking each middle part at its first occurrence leaves the most room for the rest.
	for _, m := range parts[1 : len(parts)-1] {
		i := strings.Index(v, m)
		if i < 0 {
			return false
		}
		v = v[i+len(m):]
	}
	return strings.HasSuffix(v, last)
}

// matchesFully says whether re matches all of v, as Java's Matcher.matches does: with
// leftmost-longest semantics, a match spanning v exists exactly when the match found does.
func matchesFully(re *regexp.Regexp, v string) bool {
	loc := re.FindStringIndex(v)
	return loc != nil && loc[0] == 0 && loc[1] == len(v)
}

// compareValues orders a subject's value a against an argument b: as numbers when both are
// decimal numbers, as versions (1.9.0 < 1.14.5) when both are dotted numbers, else byte by
// byte. For agentVersion, versions come first, so 1.10 > 1.9.
func compareValues(a, b string, versionFirst bool) int {
	if versionFirst {
		if c, ok := compareVersions(a, b); ok {
			return c
		}
	}
	if x, ok := parseNumber(a); ok {
		if y, ok := parseNumber(b); ok {
			return cmp.Compare(x, y)
		}
	}
	if c, ok := compareVersions(a, b); ok {
		return c
	}
	return strings.Compare(a, b)
}

// parseNumber parses a plain decimal number: an optional sign, digits with an optional
// fraction, an optional exponent (no hex, underscores, Inf or NaN).
func parseNumber(s string) (float64, bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			exp++
		}
		if exp == 0 {
			return 0, false
		}
	}
	if i != len(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// compareVersions compares two versions of the form [v]N(.N)*, component by component,
// missing components being 0; ok is false when either is not such a version.
func compareVersions(a, b string) (int, bool) {
	x, ok := versionParts(a)
	if !ok {
		return 0, false
	}
	y, ok := versionParts(b)
	if !ok {
		return 0, false
	}
	for i := 0; i < len(x) || i < len(y); i++ {
		p, q := "0", "0"
		if i < len(x) {
			p = x[i]
		}
		if i < len(y) {
			q = y[i]
		}
		// Digit strings without leading zeros order by length, then by bytes.
		if c := cmp.Compare(len(p), len(q)); c != 0 {
			return c, true
		}
		if c := strings.Compare(p, q); c != 0 {
			return c, true
		}
	}
	return 0, true
}

func versionParts(s string) ([]string, bool) {
	if s != "" && (s[0] == 'v' || s[0] == 'V') {
		s = s[1:]
	}
	if s == "" {
		return nil, false
	}
	parts := strings.Split(s, ".")
	for i, p := range parts {
		if p == "" || strings.IndexFunc(p, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
			return nil, false
		}
		if p = strings.TrimLeft(p, "0"); p == "" {
			p = "0"
		}
		parts[i] = p
	}
	return parts, true
}
