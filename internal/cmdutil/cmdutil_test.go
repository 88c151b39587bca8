package cmdutil

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"testing"
)

func TestExitCode(t *testing.T) {
	var w bytes.Buffer
	if code := ExitCode("agent", fmt.Errorf("parsing: %w", flag.ErrHelp), &w); code != 0 || w.Len() != 0 {
		t.Errorf("help: code %d, output %q", code, w.String())
	}
	if code := ExitCode("agent", errors.New("the node name is not set"), &w); code != 2 || w.String() != "agent: the node name is not set\n" {
		t.Errorf("error: code %d, output %q", code, w.String())
	}
}
