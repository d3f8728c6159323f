package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/internal/fleet/rollout"
	"github.com/fleetup/fleetup/internal/gitrepo/gitrepotest"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// TestPinWriterCommitsWhatAKillLeft: a rollout killed between writing a
// wave's pins and committing them leaves them in the work tree alone. The
// next run hands the wave to the writer again, which commits them (Argo
// CD reads Git, not the work tree); once they are committed, it makes no
// commit.
func TestPinWriterCommitsWhatAKillLeft(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	dir := t.TempDir()
	gitrepotest.CopyDir(t, "../../fleet", filepath.Join(dir, "fleet"))
	repo := gitrepotest.Seeded(t, dir, "Fleet Tester", "tester@example.com")
	ctx := context.Background()
	f, err := fleet.Load(ctx, os.DirFS(dir), "fleet", fleet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const rev = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
	c := f.Cluster("dev-acme-fra")
	file := filepath.Join(dir, filepath.FromSlash(c.File))
	// What the killed run left: the pin written, not committed.
	if err := os.WriteFile(file, pinnedText(t, dir, c.Name, rev), 0o644); err != nil {
		t.Fatal(err)
	}
	seed := gitrepotest.Commit(t, repo, plumbing.HEAD).Hash
	pw := &pinWriter{g: &Global{Stdout: io.Discard, Stderr: io.Discard}, dir: filepath.Join(dir, "fleet")}
	commit, err := pw.Pin(ctx, []*fleet.Cluster{c}, rev, "fleet: roll out 4b825dc6 to wave 0 (dev-acme-fra)\n")
	if err != nil {
		t.Fatal(err)
	}
	head := gitrepotest.Commit(t, repo, plumbing.HEAD)
	if commit == "" || head.Hash.String() != commit || head.ParentHashes[0] != seed {
		t.Fatalf("Pin returned %q; HEAD %s on %v, want one commit on the seed", commit, head.Hash, head.ParentHashes)
	}
	if got, _ := gitrepotest.File(t, head, c.File); !strings.Contains(got, "\nrevision: "+rev+"\n") {
		t.Errorf("the committed %s is not pinned:\n%s", c.File, got)
	}
	gitrepotest.Clean(t, repo)

	// Another uncommitted change in a cluster file would go out with its
	// pin, unannounced: refused, nothing written.
	other := f.Cluster("prod-acme-fra")
	otherFile := filepath.Join(dir, filepath.FromSlash(other.File))
	edited := []byte(strings.Replace(string(mustRead(t, otherFile)), "wave: 1", "wave: 1\noverrides: {kubernetesVersion: \"v1.35\"}", 1))
	if err := os.WriteFile(otherFile, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	if commit, err := pw.Pin(ctx, []*fleet.Cluster{c, other}, rev, "both\n"); err == nil || !strings.Contains(err.Error(), other.File+" has uncommitted changes besides its pin") || commit != "" {
		t.Errorf("Pin with another change in %s: %q, %v", other.File, commit, err)
	}
	if got := mustRead(t, otherFile); string(got) != string(edited) {
		t.Errorf("%s was written:\n%s", other.File, got)
	}
	if err := os.WriteFile(otherFile, []byte(mustReadCommitted(t, repo, other.File)), 0o644); err != nil {
		t.Fatal(err)
	}

	// Again: nothing to commit.
	if commit, err := pw.Pin(ctx, []*fleet.Cluster{c}, rev, "again\n"); err != nil || commit != "" {
		t.Errorf("Pin of a committed pin: %q, %v; want no commit", commit, err)
	}
	if again := gitrepotest.Commit(t, repo, plumbing.HEAD); again.Hash != head.Hash {
		t.Errorf("HEAD moved to %s", again.Hash)
	}
}

// pinnedText is dir's cluster file of c pinned to rev.
func pinnedText(t *testing.T, dir string, c string, rev string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "fleet", "clusters", c+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	pinned, err := rollout.Pin(data, rev)
	if err != nil {
		t.Fatal(err)
	}
	return pinned
}

// TestGitSideAtPins: a pinned cluster should run what its pin renders.
// A profile upgrade committed after the pin does not reach it until a
// rollout, so fleet status wants the pin's version of it; its own file
// (an override added since) is read from the branch, as the fleet's
// ApplicationSet reads it.
func TestGitSideAtPins(t *testing.T) {
	dir := t.TempDir()
	gitrepotest.CopyDir(t, "../../fleet", filepath.Join(dir, "fleet"))
	gitrepotest.Init(t, dir)
	first := gitrepotest.CommitAll(t, dir, "the shipped fleet")
	gitrepotest.Write(t, dir, "fleet/clusters/dev-acme-fra.yaml", string(pinnedText(t, dir, "dev-acme-fra", first))+"overrides:\n  addons:\n    envoy-gateway: {enabled: false}\n")
	profile := filepath.Join(dir, "fleet", "profiles", "standard.yaml")
	p, err := os.ReadFile(profile)
	if err != nil {
		t.Fatal(err)
	}
	gitrepotest.Write(t, dir, "fleet/profiles/standard.yaml", strings.Replace(string(p), `kubernetesVersion: "v1.34"`, `kubernetesVersion: "v1.35"`, 1))
	second := gitrepotest.CommitAll(t, dir, "standard: Kubernetes 1.35")

	ctx := context.Background()
	f, err := fleet.Load(ctx, os.DirFS(dir), "fleet", fleet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	gits := gitSide(f, TrackedRevision{Revision: "HEAD", Commit: second}, atPins(ctx, filepath.Join(dir, "fleet"), fleet.Options{}, f))
	for _, g := range gits {
		switch g.Name {
		case "dev-acme-fra":
			if !g.Pinned || g.Revision != first || g.KubernetesVersion != "v1.34" || strings.Join(g.Bundle, ",") != "cert-manager,external-secrets" {
				t.Errorf("the pinned cluster: %+v; want v1.34 at its pin, envoy-gateway off by its own file", g.ClusterGit)
			}
		case "prod-acme-fra":
			if g.Pinned || g.Revision != second || g.KubernetesVersion != "v1.35" {
				t.Errorf("an unpinned cluster of the profile: %+v; want the branch's v1.35", g.ClusterGit)
			}
		}
	}
}

func mustRead(t *testing.T, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mustReadCommitted(t *testing.T, repo *git.Repository, file string) string {
	t.Helper()
	data, ok := gitrepotest.File(t, gitrepotest.Commit(t, repo, plumbing.HEAD), file)
	if !ok {
		t.Fatalf("%s is not in HEAD", file)
	}
	return data
}
