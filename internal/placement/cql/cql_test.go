package cql

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// instance is a Subject for tests.
type instance struct {
	name       string
	attrs      map[string]string
	id         string
	connected  bool
	version    string
	registered time.Time
	running    int
	groups     []string
}

func (i instance) Attribute(name string) (string, bool) {
	v, ok := i.attrs[name]
	return v, ok
}
func (i instance) InstanceID() string      { return i.id }
func (i instance) AgentConnected() bool    { return i.connected }
func (i instance) AgentVersion() string    { return i.version }
func (i instance) RegisteredAt() time.Time { return i.registered }
func (i instance) RunningTasksCount() int  { return i.running }
func (i instance) TaskGroups() []string    { return i.groups }

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// fixtures are the instances every valid case is evaluated against, in the order of the
// want strings (T or F per instance).
var fixtures = []instance{
	{
		name: "m5",
		attrs: map[string]string{
			"ecs.instance-type": "m5.large", "ecs.availability-zone": "us-east-1a", "ecs.os-type": "linux",
			"ecs.ami-id": "ami-1234abcd", "stack": "prod", "cores": "8", "team": "data platform",
		},
		id: "i-abcd1234", connected: true, version: "1.14.5", registered: date("2019-06-01T00:00:00Z"),
		running: 2, groups: []string{"service:production", "family:web"},
	},
	{
		name: "t2",
		attrs: map[string]string{
			"ecs.instance-type": "t2.small", "ecs.availability-zone": "us-east-1b", "ecs.os-type": "linux",
			"ecs.ami-id": "ami-5678efgh", "stack": "dev", "cores": "2", "team": "it's ops",
		},
		id: "i-wxyx7890", connected: false, version: "1.9.0", registered: date("2021-03-04T05:06:07Z"),
		running: 1, groups: []string{"database"},
	},
	{
		name: "g2",
		attrs: map[string]string{
			"ecs.instance-type": "g2.2xlarge", "ecs.availability-zone": "us-east-1d", "ecs.os-type": "windows",
			"ecs.ami-id": "ami-1234abcd", "cores": "16",
		},
		id: "i-0123456789abcdef0", connected: true, version: "1.10.0", registered: date("2018-02-13T00:00:00Z"),
	},
	{name: "empty"},
}

type validCase struct {
	expr      string
	canonical string // "" when expr is canonical
	want      string // T/F for each fixture: m5, t2, g2, empty
}

