package cql

import (
	"errors"
	"testing"
	"time"
	"unicode/utf8"
)

// echo answers every attribute with its own name, so fuzzed expressions meet present
// attributes too.
type echo struct{ instance }

func (echo) Attribute(name string) (string, bool) { return name, true }

// fuzzSubjects are the instances round trips are checked on: the fixtures, an instance with
// odd values, and one that has every attribute.
var fuzzSubjects = append(append([]instance(nil), fixtures...), instance{
	name:  "odd",
	attrs: map[string]string{"a": "", "b": "*", "x": "and", "y": "it's", "z": "a b", "n": "-1.5e3", "v": "v1.2.3"},
	id:    "*", version: "v2", registered: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), running: 1 << 20,
	groups: []string{"", "a", "b*", "service:x"},
})

func FuzzParse(f *testing.F) {
	for _, tc := range validCases {
		f.Add(tc.expr)
	}
	for _, tc := range invalidCases {
		f.Add(tc.expr)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		n := utf8.RuneCountInString(s)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error is a %T, want *ParseError", s, err)
			}
			if pe.Pos < 1 || pe.Pos > n+1 && pe.Pos != MaxLength+1 {
				t.Fatalf("Parse(%q): position %d outside 1..%d", s, pe.Pos, n+1)
			}
			if pe.Msg == "" {
				t.Fatalf("Parse(%q): empty message", s)
			}
			return
		}
		if n > MaxLength {
			t.Fatalf("Parse accepted an expression of %d characters", n)
		}
		checkRoundTrip(t, s, e)
		ec := echo{fuzzSubjects[0]}
		e2, _ := Parse(e.String())
		if e.Eval(ec) != e2.Eval(ec) {
			t.Fatalf("%q and its String() %q evaluate differently on an instance with every attribute", s, e.String())
		}
	})
}
