// Package cql parses and evaluates ECS's cluster query language, the expressions of memberOf
// placement constraints (and of container-instance filters): which container instances a
// task may be placed on.
//
// It is pure: no client, no clock, no environment. Parse once (it reports every problem as
// a *ParseError with a 1-based character position and a message saying how to fix it), then
// evaluate against each candidate instance:
//
//	e, err := cql.Parse(`attribute:ecs.instance-type =~ t3.* and task:group != service:db`)
//	if err != nil { ... } // permanent: surface it, do not retry
//	ok := e.Eval(instance) // instance implements cql.Subject
//
// # Grammar
//
//	expression := and-expr { ( or | || ) and-expr }
//	and-expr   := term { ( and | && ) term }
//	term       := { not | ! } ( '(' expression ')' | comparison )
//	comparison := subject operator [ argument ]
//	subject    := attribute:<name> | agentConnected | agentVersion | ec2InstanceId | instanceId
//	            | registeredAt | runningTasksCount | task:group
//	argument   := value | list      list := '[' value { ',' value } ']' | '(' value { ',' value } ')'
//
// and binds tighter than or. Keywords, subjects and operators are case-insensitive (AND,
// Equals, AgentConnected); attribute names and values are case-sensitive. An attribute name
// has 1 to 128 letters, digits and - _ . / \ (ECS's rule). An expression has at most
// MaxLength characters.
//
// Operators, with their word aliases: == equals, != not_equals, > greater_than,
// >= greater_than_equal, < less_than, <= less_than_equal, exists, !exists not_exists (no
// argument), in, !in not_in (a list), =~ matches, !~ not_matches (a regular expression).
// Built-in subjects take the operators the ECS documentation lists for them: agentConnected
// and ec2InstanceId ==, !=, in, !in, =~, !~; agentVersion, registeredAt and
// runningTasksCount ==, !=, >, >=, <, <=. task:group, for which ECS lists none, takes the
// same as ec2InstanceId. exists and !exists are for attributes only.
//
// A value is either quoted with ' or " (anything but that quote, spaces included; there are
// no escapes, so a value holding ' is quoted with ") or bare: any run of characters up to a
// space, ( ) [ ] , ' " or && ||. A bare value cannot be and or or (quote it). Arguments are
// checked when parsing: agentConnected takes true or false, runningTasksCount a whole
// number, registeredAt a date in one of the documented forms (2018-06-18T22:28:28Z,
// 2018-06-18T22:28:28+00:00, 2018-06-18T22:28:28 or 2018-06-18; no zone means UTC), =~ and
// !~ a valid regular expression.
//
// # Semantics
//
//   - == and != compare strings; a * in the value (or in an in/!in list item, quoted or not)
//     stands for any run of characters: attribute:ecs.instance-type == t2.*. runningTasksCount
//     compares numbers and registeredAt instants.
//   - > >= < <= compare as decimal numbers when both sides are numbers, as versions when both
//     are dotted numbers (1.9.0 < 1.14.5), else byte by byte; agentVersion compares as
//     versions first, so agentVersion < 1.14.5 and 1.10 > 1.9 hold as expected.
//   - =~ and !~ match the whole value, as Java's Matcher.matches does: g2.* matches
//     g2.2xlarge but not xg2.large, and g2 matches only g2.
//   - A missing attribute satisfies only the negated operators: == in =~ exists and the
//     orderings are false, != !in !~ !exists are true.
//   - task:group is the set of the groups of the tasks running on the instance: ==, in and =~
//     hold when some group matches, !=, !in and !~ when none does (so on an empty instance
//     task:group != database holds, as task anti-affinity needs).
//
// # Differences from ECS
//
// ECS evaluates =~ with Java regular expressions; this package uses Go's RE2 syntax
// (regexp/syntax). Most patterns (classes, anchors, alternation, counted repetition, (?i))
// mean the same; lookahead/lookbehind, backreferences, possessive quantifiers and atomic
// groups do not exist in RE2 and are rejected when parsing, and Java-only classes such as
// \p{javaLowerCase} are too. A pattern whose counted repetitions expand it past 1000 steps
// (a{1000}, or [a-z]{0,100} six times) is rejected too, so that no expression makes
// parsing slow. That =~ must match the whole value is read from the documentation's
// examples (g2.*), which only make sense for whole matches. ECS documents quoting only by
// example and says nothing of wildcards in lists or of how orderings treat values that are
// not numbers; the choices above are this package's.
//
// # Canonical form
//
// Expr.String writes keywords and operators in one spelling (and, or, not, ==, in, ...),
// subjects as documented (ec2InstanceId for instanceId), booleans in lower case, single
// spaces, lists as [a, b], values quoted only when they must be and parentheses only where
// precedence needs them; not is written not (...). Parse(e.String()) always succeeds and
// evaluates the same: when the canonical form would exceed MaxLength, String writes the
// compact form instead (&&, ||, ! and no optional spaces), which is never longer than the
// expression that was parsed.
package cql
