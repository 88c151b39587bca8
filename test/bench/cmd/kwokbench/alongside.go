package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// alongside is a command run while the idle window is open. make bench runs the App Runner
// data plane benchmark on kind there: the idle figures are read from the manager's and
// kube-controller-manager's own counters and /proc entries, which work elsewhere on the
// machine does not change, and five minutes of two idle cores are the longest wait of the
// benchmark.
type alongside struct {
	cmd    *exec.Cmd
	log    string
	start  time.Time
	exited chan struct{}
	err    error         // set before exited closes
	took   time.Duration // set before exited closes
}

// startAlongside runs command with bash in dir, in its own process group, its output in log.
func startAlongside(command, dir, log string) (*alongside, error) {
	f, err := os.Create(log)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("bash", "-c", command)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting %q: %w", command, err)
	}
	a := &alongside{cmd: cmd, log: log, start: time.Now(), exited: make(chan struct{})}
	go func() {
		a.err = cmd.Wait()
		a.took = time.Since(a.start)
		f.Close()
		close(a.exited)
	}()
	return a, nil
}

// wait waits for the command to end and says how it ended.
func (a *alongside) wait() error {
	<-a.exited
	if a.err != nil {
		return fmt.Errorf("%q: %w; the end of its output (%s):\n%s", a.cmd.Args[2], a.err, a.log, tail(a.log, 30))
	}
	return nil
}

// stop interrupts the command's process group, as Ctrl-C would (hack/e2e.sh then deletes
// its kind cluster), and waits for it; after 3 minutes it kills the group.
func (a *alongside) stop() {
	select {
	case <-a.exited:
		return
	default:
	}
	pgid := a.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGINT)
	select {
	case <-a.exited:
	case <-time.After(3 * time.Minute):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-a.exited
	}
}

// tail is the last n lines of a file.
func tail(file string, n int) string {
	data, err := os.ReadFile(file)
	if err != nil {
		return err.Error()
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	return string(bytes.Join(lines[max(len(lines)-n, 0):], []byte("\n")))
}