var validCases = []validCase{
	// The ECS documentation's examples.
	{expr: "attribute:ecs.instance-type == t2.small", want: "FTFF"},
	{expr: "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]", want: "TTFF"},
	{expr: "attribute:ecs.instance-type =~ g2.*", want: "FFTF"},
	{expr: "attribute:ecs.ami-id != ami-1234abcd", want: "FTFT"},
	{expr: "registeredAt < 2020-01-01", want: "TFTT"},
	{expr: "runningTasksCount > 1", want: "TFFF"},
	{expr: "attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone != us-east-1d", want: "FTFF"},
	{expr: "attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d", want: "FFFF"},
	{expr: "ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']", canonical: "ec2InstanceId in [i-abcd1234, i-wxyx7890]", want: "TTFF"},
	{expr: "not(task:group == database)", canonical: "not (task:group == database)", want: "TFTT"},
	{expr: "task:group == service:production", want: "TFFF"},
	{expr: "attribute:ecs.os-type == linux", want: "TTFF"},
	{expr: "agentConnected == true", want: "TFTF"},
	{expr: "attribute:stack exists", want: "TTFF"},
	{expr: "attribute:stack == prod and (attribute:ecs.instance-type == m5.large or attribute:ecs.instance-type == c5.xlarge)", want: "TFFF"},
	{expr: "runningTasksCount == 1", want: "FTFF"},
	{expr: "agentVersion < 1.14.5", want: "FTTT"},
	{expr: "registeredAt < 2018-02-13", want: "FFFT"},

	// Every operator and its alias.
	{expr: "attribute:stack == prod", want: "TFFF"},
	{expr: "attribute:stack equals prod", canonical: "attribute:stack == prod", want: "TFFF"},
	{expr: "attribute:stack EQUALS prod", canonical: "attribute:stack == prod", want: "TFFF"},
	{expr: "attribute:stack != prod", want: "FTTT"},
	{expr: "attribute:stack not_equals prod", canonical: "attribute:stack != prod", want: "FTTT"},
	{expr: "attribute:cores > 4", want: "TFTF"}, // numeric: 16 > 4
	{expr: "attribute:cores greater_than 4", canonical: "attribute:cores > 4", want: "TFTF"},
	{expr: "attribute:cores >= 8", want: "TFTF"},
	{expr: "attribute:cores greater_than_equal 8", canonical: "attribute:cores >= 8", want: "TFTF"},
	{expr: "attribute:cores < 8", want: "FTFF"},
	{expr: "attribute:cores less_than 8", canonical: "attribute:cores < 8", want: "FTFF"},
	{expr: "attribute:cores <= 8", want: "TTFF"},
	{expr: "attribute:cores less_than_equal 8", canonical: "attribute:cores <= 8", want: "TTFF"},
	{expr: "attribute:stack !exists", want: "FFTT"},
	{expr: "attribute:stack not_exists", canonical: "attribute:stack !exists", want: "FFTT"},
	{expr: "attribute:stack Exists", canonical: "attribute:stack exists", want: "TTFF"},
	{expr: "attribute:stack in [prod, qa]", want: "TFFF"},
	{expr: "attribute:stack IN [prod]", canonical: "attribute:stack in [prod]", want: "TFFF"},
	{expr: "attribute:stack !in [prod, qa]", want: "FTTT"},
	{expr: "attribute:stack not_in (prod, qa)", canonical: "attribute:stack !in [prod, qa]", want: "FTTT"},
	{expr: "attribute:stack !in(prod,qa)", canonical: "attribute:stack !in [prod, qa]", want: "FTTT"},
	{expr: "attribute:ecs.instance-type =~ m5\\..*", want: "TFFF"},
	{expr: "attribute:ecs.instance-type matches 'm5\\..*'", canonical: "attribute:ecs.instance-type =~ m5\\..*", want: "TFFF"},
	{expr: "attribute:ecs.instance-type !~ g2.*", want: "TTFT"},
	{expr: "attribute:ecs.instance-type not_matches g2.*", canonical: "attribute:ecs.instance-type !~ g2.*", want: "TTFT"},
	{expr: "attribute:ecs.instance-type =~ 2", want: "FFFF"}, // whole value
	{expr: "attribute:ecs.instance-type =~ .*2.*", want: "FTTF"},
	{expr: "attribute:ecs.instance-type =~ '" + strings.Repeat("[a-z0-9.]{0,100}", 4) + "'", want: "TTTF"},
	{expr: "attribute:ecs.instance-type =~ '(?i)M5\\.LARGE|t2\\.small'", want: "TTFF"},
	{expr: "attribute:ecs.availability-zone > us-east-1a", want: "FTTF"}, // byte order
	{expr: "attribute:cores > 10", want: "FFTF"},                         // not "8" > "10"

	// Wildcards.
	{expr: "attribute:ecs.instance-type == t2.*", want: "FTFF"},
	{expr: "attribute:ecs.instance-type != *.large", want: "FTTT"},
	{expr: "attribute:ecs.instance-type == *", want: "TTTF"},
	{expr: "attribute:ecs.instance-type == '*2.*'", canonical: "attribute:ecs.instance-type == *2.*", want: "FTTF"},
	{expr: "attribute:ecs.instance-type == *.*x*", want: "FFTF"},
	{expr: "attribute:ecs.instance-type in [m5.*, g2.*]", want: "TFTF"},
	{expr: "task:group == service:*", want: "TFFF"},
	{expr: "agentVersion == 1.*", want: "TTTF"},

	// Quoting.
	{expr: `attribute:stack == "prod"`, canonical: "attribute:stack == prod", want: "TFFF"},
	{expr: "attribute:team == 'data platform'", want: "TFFF"},
	{expr: `attribute:team == "it's ops"`, want: "FTFF"},
	{expr: `attribute:team in ['data platform', "it's ops"]`, want: "TTFF"},
	{expr: "attribute:stack == 'and'", want: "FFFF"},
	{expr: "attribute:stack == 'OR'", want: "FFFF"},
	{expr: "attribute:stack == '(x, [y])'", want: "FFFF"},
	{expr: "attribute:stack != ''", want: "TTTT"},
	{expr: "attribute:stack == 'a&&b||c'", want: "FFFF"},
	{expr: "attribute:stack == a&b|c", want: "FFFF"},
	{expr: "attribute:stack == not", want: "FFFF"},
	{expr: "attribute:stack == é/ü:@~", want: "FFFF"},

	// and, or, not: precedence, parentheses, aliases, case.
	{expr: "attribute:stack == dev or attribute:stack == prod and runningTasksCount > 1", want: "TTFF"},
	{expr: "(attribute:stack == dev or attribute:stack == prod) and runningTasksCount > 1", want: "TFFF"},
	{expr: "attribute:stack == dev || attribute:stack == prod && runningTasksCount > 1", canonical: "attribute:stack == dev or attribute:stack == prod and runningTasksCount > 1", want: "TTFF"},
	{expr: "attribute:stack == prod AND agentConnected == TRUE", canonical: "attribute:stack == prod and agentConnected == true", want: "TFFF"},
	{expr: "attribute:stack exists OR runningTasksCount == 0", canonical: "attribute:stack exists or runningTasksCount == 0", want: "TTTT"},
	{expr: "!attribute:stack exists", canonical: "not (attribute:stack exists)", want: "FFTT"},
	{expr: "NOT attribute:stack exists", canonical: "not (attribute:stack exists)", want: "FFTT"},
	{expr: "not not attribute:stack exists", canonical: "not (not (attribute:stack exists))", want: "TTFF"},
	{expr: "!!attribute:stack exists", canonical: "not (not (attribute:stack exists))", want: "TTFF"},
	{expr: "not attribute:stack == prod and agentConnected == true", canonical: "not (attribute:stack == prod) and agentConnected == true", want: "FFTF"},
	{expr: "not (attribute:stack == prod or attribute:stack == dev) and agentConnected == true", want: "FFTF"},
	{expr: "!(attribute:stack == prod && runningTasksCount > 1)", canonical: "not (attribute:stack == prod and runningTasksCount > 1)", want: "FTTT"},
	{expr: "((attribute:stack == prod))", canonical: "attribute:stack == prod", want: "TFFF"},
	{expr: "attribute:stack == prod and (runningTasksCount > 1 and agentConnected == true)", canonical: "attribute:stack == prod and runningTasksCount > 1 and agentConnected == true", want: "TFFF"},
	{expr: "(attribute:stack == dev or attribute:stack == qa) or attribute:cores == 16", canonical: "attribute:stack == dev or attribute:stack == qa or attribute:cores == 16", want: "FTTF"},
	{expr: "attribute:stack==prod&&runningTasksCount>1", canonical: "attribute:stack == prod and runningTasksCount > 1", want: "TFFF"},
	{expr: "  attribute:stack \t exists\n ", canonical: "attribute:stack exists", want: "TTFF"},
	{expr: "(attribute:stack==prod)or(attribute:stack==dev)", canonical: "attribute:stack == prod or attribute:stack == dev", want: "TTFF"},

	// Every subject.
	{expr: "agentConnected != true", want: "FTFT"},
	{expr: "agentConnected == False", canonical: "agentConnected == false", want: "FTFT"},
	{expr: "AgentConnected in [true]", canonical: "agentConnected in [true]", want: "TFTF"},
	{expr: "agentConnected !in [true]", want: "FTFT"},
	{expr: "agentConnected =~ t.*", want: "TFTF"},
	{expr: "agentConnected !~ t.*", want: "FTFT"},
	{expr: "agentVersion == 1.14.5", want: "TFFF"},
	{expr: "agentVersion != 1.9.0", want: "TFTT"},
	{expr: "agentVersion >= 1.10", want: "TFTF"}, // 1.10.0 == 1.10 as versions
	{expr: "agentVersion > 1.9.0", want: "TFTF"},
	{expr: "agentVersion <= 1.10.0", want: "FTTT"},
	{expr: "ec2InstanceId == i-abcd1234", want: "TFFF"},
	{expr: "instanceId == i-abcd1234", canonical: "ec2InstanceId == i-abcd1234", want: "TFFF"},
	{expr: "ec2InstanceId != i-*", want: "FFFT"},
	{expr: "ec2InstanceId !in [i-abcd1234]", want: "FTTT"},
	{expr: "ec2InstanceId =~ 'i-[0-9a-f]{17}'", want: "FFTF"},
	{expr: "ec2InstanceId !~ \"i-[0-9a-f]{17}\"", canonical: "ec2InstanceId !~ 'i-[0-9a-f]{17}'", want: "TTFT"},
	{expr: "registeredAt > 2018-06-18T22:28:28Z", want: "TTFF"},
	{expr: "registeredAt >= 2018-02-13T00:00:00+00:00", want: "TTTF"},
	{expr: "registeredAt == 2018-02-13T00:00:00", want: "FFTF"},
	{expr: "registeredAt <= 2019-06-01T02:00:00+02:00", want: "TFTT"},
	{expr: "registeredAt != 2018-02-13", want: "TTFT"},
	{expr: "registeredAt < 2021-03-04T05:06:07.5Z", want: "TTTT"},
	{expr: "runningTasksCount == 0", want: "FFTT"},
	{expr: "runningTasksCount != 0", want: "TTFF"},
	{expr: "runningTasksCount >= 1", want: "TTFF"},
	{expr: "runningTasksCount < 2", want: "FTTT"},
	{expr: "runningTasksCount <= 2", want: "TTTT"},
	{expr: "task:group == database", want: "FTFF"},
	{expr: "task:group != database", want: "TFTT"},
	{expr: "TASK:GROUP in [database, family:web]", canonical: "task:group in [database, family:web]", want: "TTFF"},
	{expr: "task:group !in [database, family:web]", want: "FFTT"},
	{expr: "task:group =~ family:.*", want: "TFFF"},
	{expr: "task:group !~ family:.*", want: "FTTT"},
	{expr: "attribute:A-b_c.d/e\\f exists", want: "FFFF"},
	{expr: "ATTRIBUTE:stack exists", canonical: "attribute:stack exists", want: "TTFF"},

	// A missing attribute.
	{expr: "attribute:missing == x", want: "FFFF"},
	{expr: "attribute:missing != x", want: "TTTT"},
	{expr: "attribute:missing exists", want: "FFFF"},
	{expr: "attribute:missing !exists", want: "TTTT"},
	{expr: "attribute:missing in [x]", want: "FFFF"},
	{expr: "attribute:missing !in [x]", want: "TTTT"},
	{expr: "attribute:missing =~ .*", want: "FFFF"},
	{expr: "attribute:missing !~ .*", want: "TTTT"},
	{expr: "attribute:missing > 0", want: "FFFF"},
	{expr: "attribute:missing >= 0", want: "FFFF"},
	{expr: "attribute:missing < 0", want: "FFFF"},
	{expr: "attribute:missing <= 0", want: "FFFF"},
	{expr: "not (attribute:missing == x)", want: "TTTT"},
}

