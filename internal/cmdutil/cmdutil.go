// Package cmdutil holds what every kube-ecs command does with its command line.
package cmdutil

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// ExitCode is the exit code for a flag parsing error: 0 for -h/--help (the usage was
// printed), else 2 after printing "<command>: <error>" to w.
func ExitCode(command string, err error, w io.Writer) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(w, "%s: %v\n", command, err)
	return 2
}

// ExitOnFlagError exits as ExitCode says when err is not nil.
func ExitOnFlagError(command string, err error) {
	if err != nil {
		os.Exit(ExitCode(command, err, os.Stderr))
	}
}
