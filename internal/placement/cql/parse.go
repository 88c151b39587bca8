package cql

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"time"
	"unicode"
)

const (
	subjectsHint  = "use attribute:<name>, agentConnected, agentVersion, ec2InstanceId, instanceId, registeredAt, runningTasksCount or task:group"
	operatorsHint = "use ==, !=, >, >=, <, <=, exists, !exists, in, !in, =~ or !~"
	datesHint     = "use 2018-06-18T22:28:28Z, 2018-06-18T22:28:28+00:00, 2018-06-18T22:28:28 or 2018-06-18"
	// maxAttributeName is ECS's limit on an attribute's name.
	maxAttributeName = 128
)

// parser is a recursive-descent parser over the expression's runes; positions are rune
// indexes, reported 1-based.
type parser struct {
	src []rune
	pos int
}

func (p *parser) errorf(i int, format string, args ...any) error {
	return &ParseError{Pos: i + 1, Msg: msgf(format, args...)}
}

// msgf is fmt.Sprintf where %q shows a string as the user wrote it, in double quotes,
// without Go escapes (a regular expression \d stays \d), unless it holds a double quote or
// an invisible character.
func msgf(format string, args ...any) string {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = userText(s)
		}
	}
	return fmt.Sprintf(format, args...)
}

type userText string

func (t userText) Format(f fmt.State, verb rune) {
	s := string(t)
	if verb != 'q' {
		_, _ = io.WriteString(f, s)
		return
	}
	if strings.ContainsRune(s, '"') || strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsGraphic(r) }) {
		_, _ = io.WriteString(f, strconv.Quote(s))
		return
	}
	_, _ = io.WriteString(f, `"`+s+`"`)
}

func (p *parser) eof() bool { return p.pos >= len(p.src) }

func (p *parser) peek() rune {
	if p.eof() {
		return 0
	}
	return p.src[p.pos]
}

func (p *parser) hasPrefixAt(i int, s string) bool {
	for _, r := range s {
		if i >= len(p.src) || p.src[i] != r {
			return false
		}
		i++
	}
	return true
}

func (p *parser) skipSpace() {
	for !p.eof() && unicode.IsSpace(p.src[p.pos]) {
		p.pos++
	}
}

// isWordRune reports the runes of subjects and keywords: ASCII letters, digits and the
// punctuation of attribute names and task:group.
func isWordRune(r rune) bool {
	return r < unicode.MaxASCII && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
		strings.ContainsRune("_.-:/\\", r))
}

func isAttributeNameRune(r rune) bool { return isWordRune(r) && r != ':' }

// wordAt is the run of word runes at i.
func (p *parser) wordAt(i int) string {
	j := i
	for j < len(p.src) && isWordRune(p.src[j]) {
		j++
	}
	return string(p.src[i:j])
}

// tokenAt is what the user wrote at i, for messages: one punctuation mark (two for && and
// ||), or a run up to the next space or punctuation, shortened when long.
func (p *parser) tokenAt(i int) string {
	if i >= len(p.src) {
		return ""
	}
	if p.hasPrefixAt(i, "&&") || p.hasPrefixAt(i, "||") {
		return string(p.src[i : i+2])
	}
	if isDelimiter(p.src[i]) {
		return string(p.src[i])
	}
	j := i
	for j < len(p.src) && !unicode.IsSpace(p.src[j]) && !isDelimiter(p.src[j]) && j-i < 40 {
		j++
	}
	if j < len(p.src) && j-i == 40 && !unicode.IsSpace(p.src[j]) && !isDelimiter(p.src[j]) {
		return string(p.src[i:j]) + "..."
	}
	return string(p.src[i:j])
}

// isDelimiter reports the runes that end an unquoted value (with spaces, && and ||).
func isDelimiter(r rune) bool {
	switch r {
	case '(', ')', '[', ']', ',', '\'', '"':
		return true
	}
	return false
}

type connective int

const (
	connNone connective = iota
	connAnd
	connOr
)

// connectiveAt reports the and/or (&&, ||) at i and how the user wrote it.
func (p *parser) connectiveAt(i int) (connective, string) {
	switch {
	case p.hasPrefixAt(i, "&&"):
		return connAnd, "&&"
	case p.hasPrefixAt(i, "||"):
		return connOr, "||"
	}
	w := p.wordAt(i)
	switch strings.ToLower(w) {
	case "and":
		return connAnd, w
	case "or":
		return connOr, w
	}
	return connNone, ""
}

func isConnectiveWord(s string) bool {
	return strings.EqualFold(s, "and") || strings.EqualFold(s, "or")
}