type invalidCase struct {
	expr string
	err  string
}

var invalidCases = []invalidCase{
	{"", `invalid expression at position 1: expression is empty; write a condition such as attribute:ecs.instance-type == t2.small`},
	{" \t ", `invalid expression at position 1: expression is empty; write a condition such as attribute:ecs.instance-type == t2.small`},
	{"attribute:stack exists and", `invalid expression at position 27: expected an expression after "and"`},
	{"attribute:stack exists && ", `invalid expression at position 27: expected an expression after "&&"`},
	{"attribute:stack exists or and runningTasksCount > 1", `invalid expression at position 27: expected an expression after "or", found "and"`},
	{"and attribute:stack exists", `invalid expression at position 1: expression cannot start with "and"; put a condition before it`},
	{"(attribute:stack exists", `invalid expression at position 1: unbalanced parenthesis: this "(" is never closed; add ")"`},
	{"not ((attribute:stack exists)", `invalid expression at position 5: unbalanced parenthesis: this "(" is never closed; add ")"`},
	{"attribute:stack exists)", `invalid expression at position 23: unbalanced parenthesis: ")" has no matching "("`},
	{")", `invalid expression at position 1: unbalanced parenthesis: ")" has no matching "("`},
	{"()", `invalid expression at position 2: expected an expression after "(", found ")"`},
	{"(attribute:stack exists attribute:a exists)", `invalid expression at position 25: unexpected "attribute:a"; expected and, or or ")"`},
	{"attribute:stack => prod", `invalid expression at position 17: unknown operator "=>"; use ==, !=, >, >=, <, <=, exists, !exists, in, !in, =~ or !~`},
	{"attribute:stack is prod", `invalid expression at position 17: unknown operator "is"; use ==, !=, >, >=, <, <=, exists, !exists, in, !in, =~ or !~`},
	{"attribute:stack", `invalid expression at position 16: expected an operator after "attribute:stack"; use ==, !=, >, >=, <, <=, exists, !exists, in, !in, =~ or !~`},
	{"attribute:stack 'prod'", `invalid expression at position 17: expected an operator after "attribute:stack", found "'"; use ==, !=, >, >=, <, <=, exists, !exists, in, !in, =~ or !~`},
	{"attribute:stack ==", `invalid expression at position 19: expected a value after "=="`},
	{"attribute:stack equals )", `invalid expression at position 24: expected a value after "equals", found ")"`},
	{"attribute:stack == and runningTasksCount > 1", `invalid expression at position 20: expected a value after "==", found "and"; quote it if it is the value: 'and'`},
	{"attribute:stack == 'prod", `invalid expression at position 20: unterminated quoted value; add the closing '`},
	{"attribute:stack == prod qa", `invalid expression at position 25: unexpected "qa"; expected and, or or the end of the expression`},
	{"attribute:stack == a(b)", `invalid expression at position 21: "(" cannot appear in an unquoted value; put the value in quotes`},
	{"attribute:stack == a,b", `invalid expression at position 21: "," cannot appear in an unquoted value; put the value in quotes`},
	{"attribute:stack == [a, b]", `invalid expression at position 20: "==" takes one value, not a list; use in or !in to compare with a list`},
	{"attribute:x =~ 'a('", `invalid expression at position 16: invalid regular expression "a(": missing closing )`},
	{"attribute:x =~ '(?=a)b'", `invalid expression at position 16: invalid regular expression "(?=a)b": invalid or unsupported Perl syntax in "(?=" (Go RE2 syntax: no lookaround, backreferences or possessive quantifiers)`},
	{`attribute:x matches (a)\1`, `invalid expression at position 21: "matches" takes one value, not a list; use in or !in to compare with a list`},
	{"attribute:x =~ '(a)\\1'", `invalid expression at position 16: invalid regular expression "(a)\1": invalid escape sequence in "\1" (Go RE2 syntax: no lookaround, backreferences or possessive quantifiers)`},
	{"attribute:x =~ a{1000}", `invalid expression at position 16: regular expression "a{1000}" is too large: its counted repetitions ({n}, {n,m}) expand to more than 1000 steps; use smaller counts`},
	{"attribute:x =~ '" + strings.Repeat("[a-z]{0,100}", 6) + "'", `invalid expression at position 16: regular expression "` + strings.Repeat("[a-z]{0,100}", 6) + `" is too large: its counted repetitions ({n}, {n,m}) expand to more than 1000 steps; use smaller counts`},
	{strings.Repeat("a", MaxLength+1), `invalid expression at position 2001: expression is 2001 characters long; the limit is 2000`},
	{"attribute:stack == " + strings.Repeat("é", MaxLength), `invalid expression at position 2001: expression is 2019 characters long; the limit is 2000`},
	{"foo == bar", `invalid expression at position 1: unknown subject "foo"; use attribute:<name>, agentConnected, agentVersion, ec2InstanceId, instanceId, registeredAt, runningTasksCount or task:group`},
	{"task:groups == a", `invalid expression at position 1: unknown subject "task:groups"; use attribute:<name>, agentConnected, agentVersion, ec2InstanceId, instanceId, registeredAt, runningTasksCount or task:group`},
	{"== prod", `invalid expression at position 1: expected a subject, found "=="; use attribute:<name>, agentConnected, agentVersion, ec2InstanceId, instanceId, registeredAt, runningTasksCount or task:group`},
	{"attribute: == prod", `invalid expression at position 11: attribute: needs a name, e.g. attribute:ecs.instance-type`},
	{"attribute:a:b exists", `invalid expression at position 12: invalid attribute name "a:b"; a name has letters, digits and - _ . / \ only`},
	{"attribute:" + strings.Repeat("n", 129) + " exists", `invalid expression at position 11: attribute name is 129 characters long; the limit is 128`},
	{"attribute:ecs.availability-zone in [us-east-1a, us-east-1b", `invalid expression at position 36: list is not closed; add "]"`},
	{"attribute:ecs.availability-zone in (us-east-1a", `invalid expression at position 36: list is not closed; add ")"`},
	{"attribute:stack in [a, b)", `invalid expression at position 25: expected "," or "]" in the list, found ")"`},
	{"attribute:stack in [a b]", `invalid expression at position 23: expected "," or "]" in the list, found "b"`},
	{"attribute:stack in []", `invalid expression at position 20: empty list after "in"; give at least one value, e.g. [a, b]`},
	{"attribute:stack in [a,]", `invalid expression at position 23: expected a value after ",", found "]"`},
	{"attribute:stack in prod", `invalid expression at position 20: expected a list after "in", e.g. [a, b], found "prod"`},
	{"attribute:stack not_in", `invalid expression at position 23: expected a list after "not_in", e.g. [a, b]`},
	{"attribute:stack exists prod", `invalid expression at position 24: unexpected "prod"; expected and, or or the end of the expression`},
	{"agentConnected > true", `invalid expression at position 16: operator ">" cannot be used with agentConnected; use ==, !=, in, !in, =~ or !~`},
	{"agentConnected == yes", `invalid expression at position 19: agentConnected compares with true or false, not "yes"`},
	{"runningTasksCount in [1, 2]", `invalid expression at position 19: operator "in" cannot be used with runningTasksCount; use ==, !=, >, >=, < or <=`},
	{"runningTasksCount > many", `invalid expression at position 21: runningTasksCount compares with a whole number, not "many"`},
	{"registeredAt < yesterday", `invalid expression at position 16: invalid date "yesterday" for registeredAt; use 2018-06-18T22:28:28Z, 2018-06-18T22:28:28+00:00, 2018-06-18T22:28:28 or 2018-06-18`},
	{"registeredAt =~ 2018.*", `invalid expression at position 14: operator "=~" cannot be used with registeredAt; use ==, !=, >, >=, < or <=`},
	{"task:group exists", `invalid expression at position 12: operator "exists" cannot be used with task:group; use ==, !=, in, !in, =~ or !~`},
	{"not", `invalid expression at position 4: expected an expression after "not"`},
	{"attribute:stack exists and not", `invalid expression at position 31: expected an expression after "not"`},
	{"attribute:x == \xff", `invalid expression at position 16: expression is not valid UTF-8`},
}

