// Package gitrepotest makes and reads real Git repositories for tests
// with go-git: a working tree in a directory, files written and committed
// as a user would (so readers are tested on what git itself would have
// stored), a file of a commit, a clean work tree.
package gitrepotest

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
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

// Seed is the author of the commit Seeded makes.
var Seed = object.Signature{Name: "Seed", Email: "seed@example.com"}

// Seeded makes a repository in dir and commits everything below it as
// Seed. With a user name, the repository's config names that user
// (user.name, user.email), as a clone on a developer's machine does.
func Seeded(t testing.TB, dir, user, email string) *git.Repository {
	t.Helper()
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		SetUser(t, repo, user, email)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	sig := Seed
	sig.When = time.Now()
	if _, err := wt.Commit("seed", &git.CommitOptions{Author: &sig, AllowEmptyCommits: true}); err != nil {
		t.Fatal(err)
	}
	return repo
}

// SetUser writes user.name and user.email into the repository's config.
func SetUser(t testing.TB, repo *git.Repository, name, email string) {
	t.Helper()
	cfg, err := repo.Config()
	if err != nil {
		t.Fatal(err)
	}
	cfg.User.Name, cfg.User.Email = name, email
	if err := repo.SetConfig(cfg); err != nil {
		t.Fatal(err)
	}
}

// Commit is the commit ref points to (HEAD, a branch).
func Commit(t testing.TB, repo *git.Repository, ref plumbing.ReferenceName) *object.Commit {
	t.Helper()
	r, err := repo.Reference(ref, true)
	if err != nil {
		t.Fatal(err)
	}
	c, err := repo.CommitObject(r.Hash())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// File reads a file of a commit; ok is false when the commit has none.
func File(t testing.TB, c *object.Commit, path string) (data string, ok bool) {
	t.Helper()
	f, err := c.File(path)
	if errors.Is(err, object.ErrFileNotFound) {
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.Contents()
	if err != nil {
		t.Fatal(err)
	}
	return s, true
}

// Clean fails the test unless the work tree and the index match HEAD.
func Clean(t testing.TB, repo *git.Repository) {
	t.Helper()
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	st, err := wt.Status()
	if err != nil {
		t.Fatal(err)
	}
	if !st.IsClean() {
		t.Errorf("the work tree is not clean:\n%s", st)
	}
}

// Open opens the repository at dir.
func Open(t testing.TB, dir string) *git.Repository {
	t.Helper()
	repo, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

// Missing reports whether a file is absent from disk.
func Missing(t testing.TB, file string) bool {
	t.Helper()
	_, err := os.Stat(file)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return err != nil
}
