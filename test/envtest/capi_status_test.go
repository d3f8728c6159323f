package envtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/fleetup/fleetup/internal/cli"
)

// syncBuffer is a buffer a command writes to while the test reads it;
// each write is signalled on written.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	written chan struct{}
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{written: make(chan struct{}, 1)} }

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() {
		select {
		case s.written <- struct{}{}:
		default:
		}
	}()
	return s.b.Write(p)
}

// waitFor waits until the output contains want.
func (s *syncBuffer) waitFor(ctx context.Context, want string) error {
	for !strings.Contains(s.String(), want) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %q in:\n%s", want, s.String())
		case <-s.written:
		}
	}
	return nil
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fleetStatus is `fleetup fleet status` on the shipped fleet against the
// environment's API server (no config.yaml: --kubeconfig).
func fleetStatus(t *testing.T, out *syncBuffer, output string, watch bool) *cli.FleetStatus {
	t.Helper()
	g := &cli.Global{Stdout: out, Stderr: out, Output: output, LogFormat: "text", Kubeconfig: env.Kubeconfig,
		ConfigFile: filepath.Join(t.TempDir(), "config.yaml")}
	return &cli.FleetStatus{Fleet: cli.Fleet{Global: g, Dir: "../../fleet"}, Watch: watch, IsTerminal: func() bool { return false }}
}

// startStatusWatch runs `fleet status --watch` until stop, which returns
// what it printed and how it ended.
func startStatusWatch(ctx context.Context, t *testing.T) (out *syncBuffer, stop func() error) {
	t.Helper()
	out = newSyncBuffer()
	ctx, cancel := context.WithCancelCause(ctx)
	done := make(chan error, 1)
	go func() { done <- fleetStatus(t, out, "text", true).Run(ctx) }()
	return out, func() error {
		cancel(errors.New("the test is done"))
		return <-done
	}
}

// checkFleetStatus: `fleet status -o json` on the provisioned in-memory
// cluster shows Cluster API converged at the profile's version; with no
// fleet Application on this hub (Argo CD does not render it here) the
// cluster is progressing, and the exit code is 1.
func checkFleetStatus(ctx context.Context, t *testing.T, name, version string) {
	t.Helper()
	out := newSyncBuffer()
	err := fleetStatus(t, out, "json", false).Run(ctx)
	if cli.ExitCode(err) != cli.ExitFailure {
		t.Errorf("fleet status: %v, want exit 1 (not every cluster is ready)", err)
	}
	var rep cli.FleetStatusReport
	if err := json.Unmarshal([]byte(out.String()), &rep); err != nil {
		t.Fatalf("fleet status -o json: %v\n%s", err, out.String())
	}
	var c *cli.ClusterStatus
	for i := range rep.Clusters {
		if rep.Clusters[i].Name == name {
			c = &rep.Clusters[i]
		}
	}
	if rep.SchemaVersion != cli.FleetStatusSchema || rep.Ready || c == nil {
		t.Fatalf("fleet status -o json: %s", out.String())
	}
	st := c.Live.ClusterAPI
	if c.State != cli.StateProgressing || c.Reason != "no Application fleet-"+name+" yet" || !c.Checks.ClusterAPI ||
		st == nil || st.Phase != "Provisioned" || c.Git.KubernetesVersion != version {
		t.Errorf("fleet status of %s: state %s, reason %q, checks %+v, Cluster API %+v", name, c.State, c.Reason, c.Checks, st)
	}
}

// checkWatchLines: the watch printed the cluster's first state (nothing
// on the hub) and, on the hub's changes, its later one.
func checkWatchLines(t *testing.T, out string, name string) {
	t.Helper()
	var states []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= 4 && f[1] == "cluster" && f[2] == name {
			states = append(states, strings.Join(f[3:], " "))
		}
	}
	t.Logf("fleet status --watch printed:\n%s", out)
	first, last := "missing: nothing on the hub", "progressing: no Application fleet-"+name+" yet"
	if len(states) < 2 || !strings.HasPrefix(states[0], first) || states[len(states)-1] != last {
		t.Errorf("fleet status --watch lines of %s:\n%s\nwant first %q, last %q", name, out, first, last)
	}
	// Provisioning is progress: nothing Cluster API says on the way is a
	// failure.
	for _, s := range states {
		if strings.HasPrefix(s, "failed") {
			t.Errorf("%s was %s while it was provisioned", name, s)
		}
	}
}
