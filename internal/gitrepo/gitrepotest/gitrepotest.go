// Package gitrepotest makes and reads real Git repositories for tests,
// with go-git: a repository with files committed, a file of a commit, a
// clean work tree.
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

// Seed is the author of the commit Init makes.
var Seed = object.Signature{Name: "Seed", Email: "seed@example.com"}

// Init makes a repository in dir and commits everything below it as
// Seed. With a user name, the repository's config names that user
// (user.name, user.email), as a clone on a developer's machine does.
func Init(t testing.TB, dir, user, email string) *git.Repository {
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

// Write writes a file below dir, slash-separated path, making its
// directories.
func Write(t testing.TB, dir, path, data string) {
	t.Helper()
	file := filepath.Join(dir, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(data), 0o644); err != nil {
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