// parseOr parses expression := and-expression { (or | ||) and-expression }; prev is what
// came before it, for messages.
func (p *parser) parseOr(prev string) (Expr, error) {
	return p.parseChain(prev, connOr, p.parseAnd, func(terms []Expr) Expr { return orExpr(terms) })
}

// parseAnd parses and-expression := term { (and | &&) term }.
func (p *parser) parseAnd(prev string) (Expr, error) {
	return p.parseChain(prev, connAnd, p.parseTerm, func(terms []Expr) Expr { return andExpr(terms) })
}

// parseChain parses operand { conn operand }: one operand alone is itself, more are joined.
func (p *parser) parseChain(prev string, conn connective, operand func(string) (Expr, error), join func([]Expr) Expr) (Expr, error) {
	x, err := operand(prev)
	if err != nil {
		return nil, err
	}
	terms := []Expr{x}
	for {
		p.skipSpace()
		c, text := p.connectiveAt(p.pos)
		if c != conn {
			break
		}
		p.pos += len(text)
		y, err := operand(text)
		if err != nil {
			return nil, err
		}
		terms = append(terms, y)
	}
	if len(terms) == 1 {
		return x, nil
	}
	return join(terms), nil
}

// parseTerm parses term := { not | ! } ( '(' expression ')' | comparison ).
func (p *parser) parseTerm(prev string) (Expr, error) {
	p.skipSpace()
	start := p.pos
	if p.eof() {
		return nil, p.errorf(start, "expected an expression after %q", prev)
	}
	if c, text := p.connectiveAt(start); c != connNone {
		if prev == "" {
			return nil, p.errorf(start, "expression cannot start with %q; put a condition before it", text)
		}
		return nil, p.errorf(start, "expected an expression after %q, found %q", prev, text)
	}
	switch p.peek() {
	case '!':
		p.pos++
		x, err := p.parseTerm("!")
		if err != nil {
			return nil, err
		}
		return notExpr{x}, nil
	case '(':
		p.pos++
		x, err := p.parseOr("(")
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.eof() {
			return nil, p.errorf(start, `unbalanced parenthesis: this "(" is never closed; add ")"`)
		}
		if p.peek() != ')' {
			return nil, p.errorf(p.pos, `unexpected %q; expected and, or or ")"`, p.tokenAt(p.pos))
		}
		p.pos++
		return x, nil
	case ')':
		if prev == "" {
			return nil, p.errorf(start, `unbalanced parenthesis: ")" has no matching "("`)
		}
		return nil, p.errorf(start, `expected an expression after %q, found ")"`, prev)
	}
	w := p.wordAt(start)
	if strings.EqualFold(w, "not") {
		p.pos += len(w)
		x, err := p.parseTerm(w)
		if err != nil {
			return nil, err
		}
		return notExpr{x}, nil
	}
	if w == "" {
		return nil, p.errorf(start, "expected a subject, found %q; %s", p.tokenAt(start), subjectsHint)
	}
	return p.parseComparison(w)
}

// parseComparison parses comparison := subject operator [argument]; w is the subject as
// written, at p.pos.
func (p *parser) parseComparison(w string) (Expr, error) {
	start := p.pos
	p.pos += len(w) // word runes are ASCII
	c := &comparison{}
	lower := strings.ToLower(w)
	switch lower {
	case "agentconnected":
		c.subject = subjAgentConnected
	case "agentversion":
		c.subject = subjAgentVersion
	case "ec2instanceid", "instanceid":
		c.subject = subjInstanceID
	case "registeredat":
		c.subject = subjRegisteredAt
	case "runningtaskscount":
		c.subject = subjRunningTasksCount
	case "task:group":
		c.subject = subjTaskGroup
	default:
		const prefix = "attribute:"
		if !strings.HasPrefix(lower, prefix) {
			return nil, p.errorf(start, "unknown subject %q; %s", w, subjectsHint)
		}
		name := w[len(prefix):]
		nameStart := start + len(prefix)
		if name == "" {
			return nil, p.errorf(nameStart, "attribute: needs a name, e.g. attribute:ecs.instance-type")
		}
		if i := strings.IndexFunc(name, func(r rune) bool { return !isAttributeNameRune(r) }); i >= 0 {
			return nil, p.errorf(nameStart+i, `invalid attribute name %q; a name has letters, digits and - _ . / \ only`, name)
		}
		if len(name) > maxAttributeName {
			return nil, p.errorf(nameStart, "attribute name is %d characters long; the limit is %d", len(name), maxAttributeName)
		}
		c.subject, c.attr = subjAttribute, name
	}

	p.skipSpace()
	opStart := p.pos
	opText := p.readOperator()
	if opText == "" {
		if p.eof() {
			return nil, p.errorf(opStart, "expected an operator after %q; %s", w, operatorsHint)
		}
		return nil, p.errorf(opStart, "expected an operator after %q, found %q; %s", w, p.tokenAt(opStart), operatorsHint)
	}
	op, ok := operatorNames[strings.ToLower(opText)]
	if !ok {
		return nil, p.errorf(opStart, "unknown operator %q; %s", opText, operatorsHint)
	}
	if !c.subject.allows(op) {
		return nil, p.errorf(opStart, "operator %q cannot be used with %s; %s", opText, c.subject.name(), c.subject.operatorsHint())
	}
	c.op = op

	var argStarts []int
	switch op {
	case opExists, opNotExists:
		return c, nil
	case opIn, opNotIn:
		args, starts, err := p.parseList(opText)
		if err != nil {
			return nil, err
		}
		c.args, argStarts = args, starts
	default:
		arg, argStart, err := p.parseScalar(opText)
		if err != nil {
			return nil, err
		}
		c.args, argStarts = []string{arg}, []int{argStart}
	}
	if err := p.typeArgs(c, argStarts); err != nil {
		return nil, err
	}
	return c, nil
}

