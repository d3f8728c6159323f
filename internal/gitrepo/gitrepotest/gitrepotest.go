// Package gitrepotest makes real Git repositories for tests with go-git:
// a working tree in a directory, files written and committed as a user
// would, so readers are tested on what git itself would have stored.
package gitrepotest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Init makes dir a new repository with no commits.
func Init(tb testing.TB, dir string) {
	tb.Helper()
	if _, err := git.PlainInit(dir, false); err != nil {
		tb.Fatalf("git init %s: %v", dir, err)
	}
}

// CommitAll stages every change of dir's working tree (new, changed and
// deleted files) and commits it; it returns the commit's hash. Commits
// are dated one minute apart from a fixed time, so hashes are stable.
func CommitAll(tb testing.TB, dir, msg string) string {
	tb.Helper()
	r, err := git.PlainOpen(dir)
	if err != nil {
		tb.Fatalf("open %s: %v", dir, err)
	}
	wt, err := r.Worktree()
	if err != nil {
		tb.Fatal(err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		tb.Fatalf("git add: %v", err)
	}
	n := 0
	if log, err := r.Log(&git.LogOptions{}); err == nil {
		_ = log.ForEach(func(*object.Commit) error { n++; return nil })
	}
	when := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Minute)
	sig := &object.Signature{Name: "Fleet Test", Email: "test@example.com", When: when}
	h, err := wt.Commit(msg, &git.CommitOptions{Author: sig, Committer: sig, AllowEmptyCommits: true})
	if err != nil {
		tb.Fatalf("git commit: %v", err)
	}
	return h.String()
}

// Tag makes a lightweight tag on HEAD.
func Tag(tb testing.TB, dir, name string) {
	tb.Helper()
	r, err := git.PlainOpen(dir)
	if err != nil {
		tb.Fatal(err)
	}
	head, err := r.Head()
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := r.CreateTag(name, head.Hash(), nil); err != nil {
		tb.Fatalf("git tag %s: %v", name, err)
	}
}

// CopyDir copies the directory tree src into dst (the shipped fleet into
// a test repository); dst must not have those files yet.
func CopyDir(tb testing.TB, src, dst string) {
	tb.Helper()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		tb.Fatalf("copy %s: %v", src, err)
	}
}

// Write writes a file of the working tree, making its directories.
func Write(tb testing.TB, dir, rel, data string) {
	tb.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		tb.Fatal(err)
	}
}
