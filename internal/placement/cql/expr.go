package cql

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

type subject int

const (
	subjAttribute subject = iota
	subjAgentConnected
	subjAgentVersion
	subjInstanceID
	subjRegisteredAt
	subjRunningTasksCount
	subjTaskGroup
)

// name is the subject's canonical spelling (attribute:<name> is written by the comparison).
func (s subject) name() string {
	switch s {
	case subjAgentConnected:
		return "agentConnected"
	case subjAgentVersion:
		return "agentVersion"
	case subjInstanceID:
		return "ec2InstanceId"
	case subjRegisteredAt:
		return "registeredAt"
	case subjRunningTasksCount:
		return "runningTasksCount"
	case subjTaskGroup:
		return "task:group"
	}
	return "attribute"
}

// allows says whether the operator is valid for the subject: the "Valid operators" the ECS
// documentation lists for each built-in subject; task:group, for which it lists none, takes
// the string operators; attributes take every operator.
func (s subject) allows(op operator) bool {
	switch s {
	case subjAgentConnected, subjInstanceID, subjTaskGroup:
		switch op {
		case opEquals, opNotEquals, opIn, opNotIn, opMatches, opNotMatches:
			return true
		}
		return false
	case subjAgentVersion, subjRegisteredAt, subjRunningTasksCount:
		switch op {
		case opEquals, opNotEquals, opGreater, opGreaterEqual, opLess, opLessEqual:
			return true
		}
		return false
	}
	return true
}

func (s subject) operatorsHint() string {
	switch s {
	case subjAgentConnected, subjInstanceID, subjTaskGroup:
		return "use ==, !=, in, !in, =~ or !~"
	case subjAgentVersion, subjRegisteredAt, subjRunningTasksCount:
		return "use ==, !=, >, >=, < or <="
	}
	return operatorsHint
}

type operator int

const (
	opEquals operator = iota
	opNotEquals
	opGreater
	opGreaterEqual
	opLess
	opLessEqual
	opExists
	opNotExists
	opIn
	opNotIn
	opMatches
	opNotMatches
)

// operatorNames maps every spelling, lower-cased, to its operator.
var operatorNames = map[string]operator{
	"==": opEquals, "equals": opEquals,
	"!=": opNotEquals, "not_equals": opNotEquals,
	">": opGreater, "greater_than": opGreater,
	">=": opGreaterEqual, "greater_than_equal": opGreaterEqual,
	"<": opLess, "less_than": opLess,
	"<=": opLessEqual, "less_than_equal": opLessEqual,
	"exists":  opExists,
	"!exists": opNotExists, "not_exists": opNotExists,
	"in":  opIn,
	"!in": opNotIn, "not_in": opNotIn,
	"=~": opMatches, "matches": opMatches,
	"!~": opNotMatches, "not_matches": opNotMatches,
}

// symbol is the operator's canonical spelling.
func (o operator) symbol() string {
	return [...]string{"==", "!=", ">", ">=", "<", "<=", "exists", "!exists", "in", "!in", "=~", "!~"}[o]
}

// negated says whether the operator is the negation of another (!=, !exists, !in, !~): it
// holds exactly when that one does not, and so holds for a missing attribute.
func (o operator) negated() bool {
	switch o {
	case opNotEquals, opNotExists, opNotIn, opNotMatches:
		return true
	}
	return false
}

// comparison is subject operator [argument].
type comparison struct {
	subject subject
	attr    string // for subjAttribute
	op      operator
	args    []string       // the value, or the list of in and !in, as written (booleans lower-cased)
	re      *regexp.Regexp // for =~ and !~
	times   []time.Time    // args parsed, for registeredAt
	ints    []int64        // args parsed, for runningTasksCount
}

func (c *comparison) Eval(s Subject) bool {
	switch c.subject {
	case subjAttribute:
		v, ok := s.Attribute(c.attr)
		if c.op == opExists || c.op == opNotExists || !ok {
			return ok != c.op.negated()
		}
		return c.holds(v) != c.op.negated()
	case subjAgentConnected:
		if s.AgentConnected() {
			return c.holds("true") != c.op.negated()
		}
		return c.holds("false") != c.op.negated()
	case subjAgentVersion:
		return c.holds(s.AgentVersion()) != c.op.negated()
	case subjInstanceID:
		return c.holds(s.InstanceID()) != c.op.negated()
	case subjRegisteredAt:
		return c.holdsTime(s.RegisteredAt()) != c.op.negated()
	case subjRunningTasksCount:
		return c.holdsInt(int64(s.RunningTasksCount())) != c.op.negated()
	case subjTaskGroup:
		// == and in hold when some group matches; != and !in when none does.
		for _, g := range s.TaskGroups() {
			if c.holds(g) {
				return !c.op.negated()
			}
		}
		return c.op.negated()
	}
	return false
}

// holds evaluates the positive form of the operator (== for !=, in for !in, =~ for !~) on
// a string value.
func (c *comparison) holds(v string) bool {
	switch c.op {
	case opEquals, opNotEquals, opIn, opNotIn:
		for _, a := range c.args {
			if wildcardMatch(a, v) {
				return true
			}
		}
		return false
	case opMatches, opNotMatches:
		return matchesFully(c.re, v)
	case opGreater, opGreaterEqual, opLess, opLessEqual:
		return ordered(c.op, compareValues(v, c.args[0], c.subject == subjAgentVersion))
	}
	return false
}

