package envtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

const apiServerName = "kube-apiserver"

// StopAPIServer stops kube-apiserver and returns once it has exited, so a
// request made afterwards cannot reach it. SIGTERM closes its listener at
// once; the SIGKILL 2 s later breaks the watches it would drain for a
// minute, as a control plane going away does. Every other component keeps
// running and has to reconnect by itself.
func (e *Env) StopAPIServer() error {
	_, p, err := e.apiServer()
	if err != nil {
		return err
	}
	if done, _ := p.exited(); done {
		return errors.New("kube-apiserver is already stopped")
	}
	p.stop(2 * time.Second)
	e.logf("kube-apiserver stopped")
	return nil
}

// StartAPIServer starts kube-apiserver again with the flags, port,
// certificates and etcd data of its first start, in its place in the
// environment's process list (Stop and Tails see it), and returns once
// /readyz answers ok. When it is running it only waits for /readyz.
func (e *Env) StartAPIServer(ctx context.Context) error {
	i, old, err := e.apiServer()
	if err != nil {
		return err
	}
	if done, _ := old.exited(); done {
		// The log file is appended to; mark where the new run begins.
		if f, err := os.OpenFile(old.logPath, os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
			fmt.Fprintf(f, "----- envtest: %s restarted -----\n", apiServerName)
			f.Close()
		}
		// The environment the first run got is baseEnv() again.
		p, err := start(e.Dir, old.name, old.cmd.Path, old.cmd.Args[1:], nil)
		if err != nil {
			return err
		}
		e.mu.Lock()
		if i < len(e.procs) && e.procs[i] == old {
			e.procs[i] = p
			old = nil
		}
		e.mu.Unlock()
		if old != nil {
			// Stop ran meanwhile: this process is nobody's to stop.
			p.stop(time.Second)
			return errors.New("test environment stopped while kube-apiserver was starting")
		}
		e.logf("kube-apiserver started again")
	}
	return e.waitHTTP(ctx, apiServerName, e.Server+"/readyz", e.Token, func(body string) bool { return body == "ok" })
}

// Outage stops kube-apiserver for d, then starts it again and waits until
// it is ready. When ctx ends first the server is still started again
// (within a minute), since later tests share the environment.
func (e *Env) Outage(ctx context.Context, d time.Duration) error {
	if err := e.StopAPIServer(); err != nil {
		return err
	}
	e.logf("API server outage of %v", d)
	t := time.NewTimer(d)
	defer t.Stop()
	var cause error
	select {
	case <-t.C:
	case <-ctx.Done():
		cause = context.Cause(ctx)
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
	}
	if err := e.StartAPIServer(ctx); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// apiServer finds kube-apiserver in the process list.
func (e *Env) apiServer() (int, *process, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, p := range e.procs {
		if p.name == apiServerName {
			return i, p, nil
		}
	}
	return 0, nil, errors.New("the test environment has no kube-apiserver (stopped?)")
}
