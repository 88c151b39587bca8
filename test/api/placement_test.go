package api_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestPlacementExpressionsAtAdmission: memberOf expressions are parsed by the manager's
// validating webhook, so `kubectl apply` refuses an invalid one with the parser's message and
// accepts the ECS documentation's examples.
func TestPlacementExpressionsAtAdmission(t *testing.T) {
	ns := newNamespace(t)
	manifest := func(kind, name, expr string) string {
		switch kind {
		case "TaskDefinition":
			return fmt.Sprintf(`apiVersion: ecs.kube-ecs.io/v1alpha1
kind: TaskDefinition
metadata: {name: %s}
spec:
  containerDefinitions: [{name: app, image: busybox, memory: 32}]
  placementConstraints: [{type: memberOf, expression: %q}]
`, name, expr)
		case "Service":
			return fmt.Sprintf(`apiVersion: ecs.kube-ecs.io/v1alpha1
kind: Service
metadata: {name: %s}
spec:
  taskDefinition: app
  desiredCount: 0
  placementConstraints: [{type: distinctInstance}, {type: memberOf, expression: %q}]
`, name, expr)
		}
		return fmt.Sprintf(`apiVersion: ecs.kube-ecs.io/v1alpha1
kind: Task
metadata: {name: %s}
spec:
  taskDefinition: app
  placementConstraints: [{type: memberOf, expression: %q}]
`, name, expr)
	}
	invalid := []struct {
		kind, expr, want string
	}{
		{"Task", "attribute:ecs.instance-type => t2.small", `spec.placementConstraints[0].expression: Invalid value: "attribute:ecs.instance-type => t2.small": invalid expression at position`},
		{"Task", "(attribute:stack == prod", "unbalanced parenthesis"},
		{"Service", "attribute:ecs.instance-type ==", `spec.placementConstraints[1].expression`},
		{"TaskDefinition", "attribute:ecs.instance-type =~ 't2.('", "invalid regular expression"},
		{"Task", "color == red", `unknown subject "color"`},
	}
	for i, tt := range invalid {
		t.Run("invalid "+tt.kind+" "+tt.expr, func(t *testing.T) {
			out, err := kubectl(t, []byte(manifest(tt.kind, fmt.Sprintf("bad%d", i), tt.expr)), "apply", "-n", ns, "-f", "-")
			if err == nil {
				t.Fatalf("kubectl apply accepted %q:\n%s", tt.expr, out)
			}
			if !strings.Contains(out, tt.want) || !strings.Contains(out, "denied the request") {
				t.Fatalf("kubectl apply refused %q, but the message does not say %q:\n%s", tt.expr, tt.want, out)
			}
		})
	}
	valid := []string{
		"attribute:ecs.instance-type == t2.small",
		"attribute:ecs.availability-zone in [us-east-1a, us-east-1b]",
		"attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d",
		"not(task:group == database)",
		"ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']",
		"registeredAt < 2020-01-01",
	}
	for i, expr := range valid {
		for _, kind := range []string{"Task", "Service", "TaskDefinition"} {
			name := fmt.Sprintf("ok%d-%s", i, strings.ToLower(kind))
			if out, err := kubectl(t, []byte(manifest(kind, name, expr)), "apply", "-n", ns, "-f", "-"); err != nil {
				t.Errorf("kubectl apply refused the valid %s expression %q: %v\n%s", kind, expr, err, out)
			}
		}
	}
}
