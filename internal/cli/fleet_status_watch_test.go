package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/internal/gitrepo/gitrepotest"
)

// report is a fleet of two clusters in the given states.
func statusReport(devState, devReason, prodState, prodReason string) *FleetStatusReport {
	rep := &FleetStatusReport{SchemaVersion: FleetStatusSchema, Fleet: "fleet", Summary: map[string]int{}, Clusters: []ClusterStatus{
		{Name: "dev-acme-fra", State: devState, Reason: devReason},
		{Name: "prod-acme-fra", State: prodState, Reason: prodReason},
	}}
	rep.Ready = devState == StateReady && prodState == StateReady
	for _, c := range rep.Clusters {
		rep.Summary[c.State]++
	}
	return rep
}

// The watch evaluates at every change, prints a line per cluster that
// changed (install's line shape), and ends once every cluster is ready.
func TestRunWatchLines(t *testing.T) {
	script := []struct {
		rep *FleetStatusReport
		err error
	}{
		{statusReport(StateProgressing, "no Cluster dev-acme-fra/dev-acme-fra yet", StateMissing, "nothing on the hub"), nil},
		{nil, errors.New("list the Argo CD Applications in argocd: connection refused")},
		{statusReport(StateProgressing, "no Cluster dev-acme-fra/dev-acme-fra yet", StateMissing, "nothing on the hub"), nil},
		{statusReport(StateReady, "", StateMissing, "nothing on the hub"), nil},
		{statusReport(StateReady, "", StateReady, ""), nil},
	}
	changes := make(chan struct{}, 1)
	evaluations := 0
	evaluate := func(context.Context) (*FleetStatusReport, error) {
		s := script[evaluations]
		evaluations++
		if evaluations < len(script) {
			changes <- struct{}{} // the next change is already there
		}
		return s.rep, s.err
	}
	var out bytes.Buffer
	g := &Global{Stdout: &out, Stderr: &out, Output: "text", LogFormat: "text"}
	clock := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	fs := &FleetStatus{Fleet: Fleet{Global: g}, Now: func() time.Time { return clock }}
	if err := runWatch(context.Background(), evaluate, changes, nil, fs.lineShow()); err != nil {
		t.Fatal(err)
	}
	if evaluations != len(script) {
		t.Errorf("%d evaluations, want %d", evaluations, len(script))
	}
	want := `2026-12-02T10:00:00Z cluster dev-acme-fra                 progressing: no Cluster dev-acme-fra/dev-acme-fra yet
2026-12-02T10:00:00Z cluster prod-acme-fra                missing: nothing on the hub
2026-12-02T10:00:00Z error   fleet                        unread: list the Argo CD Applications in argocd: connection refused
2026-12-02T10:00:00Z cluster dev-acme-fra                 ready
2026-12-02T10:00:00Z cluster prod-acme-fra                ready
2026-12-02T10:00:00Z fleet   fleet/                       ready: every cluster is as Git says
`
	if out.String() != want {
		t.Errorf("lines:\n%s\nwant:\n%s", out.String(), want)
	}
}

// Stopped before every cluster is ready: exit 1 with the last summary;
// -o json prints the document again, on one line, at each change.
func TestRunWatchStopped(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	changes := make(chan struct{})
	rep := statusReport(StateProgressing, "waiting", StateReady, "")
	var out bytes.Buffer
	g := &Global{Stdout: &out, Stderr: &out, Output: "json", LogFormat: "text"}
	fs := &FleetStatus{Fleet: Fleet{Global: g}}
	show := fs.lineShow()
	err := runWatch(ctx, func(context.Context) (*FleetStatusReport, error) { return rep, nil }, changes, nil,
		func(r *FleetStatusReport, err error) error {
			defer cancel(errInterrupted)
			return show(r, err)
		})
	if err == nil || ExitCode(err) != ExitFailure || !strings.Contains(err.Error(), "stopped before every cluster was ready (fleet/: 1 ready, 1 progressing): interrupted by ctrl+c") {
		t.Errorf("err = %v", err)
	}
	if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], `{"schemaVersion":1,"fleet":"fleet",`) {
		t.Errorf("JSON lines:\n%s", out.String())
	}
}

// The commit clusters should run: the tracked revision resolved in the
// local clone, or a cluster's pin.
func TestTrackedRevision(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if tr := trackedRevision(ctx, dir, nil); tr.Commit != "" || !strings.Contains(tr.Note, "not inside a Git working tree") {
		t.Errorf("no repository: %+v", tr)
	}
	gitrepotest.Init(t, dir)
	if tr := trackedRevision(ctx, dir, nil); tr.Commit != "" || tr.Note != "the revision is not checked: the repository has no commits yet" {
		t.Errorf("no commits: %+v", tr)
	}
	gitrepotest.CopyDir(t, "../../fleet", filepath.Join(dir, "fleet"))
	first := gitrepotest.CommitAll(t, dir, "the fleet")
	gitrepotest.Tag(t, dir, "release")
	gitrepotest.Write(t, dir, "fleet/clusters/dev-acme-fra.yaml", "name: dev-acme-fra\nprofile: standard\nenvironment: dev\ncustomer: acme\nsite: fra\nprovider: in-memory\nwave: 0\nrevision: "+first+"\n")
	second := gitrepotest.CommitAll(t, dir, "pin dev")
	if tr := trackedRevision(ctx, dir, nil); tr.Revision != "HEAD" || tr.Commit != second {
		t.Errorf("HEAD: %+v, want %s", tr, second)
	}
	cfg := &config.Config{}
	cfg.Repo.Revision = "release"
	if tr := trackedRevision(ctx, filepath.Join(dir, "fleet"), cfg); tr.Revision != "release" || tr.Commit != first {
		t.Errorf("release: %+v, want %s", tr, first)
	}
	cfg.Repo.Revision = "nope"
	if tr := trackedRevision(ctx, dir, cfg); tr.Commit != "" || !strings.Contains(tr.Note, `unknown revision "nope"`) {
		t.Errorf("unknown: %+v", tr)
	}
	// The pin, as the loader reads it, is what the cluster should run.
	f, err := fleet.Load(ctx, os.DirFS(dir), "fleet", fleet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	gits := gitSide(f, TrackedRevision{Revision: "HEAD", Commit: second}, nil)
	if g := gits[0]; g.Name != "dev-acme-fra" || g.Revision != first || !g.Pinned {
		t.Errorf("pinned: %+v, want %s", g.ClusterGit, first)
	}
	if g := gits[1]; g.Revision != second || g.Pinned {
		t.Errorf("unpinned: %+v, want %s", g.ClusterGit, second)
	}
}
