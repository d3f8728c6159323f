package gitrepo

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/gitrepo/gitrepotest"
	"github.com/go-git/go-git/v5/plumbing"
)

// TestCommitReplacesFilesWhole: the branch and the index are replaced
// through temporary files that keep the old modes, and the temporary
// files a killed run left are removed.
func TestCommitReplacesFilesWhole(t *testing.T) {
	isolate(t)
	dir, repo := seed(t, map[string]string{"fleet/a.yaml": "a\n"})
	branch := filepath.Join(dir, ".git", "refs", "heads", "master")
	index := filepath.Join(dir, ".git", "index")
	stale := []string{filepath.Join(dir, ".git", "fleetup-tmp~index~dead"), filepath.Join(dir, ".git", "info", "fleetup-tmp~refs~heads~master~dead")}
	for _, f := range stale {
		gitrepotest.Write(t, filepath.Dir(f), filepath.Base(f), "left by a killed run")
	}
	modes := map[string]os.FileMode{}
	for _, f := range []string{branch, index} {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		modes[f] = st.Mode().Perm()
	}
	gitrepotest.Write(t, dir, "fleet/b.yaml", "b\n")
	w, err := OpenWriter(filepath.Join(dir, "fleet"))
	if err != nil {
		t.Fatal(err)
	}
	if c, err := w.Commit(context.Background(), "b", []string{"fleet/b.yaml"}); err != nil || c.Hash == "" {
		t.Fatalf("commit: %+v, %v", c, err)
	}
	for f, m := range modes {
		if st, err := os.Stat(f); err != nil || st.Mode().Perm() != m {
			t.Errorf("%s: mode %v, was %v (%v)", f, st.Mode().Perm(), m, err)
		}
	}
	for _, f := range stale {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s is left (%v)", f, err)
		}
	}
	gitrepotest.Clean(t, repo)
}

// TestCommitUndoneWhenTheBranchIsLocked: a Git process holding the
// branch's lock stops the commit after the index was written; the index
// is put back as HEAD has it, a removed file included, so nothing stays
// staged.
func TestCommitUndoneWhenTheBranchIsLocked(t *testing.T) {
	isolate(t)
	dir, repo := seed(t, map[string]string{"fleet/x.yaml": "x\n", "fleet/y.yaml": "y\n"})
	gitrepotest.Write(t, dir, ".git/refs/heads/master.lock", "")
	if err := os.Remove(filepath.Join(dir, "fleet", "x.yaml")); err != nil {
		t.Fatal(err)
	}
	gitrepotest.Write(t, dir, "fleet/y.yaml", "y, edited\n")
	w, err := OpenWriter(filepath.Join(dir, "fleet"))
	if err != nil {
		t.Fatal(err)
	}
	before := gitrepotest.Commit(t, repo, plumbing.HEAD).Hash
	_, err = w.Commit(context.Background(), "x and y", []string{"fleet/x.yaml", "fleet/y.yaml"})
	if err == nil || !strings.Contains(err.Error(), "master.lock exists") {
		t.Fatalf("commit with the branch locked: %v", err)
	}
	if gitrepotest.Commit(t, repo, plumbing.HEAD).Hash != before {
		t.Error("HEAD moved")
	}
	if err := w.CheckStaged(nil); err != nil {
		t.Errorf("the index is not HEAD's after the undo: %v", err)
	}
}