func evalAll(e Expr) string {
	var b strings.Builder
	for _, f := range fixtures {
		if e.Eval(f) {
			b.WriteByte('T')
		} else {
			b.WriteByte('F')
		}
	}
	return b.String()
}

func TestParseValid(t *testing.T) {
	for _, tc := range validCases {
		t.Run(tc.expr, func(t *testing.T) {
			e, err := Parse(tc.expr)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := tc.canonical
			if want == "" {
				want = tc.expr
			}
			if got := e.String(); got != want {
				t.Errorf("String() = %q, want %q", got, want)
			}
			if got := evalAll(e); got != tc.want {
				t.Errorf("Eval on %s = %s, want %s", fixtureNames(), got, tc.want)
			}
		})
	}
}

func fixtureNames() string {
	var names []string
	for _, f := range fixtures {
		names = append(names, f.name)
	}
	return strings.Join(names, ",")
}

func TestParseInvalid(t *testing.T) {
	for _, tc := range invalidCases {
		t.Run(tc.expr, func(t *testing.T) {
			e, err := Parse(tc.expr)
			if err == nil {
				t.Fatalf("Parse succeeded: %s", e)
			}
			if err.Error() != tc.err {
				t.Errorf("error\n got %s\nwant %s", err, tc.err)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Errorf("error is a %T, want *ParseError", err)
			}
		})
	}
}

