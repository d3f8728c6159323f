package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// Errors a caller tells the user about (a usage error, not a failure).
var (
	// ErrNotRepository: the directory is not inside a Git working tree.
	ErrNotRepository = errors.New("not inside a Git working tree")
	// ErrUnknownRevision: the revision names no commit.
	ErrUnknownRevision = errors.New("unknown revision")
)

// Repo is a Git repository with a working tree.
type Repo struct {
	git *git.Repository
	// root is the working tree's top directory, absolute, links resolved.
	root string
}

// Open opens the repository whose working tree holds dir (dir itself or
// a parent has the .git directory or file; linked worktrees work).
func Open(dir string) (*Repo, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open repository at %s: %w", dir, err)
	}
	r, err := git.PlainOpenWithOptions(abs, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, fmt.Errorf("%s: %w (no .git in it or its parents)", dir, ErrNotRepository)
	}
	if err != nil {
		return nil, fmt.Errorf("open repository at %s: %w", dir, err)
	}
	wt, err := r.Worktree()
	if errors.Is(err, git.ErrIsBareRepository) {
		return nil, fmt.Errorf("%s: %w (a bare repository)", dir, ErrNotRepository)
	}
	if err != nil {
		return nil, fmt.Errorf("open repository at %s: %w", dir, err)
	}
	return &Repo{git: r, root: realPath(wt.Filesystem.Root())}, nil
}

// Root is the working tree's top directory.
func (r *Repo) Root() string { return r.root }

// Rel is dir's path inside the repository, slash-separated ("." for the
// top); an error when dir is outside the working tree.
func (r *Repo) Rel(dir string) (string, error) {
	rel, err := filepath.Rel(r.root, realPath(dir))
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s is outside the repository at %s", dir, r.root)
	}
	return filepath.ToSlash(rel), nil
}

// realPath is p absolute with symbolic links resolved, as far as it
// exists (a repository under /tmp may be reached through a link).
func realPath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	for dir, rest := abs, ""; ; {
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(real, rest)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return abs
		}
		rest = filepath.Join(filepath.Base(dir), rest)
		dir = parent
	}
}

// Snapshot is a resolved revision and its tree.
type Snapshot struct {
	// Revision is the revision as asked ("HEAD", "main", "a1b2c3d").
	Revision string
	// Commit is the full commit hash; empty when Unborn.
	Commit string
	// Unborn: the revision is HEAD of a repository without commits yet;
	// FS is then an empty tree.
	Unborn bool
	// Time is the commit's committer time; Message its message.
	Time    time.Time
	Message string
	// FS is the commit's tree, the repository's top directory at ".".
	FS *TreeFS
}

// Resolve reads a revision as git rev-parse does: HEAD, a branch, a tag,
// a full or abbreviated hash, with ~n and ^n suffixes.
func (r *Repo) Resolve(ctx context.Context, rev string) (*Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if rev == "HEAD" {
		if _, err := r.git.Head(); errors.Is(err, plumbing.ErrReferenceNotFound) {
			return &Snapshot{Revision: rev, Unborn: true, FS: newTreeFS(r.git.Storer, plumbing.ZeroHash, time.Time{})}, nil
		}
	}
	h, err := r.git.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return nil, fmt.Errorf("%w %q in %s: %v", ErrUnknownRevision, rev, r.root, err)
	}
	c, err := r.git.CommitObject(*h)
	if err != nil {
		return nil, fmt.Errorf("revision %q: commit %s: %w", rev, h, err)
	}
	return &Snapshot{Revision: rev, Commit: c.Hash.String(), Time: c.Committer.When, Message: c.Message,
		FS: newTreeFS(r.git.Storer, c.TreeHash, c.Committer.When)}, nil
}