// readOperator reads an operator: a word (equals, !exists, not_in) or a run of the
// symbols = ! < > ~.
func (p *parser) readOperator() string {
	start := p.pos
	isLetter := func(r rune) bool {
		return r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_')
	}
	isSymbol := func(r rune) bool { return strings.ContainsRune("=!<>~", r) }
	switch {
	case p.eof():
	case isLetter(p.peek()):
		for !p.eof() && isLetter(p.peek()) {
			p.pos++
		}
	case isSymbol(p.peek()):
		for !p.eof() && isSymbol(p.peek()) {
			p.pos++
		}
		if p.pos-start == 1 && p.src[start] == '!' {
			for !p.eof() && isLetter(p.peek()) {
				p.pos++
			}
		}
	}
	return string(p.src[start:p.pos])
}

// parseScalar parses the one value of a comparison.
func (p *parser) parseScalar(opText string) (string, int, error) {
	p.skipSpace()
	start := p.pos
	if p.eof() {
		return "", start, p.errorf(start, "expected a value after %q", opText)
	}
	switch p.peek() {
	case '[', '(':
		return "", start, p.errorf(start, "%q takes one value, not a list; use in or !in to compare with a list", opText)
	}
	v, quoted, err := p.readValue(opText)
	if err != nil {
		return "", start, err
	}
	if !quoted && !p.eof() {
		switch r := p.peek(); r {
		case '(', '[', ']', ',', '\'', '"':
			return "", start, p.errorf(p.pos, "%q cannot appear in an unquoted value; put the value in quotes", string(r))
		}
	}
	return v, start, nil
}

// parseList parses the argument of in and !in: [a, b] or (a, b).
func (p *parser) parseList(opText string) ([]string, []int, error) {
	p.skipSpace()
	open := p.pos
	var closing rune
	switch p.peek() {
	case '[':
		closing = ']'
	case '(':
		closing = ')'
	default:
		if p.eof() {
			return nil, nil, p.errorf(open, "expected a list after %q, e.g. [a, b]", opText)
		}
		return nil, nil, p.errorf(open, "expected a list after %q, e.g. [a, b], found %q", opText, p.tokenAt(open))
	}
	p.pos++
	var values []string
	var starts []int
	prev := opText
	for {
		p.skipSpace()
		if p.eof() {
			return nil, nil, p.errorf(open, "list is not closed; add %q", string(closing))
		}
		if p.peek() == closing && len(values) == 0 {
			return nil, nil, p.errorf(open, "empty list after %q; give at least one value, e.g. [a, b]", opText)
		}
		starts = append(starts, p.pos)
		v, _, err := p.readValue(prev)
		if err != nil {
			return nil, nil, err
		}
		values = append(values, v)
		p.skipSpace()
		if p.eof() {
			return nil, nil, p.errorf(open, "list is not closed; add %q", string(closing))
		}
		switch r := p.peek(); r {
		case ',':
			p.pos++
			prev = ","
			continue
		case closing:
			p.pos++
			return values, starts, nil
		default:
			return nil, nil, p.errorf(p.pos, "expected \",\" or %q in the list, found %q", string(closing), p.tokenAt(p.pos))
		}
	}
}