// TestStringRoundTrip checks that the canonical form and the compact form parse again and
// evaluate the same, that the canonical form is stable, and that the compact form is never
// longer than what was parsed.
func TestStringRoundTrip(t *testing.T) {
	for _, tc := range validCases {
		t.Run(tc.expr, func(t *testing.T) {
			e, err := Parse(tc.expr)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkRoundTrip(t, tc.expr, e)
		})
	}
}

func checkRoundTrip(t *testing.T, input string, e Expr) {
	t.Helper()
	s := e.String()
	e2, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q) of String() of %q: %v", s, input, err)
	}
	if s2 := e2.String(); s2 != s {
		t.Errorf("String() is not stable: %q, then %q", s, s2)
	}
	if got, want := evalAll(e2), evalAll(e); got != want {
		t.Errorf("Parse(String()) = %q evaluates to %s, the original %q to %s", s, got, input, want)
	}
	for _, sub := range fuzzSubjects {
		if e.Eval(sub) != e2.Eval(sub) {
			t.Errorf("%q and its String() %q evaluate differently on %s", input, s, sub.name)
		}
	}
	var b strings.Builder
	e.(formatter).format(&b, true)
	compact := b.String()
	e3, err := Parse(compact)
	if err != nil {
		t.Fatalf("Parse(%q) of the compact form of %q: %v", compact, input, err)
	}
	if n, m := utf8.RuneCountInString(compact), utf8.RuneCountInString(input); n > m {
		t.Errorf("compact form %q (%d characters) is longer than %q (%d)", compact, n, input, m)
	}
	if got, want := evalAll(e3), evalAll(e); got != want {
		t.Errorf("compact form %q evaluates to %s, the original %q to %s", compact, got, input, want)
	}
	for _, sub := range fuzzSubjects {
		if e.Eval(sub) != e3.Eval(sub) {
			t.Errorf("%q and its compact form %q evaluate differently on %s", input, compact, sub.name)
		}
	}
}