func (c *comparison) holdsTime(t time.Time) bool {
	switch c.op {
	case opEquals, opNotEquals:
		return t.Equal(c.times[0])
	default:
		return ordered(c.op, t.Compare(c.times[0]))
	}
}

func (c *comparison) holdsInt(n int64) bool {
	a := c.ints[0]
	switch c.op {
	case opEquals, opNotEquals:
		return n == a
	case opGreater:
		return n > a
	case opGreaterEqual:
		return n >= a
	case opLess:
		return n < a
	case opLessEqual:
		return n <= a
	}
	return false
}

// ordered says whether cmp (the subject's value compared with the argument) satisfies the
// ordering operator.
func ordered(op operator, cmp int) bool {
	switch op {
	case opGreater:
		return cmp > 0
	case opGreaterEqual:
		return cmp >= 0
	case opLess:
		return cmp < 0
	case opLessEqual:
		return cmp <= 0
	}
	return false
}

func (c *comparison) String() string { return render(c) }

func (c *comparison) format(b *strings.Builder, compact bool) {
	switch {
	case c.subject == subjAttribute:
		b.WriteString("attribute:")
		b.WriteString(c.attr)
	case c.subject == subjInstanceID && compact:
		b.WriteString("instanceId")
	default:
		b.WriteString(c.subject.name())
	}
	sym := c.op.symbol()
	if !compact || isLetterByte(sym[0]) {
		b.WriteByte(' ')
	}
	b.WriteString(sym)
	switch c.op {
	case opExists, opNotExists:
	case opIn, opNotIn:
		if !compact {
			b.WriteByte(' ')
		}
		b.WriteByte('[')
		for i, a := range c.args {
			if i > 0 {
				b.WriteByte(',')
				if !compact {
					b.WriteByte(' ')
				}
			}
			b.WriteString(quote(a))
		}
		b.WriteByte(']')
	default:
		v := quote(c.args[0])
		// A value starting with an operator symbol would be read as part of the operator.
		if !compact || strings.ContainsAny(v[:1], "=!<>~") {
			b.WriteByte(' ')
		}
		b.WriteString(v)
	}
}

func isLetterByte(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// quote writes a value so that it reads back the same: bare when it can be, else in the
// quote it does not contain (a parsed value never contains both).
func quote(v string) string {
	needs := v == "" || isConnectiveWord(v) || strings.Contains(v, "&&") || strings.Contains(v, "||") ||
		strings.ContainsFunc(v, func(r rune) bool { return isDelimiter(r) || isSpace(r) })
	if !needs {
		return v
	}
	if strings.ContainsRune(v, '\'') {
		return `"` + v + `"`
	}
	return "'" + v + "'"
}

type andExpr []Expr

func (a andExpr) Eval(s Subject) bool {
	for _, x := range a {
		if !x.Eval(s) {
			return false
		}
	}
	return true
}

func (a andExpr) String() string { return render(a) }

func (a andExpr) format(b *strings.Builder, compact bool) {
	for i, x := range a {
		if i > 0 {
			if compact {
				writeCompactConnective(b, "&&")
			} else {
				b.WriteString(" and ")
			}
		}
		if _, isOr := x.(orExpr); isOr {
			b.WriteByte('(')
			x.(formatter).format(b, compact)
			b.WriteByte(')')
		} else {
			x.(formatter).format(b, compact)
		}
	}
}

type orExpr []Expr

func (o orExpr) Eval(s Subject) bool {
	for _, x := range o {
		if x.Eval(s) {
			return true
		}
	}
	return false
}

func (o orExpr) String() string { return render(o) }

func (o orExpr) format(b *strings.Builder, compact bool) {
	for i, x := range o {
		if i > 0 {
			if compact {
				writeCompactConnective(b, "||")
			} else {
				b.WriteString(" or ")
			}
		}
		x.(formatter).format(b, compact)
	}
}

type notExpr struct{ x Expr }

func (n notExpr) Eval(s Subject) bool { return !n.x.Eval(s) }

func (n notExpr) String() string { return render(n) }

func (n notExpr) format(b *strings.Builder, compact bool) {
	if !compact {
		b.WriteString("not (")
		n.x.(formatter).format(b, compact)
		b.WriteByte(')')
		return
	}
	b.WriteByte('!')
	switch n.x.(type) {
	case andExpr, orExpr:
		b.WriteByte('(')
		n.x.(formatter).format(b, compact)
		b.WriteByte(')')
	default:
		n.x.(formatter).format(b, compact)
	}
}

// writeCompactConnective writes && or || with no space, except after an unquoted value
// ending in its character ("a&" then "&&"), which would otherwise read as "a" then "&&&".
func writeCompactConnective(b *strings.Builder, conn string) {
	if strings.HasSuffix(b.String(), conn[:1]) {
		b.WriteByte(' ')
	}
	b.WriteString(conn)
}

// formatter is implemented by every node.
type formatter interface {
	format(b *strings.Builder, compact bool)
}

// render is the canonical form: keywords and operators in one spelling, single spaces,
// values quoted only when they must be, parentheses only where precedence needs them. When
// that is longer than MaxLength (spaces and "and" take room), it is the compact form
// (&&, ||, !, no optional spaces), which is never longer than the expression that was
// parsed, so String always parses again.
func render(f formatter) string {
	var b strings.Builder
	f.format(&b, false)
	if utf8.RuneCountInString(b.String()) <= MaxLength {
		return b.String()
	}
	b.Reset()
	f.format(&b, true)
	return b.String()
}
