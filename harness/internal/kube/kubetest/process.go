package kubetest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// launcher starts the control plane's processes from one OS thread that
// lives as long as the control plane: each child gets SIGKILL when that
// thread ends (Pdeathsig), so a test binary that dies (a panic, go test's
// timeout) takes its servers with it instead of leaving them running.
type launcher struct {
	reqs chan func()
	quit chan struct{}
}

func newLauncher() *launcher {
	l := &launcher{reqs: make(chan func()), quit: make(chan struct{})}
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with this goroutine, after every child
		for {
			select {
			case f := <-l.reqs:
				f()
			case <-l.quit:
				return
			}
		}
	}()
	return l
}

// close ends the launcher's thread; every process must have been stopped.
func (l *launcher) close() { close(l.quit) }

// process is one server of the control plane; its output goes to a log
// file in the control plane's folder.
type process struct {
	name    string
	cmd     *exec.Cmd
	logFile string
	done    chan struct{}
	err     error // set when done is closed
}

// start runs bin with args and env (added to this process's environment),
// in its own process group, output to logFile.
func (l *launcher) start(name, bin string, args, env []string, logFile string) (*process, error) {
	out, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600) // #nosec G304 -- the control plane's own folder
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...) // #nosec G204 -- binaries of scripts/controlplane.sh
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p := &process{name: name, cmd: cmd, logFile: logFile, done: make(chan struct{})}
	started := make(chan error, 1)
	select {
	case l.reqs <- func() { started <- cmd.Start() }:
	case <-l.quit:
		_ = out.Close()
		return nil, errors.New("control plane stopped")
	}
	if err := <-started; err != nil {
		_ = out.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		_ = out.Close()
		close(p.done)
	}()
	return p, nil
}

// exited returns the process's exit error when it has ended, else nil and
// false.
func (p *process) exited() (error, bool) {
	select {
	case <-p.done:
		if p.err == nil {
			return fmt.Errorf("%s exited", p.name), true
		}
		return fmt.Errorf("%s: %w", p.name, p.err), true
	default:
		return nil, false
	}
}

// stop ends the process group: SIGTERM, again after grace (Chaos Mesh's
// controller stops its manager at the first signal but only exits at the
// second), then SIGKILL after another grace.
func (p *process) stop(grace time.Duration) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGTERM, syscall.SIGKILL} {
		if _, ok := p.exited(); ok {
			return
		}
		_ = syscall.Kill(-p.cmd.Process.Pid, sig)
		select {
		case <-p.done:
			// The group may hold children of its own: end them too.
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			return
		case <-time.After(grace):
		}
	}
	<-p.done
}

// tail is the end of the process's log (n lines at most), for errors.
func (p *process) tail(n int) string {
	b, err := os.ReadFile(p.logFile)
	if err != nil {
		return ""
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	var s strings.Builder
	for _, l := range lines {
		s.WriteString("\n  | ")
		s.Write(l)
	}
	return s.String()
}
