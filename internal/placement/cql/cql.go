package cql

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// MaxLength is the longest expression accepted (2000, as the API), counted in characters
// (Unicode code points, as the CRD's maxLength counts them).
const MaxLength = 2000

// Expr is a parsed expression.
type Expr interface {
	// Eval says whether the instance s satisfies the expression.
	Eval(s Subject) bool
	// String is the expression in canonical form (re-parsable: Parse(e.String()) evaluates the same).
	String() string
}

// Subject is one container instance an expression is evaluated against.
type Subject interface {
	Attribute(name string) (value string, ok bool) // built-in ecs.* and custom attributes
	InstanceID() string                            // ec2InstanceId / instanceId
	AgentConnected() bool
	AgentVersion() string
	RegisteredAt() time.Time
	RunningTasksCount() int
	TaskGroups() []string // groups of the tasks running on the instance: "service:web", "family:batch", custom
}

// ParseError says where and why an expression is invalid.
type ParseError struct {
	// Pos is the 1-based position, in characters, where the problem is.
	Pos int
	// Msg says what is wrong and how to fix it.
	Msg string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("invalid expression at position %d: %s", e.Pos, e.Msg)
}

// Parse parses a cluster query language expression. Every error it returns is a
// *ParseError.
func Parse(expr string) (Expr, error) {
	if !utf8.ValidString(expr) {
		for i, r := range expr {
			if r == utf8.RuneError {
				if _, size := utf8.DecodeRuneInString(expr[i:]); size == 1 {
					return nil, &ParseError{Pos: utf8.RuneCountInString(expr[:i]) + 1, Msg: "expression is not valid UTF-8"}
				}
			}
		}
	}
	if n := utf8.RuneCountInString(expr); n > MaxLength {
		return nil, &ParseError{Pos: MaxLength + 1, Msg: fmt.Sprintf("expression is %d characters long; the limit is %d", n, MaxLength)}
	}
	p := &parser{src: []rune(expr)}
	p.skipSpace()
	if p.eof() {
		return nil, &ParseError{Pos: 1, Msg: "expression is empty; write a condition such as attribute:ecs.instance-type == t2.small"}
	}
	e, err := p.parseOr("")
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if !p.eof() {
		if p.peek() == ')' {
			return nil, p.errorf(p.pos, `unbalanced parenthesis: ")" has no matching "("`)
		}
		return nil, p.errorf(p.pos, "unexpected %q; expected and, or or the end of the expression", p.tokenAt(p.pos))
	}
	return e, nil
}
