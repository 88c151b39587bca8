// Command kubectl-ecs is the kubectl plugin of kube-ecs: `kubectl ecs import` turns Amazon
// ECS and App Runner JSON (AWS CLI output, API request bodies) into kube-ecs manifests.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kube-ecs/kube-ecs/internal/ecsimport"
	"github.com/kube-ecs/kube-ecs/internal/version"
)

const usage = `kubectl ecs: Amazon ECS semantics on Kubernetes.

Usage:
  kubectl ecs import [-n NAMESPACE] [--round-to-fargate] FILE|-
  kubectl ecs version
  kubectl ecs help [COMMAND]

Commands:
  import    Convert ECS or App Runner JSON into kube-ecs manifests (YAML on stdout,
            warnings on stderr).
  version   Print the version of kubectl-ecs.
  help      Print this help, or the help of a command.
`

const importUsage = `Usage:
  kubectl ecs import [-n NAMESPACE] [--round-to-fargate] FILE|-

Convert one ECS or App Runner JSON document into kube-ecs manifests. FILE is read, or
standard input when FILE is -. The YAML is printed on standard output and every field that
was dropped or converted is reported on standard error.

Recognised input:
  aws ecs describe-task-definition output, a task definition or RegisterTaskDefinition
  request; a CreateService request, aws ecs create-service or describe-services output;
  a CreateCluster request, aws ecs create-cluster or describe-clusters output; an App
  Runner CreateService request (PascalCase) or aws apprunner create-service output.

Examples:
  aws ecs describe-task-definition --task-definition web --include TAGS | kubectl ecs import - | kubectl apply -f -
  kubectl ecs import -n prod --round-to-fargate taskdef.json > taskdef.yaml

Flags:
`

// exitUsage is the exit code of a command line that is wrong; exitError of a failure.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run runs the command line args and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "import":
		return runImport(rest, stdin, stdout, stderr)
	case "version":
		if len(rest) > 0 {
			fmt.Fprintf(stderr, "kubectl ecs version takes no arguments\n\n%s", usage)
			return exitUsage
		}
		fmt.Fprintln(stdout, version.Version)
		return exitOK
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 && rest[0] == "import" {
			fmt.Fprint(stdout, importUsage)
			newImportFlags(io.Discard).printDefaults(stdout)
			return exitOK
		}
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "kubectl ecs: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
}

type importFlags struct {
	fs             *flag.FlagSet
	namespace      string
	roundToFargate bool
}

func newImportFlags(output io.Writer) *importFlags {
	f := &importFlags{fs: flag.NewFlagSet("kubectl ecs import", flag.ContinueOnError)}
	f.fs.SetOutput(output)
	f.fs.Usage = func() {}
	f.fs.StringVar(&f.namespace, "n", "", "namespace to set on every object (shorthand)")
	f.fs.StringVar(&f.namespace, "namespace", "", "namespace to set on every object")
	f.fs.BoolVar(&f.roundToFargate, "round-to-fargate", false,
		"round a FARGATE task definition's cpu and memory up to the smallest valid Fargate size; without them, size it from its containers plus 256 MiB (as EKS on Fargate does)")
	return f
}

func (f *importFlags) printDefaults(w io.Writer) {
	f.fs.SetOutput(w)
	f.fs.PrintDefaults()
}

// parse parses flags wherever they are on the command line (kubectl's habit: `import
// FILE -n NS`) and returns the other arguments. Everything after "--" is an argument.
func (f *importFlags) parse(args []string) ([]string, error) {
	var positional []string
	for {
		if err := f.fs.Parse(args); err != nil {
			return nil, err
		}
		rest := f.fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

func runImport(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	flags := newImportFlags(stderr)
	positional, err := flags.parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, importUsage)
		flags.printDefaults(stdout)
		return exitOK
	}
	if err == nil && len(positional) != 1 {
		if len(positional) == 0 {
			err = errors.New("kubectl ecs import needs a FILE, or - to read standard input")
		} else {
			err = fmt.Errorf("kubectl ecs import takes one FILE, got %d: %s", len(positional), strings.Join(positional, " "))
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "%v\n\n%s", err, importUsage)
		flags.printDefaults(stderr)
		return exitUsage
	}

	if err := ecsimport.ValidateNamespace(flags.namespace); err != nil {
		return fail(stderr, err)
	}
	var data []byte
	if file := positional[0]; file == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return fail(stderr, err)
	}
	res, err := ecsimport.Convert(data, ecsimport.Options{
		Namespace:      flags.namespace,
		RoundToFargate: flags.roundToFargate,
	})
	if err != nil {
		if positional[0] != "-" {
			err = fmt.Errorf("%s: %w", positional[0], err)
		}
		return fail(stderr, err)
	}
	out, err := res.YAML()
	if err != nil {
		return fail(stderr, err)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	if _, err := stdout.Write(out); err != nil {
		return fail(stderr, err)
	}
	return exitOK
}

func fail(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "kubectl-ecs: %v\n", err)
	return exitError
}