// readValue reads one value, quoted or not, at p.pos (spaces skipped); prev is what came
// before it, for messages.
func (p *parser) readValue(prev string) (string, bool, error) {
	start := p.pos
	if q := p.peek(); q == '\'' || q == '"' {
		for i := start + 1; i < len(p.src); i++ {
			if p.src[i] == q {
				p.pos = i + 1
				return string(p.src[start+1 : i]), true, nil
			}
		}
		return "", true, p.errorf(start, "unterminated quoted value; add the closing %s", string(q))
	}
	for !p.eof() && !unicode.IsSpace(p.peek()) && !isDelimiter(p.peek()) &&
		!p.hasPrefixAt(p.pos, "&&") && !p.hasPrefixAt(p.pos, "||") {
		p.pos++
	}
	v := string(p.src[start:p.pos])
	switch {
	case v == "" && p.eof():
		return "", false, p.errorf(start, "expected a value after %q", prev)
	case v == "":
		return "", false, p.errorf(start, "expected a value after %q, found %q", prev, p.tokenAt(start))
	case isConnectiveWord(v):
		return "", false, p.errorf(start, "expected a value after %q, found %q; quote it if it is the value: '%s'", prev, v, v)
	}
	return v, false, nil
}

// typeArgs checks and converts the arguments of a comparison for its subject and operator.
func (p *parser) typeArgs(c *comparison, starts []int) error {
	if c.op == opMatches || c.op == opNotMatches {
		re, err := compileRegexp(c.args[0])
		if err != nil {
			return p.errorf(starts[0], "%s", err.Error())
		}
		c.re = re
		return nil
	}
	for i, a := range c.args {
		switch c.subject {
		case subjAgentConnected:
			switch strings.ToLower(a) {
			case "true", "false":
				c.args[i] = strings.ToLower(a)
			default:
				return p.errorf(starts[i], "agentConnected compares with true or false, not %q", a)
			}
		case subjRegisteredAt:
			t, ok := parseDate(a)
			if !ok {
				return p.errorf(starts[i], "invalid date %q for registeredAt; %s", a, datesHint)
			}
			c.times = append(c.times, t)
		case subjRunningTasksCount:
			n, err := strconv.ParseInt(a, 10, 64)
			if err != nil {
				return p.errorf(starts[i], "runningTasksCount compares with a whole number, not %q", a)
			}
			c.ints = append(c.ints, n)
		}
	}
	return nil
}

// maxRegexpSize bounds what a regular expression expands to (counted repetitions
// multiply), so that one expression cannot make every Parse take long and much memory. A
// pattern for instance types, AMIs or IDs is some tens.
const maxRegexpSize = 1000

// compileRegexp compiles the argument of =~ and !~ for full matches (see matchesFully).
func compileRegexp(s string) (*regexp.Regexp, error) {
	parsed, err := syntax.Parse(s, syntax.Perl)
	if err != nil {
		var se *syntax.Error
		if !errors.As(err, &se) {
			return nil, errors.New(msgf("invalid regular expression %q: %s", s, err.Error()))
		}
		msg := msgf("invalid regular expression %q: %s", s, string(se.Code))
		if se.Expr != "" && se.Expr != s {
			msg += msgf(" in %q", se.Expr)
		}
		if se.Code == syntax.ErrInvalidPerlOp || se.Code == syntax.ErrInvalidRepeatOp || se.Code == syntax.ErrInvalidEscape {
			msg += " (Go RE2 syntax: no lookaround, backreferences or possessive quantifiers)"
		}
		return nil, errors.New(msg)
	}
	if regexpSize(parsed) > maxRegexpSize {
		return nil, errors.New(msgf("regular expression %q is too large: its counted repetitions ({n}, {n,m}) expand to more than %d steps; use smaller counts", s, maxRegexpSize))
	}
	re, err := regexp.Compile(s)
	if err != nil {
		return nil, errors.New(msgf("invalid regular expression %q: %s", s, err.Error()))
	}
	// Leftmost-longest makes "some match spans the whole value" a single search.
	re.Longest()
	return re, nil
}

// regexpSize estimates the size of the compiled program, capped just above maxRegexpSize.
func regexpSize(re *syntax.Regexp) int {
	n := 1
	for _, sub := range re.Sub {
		n += regexpSize(sub)
	}
	if re.Op == syntax.OpRepeat {
		m := re.Max
		if m < 0 { // {n,}
			m = re.Min + 1
		}
		n *= max(m, 1)
	}
	return min(n, maxRegexpSize+1)
}

// dateLayouts are the registeredAt forms the ECS documentation lists; a time without a zone
// is UTC.
var dateLayouts = []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"}

func parseDate(s string) (time.Time, bool) {
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
