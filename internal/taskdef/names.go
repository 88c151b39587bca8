package taskdef

import (
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kube-ecs/kube-ecs/internal/names"
)

// nameAllocator hands out unique DNS-1123 labels for ECS names (containers, volumes), in
// the order it is asked, so the same task definition always gets the same names.
type nameAllocator struct {
	used     map[string]bool
	fallback string
}

func newNameAllocator(fallback string) *nameAllocator {
	return &nameAllocator{used: map[string]bool{}, fallback: fallback}
}

// assign returns a unique label for each name: names that are already DNS-1123 labels are
// kept (they are unique among themselves), the others are converted with take.
func (a *nameAllocator) assign(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		if len(validation.IsDNS1123Label(n)) == 0 && !a.used[n] {
			a.used[n] = true
			out[i] = n
		}
	}
	for i, n := range names {
		if out[i] == "" {
			out[i] = a.take(n)
		}
	}
	return out
}

// take converts name (lower case, '_' -> '-', other invalid characters dropped, at most 63
// characters) and, when that label is taken, appends -2, -3, ... until it is unique.
func (a *nameAllocator) take(name string) string {
	base := names.Kube(name, validation.DNS1123LabelMaxLength, true)
	if base == "" {
		base = a.fallback
	}
	got := base
	for n := 2; a.used[got]; n++ {
		suffix := "-" + strconv.Itoa(n)
		trimmed := base
		if len(trimmed)+len(suffix) > validation.DNS1123LabelMaxLength {
			trimmed = strings.TrimRight(trimmed[:validation.DNS1123LabelMaxLength-len(suffix)], "-")
		}
		got = trimmed + suffix
	}
	a.used[got] = true
	return got
}

// secretName converts a Secrets Manager secret name or an SSM parameter path to a
// Kubernetes Secret name: lower case, '/' and '_' become '-', other characters that a
// DNS-1123 subdomain cannot hold are dropped, and the ends are trimmed ("/app/db_url" ->
// "app-db-url"). It returns "" when nothing valid is left.
func secretName(s string) string {
	s = strings.ReplaceAll(s, "/", "-")
	return names.Kube(s, validation.DNS1123SubdomainMaxLength, false)
}