// TestStringLongExpression checks that an expression near MaxLength, whose canonical form
// would be longer than MaxLength, still has a String that parses.
func TestStringLongExpression(t *testing.T) {
	clause := "attribute:a==b&&!(runningTasksCount>1||task:group in[x,y])&&"
	last := "attribute:x exists"
	in := strings.Repeat(clause, (MaxLength-len(last))/len(clause)) + last
	e, err := Parse(in)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	var pretty strings.Builder
	e.(formatter).format(&pretty, false)
	if pretty.Len() <= MaxLength {
		t.Fatalf("the canonical form (%d) fits; the test needs one that does not", pretty.Len())
	}
	checkRoundTrip(t, in, e)
	if s := e.String(); !strings.Contains(s, "&&") {
		t.Errorf("String() of a long expression is not the compact form: %.80s...", s)
	}
}

func TestWildcardMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, v string
		want       bool
	}{
		{"t2.*", "t2.small", true},
		{"t2.*", "t2.", true},
		{"t2.*", "xt2.small", false},
		{"*", "", true},
		{"**", "a", true},
		{"*.large", "m5.large", true},
		{"*.large", "m5.xlarge", false},
		{"*large", "m5.xlarge", true},
		{"*.large", "m5.largeish", false},
		{"a*b*c", "abc", true},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "acb", false},
		{"ab*b", "ab", false},
		{"a*a", "a", false},
		{"é*ü", "éxxü", true},
		{"exact", "exact", true},
		{"exact", "Exact", false},
	} {
		if got := wildcardMatch(tc.pattern, tc.v); got != tc.want {
			t.Errorf("wildcardMatch(%q, %q) = %v, want %v", tc.pattern, tc.v, got, tc.want)
		}
	}
}

func TestCompareValues(t *testing.T) {
	for _, tc := range []struct {
		a, b         string
		versionFirst bool
		want         int
	}{
		{"10", "9", false, 1},
		{"1.5", "1.25", false, 1},
		{"-1", "0", false, -1},
		{"1e3", "999", false, 1},
		{"1.10", "1.9", false, -1}, // numbers
		{"1.10", "1.9", true, 1},   // versions
		{"1.14.5", "1.9.0", false, 1},
		{"v1.2", "1.2.0", true, 0},
		{"1.02", "1.2", true, 0},
		{"99999999999999999999999.1", "99999999999999999999998.9", true, 1},
		{"abc", "abd", false, -1},
		{"NaN", "1", false, 1}, // not a number: bytes
		{"", "1.14.5", true, -1},
	} {
		if got := compareValues(tc.a, tc.b, tc.versionFirst); got != tc.want {
			t.Errorf("compareValues(%q, %q, %v) = %d, want %d", tc.a, tc.b, tc.versionFirst, got, tc.want)
		}
	}
}
