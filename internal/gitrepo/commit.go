package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// ErrNoRepository: no Git repository holds the directory.
var ErrNoRepository = errors.New("no Git repository")

// Writer stages and commits files of one repository's work tree, and
// pushes its branch, with go-git: no git binary.
type Writer struct {
	repo *git.Repository
	wt   *git.Worktree
	// root is the work tree's absolute path, symlinks resolved.
	root string
}

// Commit is what Writer.Commit made.
type Commit struct {
	// Hash is empty when there was nothing to commit: the repository's HEAD
	// already holds the files as they are.
	Hash      string
	Message   string
	Author    object.Signature
	Committer object.Signature
	// DefaultAuthor: no author was configured, fleetup's default was used.
	DefaultAuthor bool
}

// Short is the abbreviated hash, as git log --oneline shows it.
func (c Commit) Short() string {
	if len(c.Hash) > 7 {
		return c.Hash[:7]
	}
	return c.Hash
}

// OpenWriter opens the repository holding dir, found from dir upward
// (dir itself need not exist yet), linked work trees included.
func OpenWriter(dir string) (*Writer, error) {
	start, _, err := splitExisting(dir)
	if err != nil {
		return nil, fmt.Errorf("find the Git repository of %s: %w", dir, err)
	}
	repo, err := git.PlainOpenWithOptions(start, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, fmt.Errorf("%w at or above %s", ErrNoRepository, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("open the Git repository of %s: %w", dir, err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		return nil, fmt.Errorf("the Git repository of %s: %w", dir, err)
	}
	root, err := filepath.EvalSymlinks(wt.Filesystem.Root())
	if err != nil {
		return nil, fmt.Errorf("the Git work tree of %s: %w", dir, err)
	}
	return &Writer{repo: repo, wt: wt, root: root}, nil
}

// splitExisting splits p (made absolute) into its longest part that
// exists, symlinks resolved as the work tree's root is, and the rest.
func splitExisting(p string) (existing, rest string, err error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", "", err
	}
	for cur := abs; ; cur = filepath.Dir(cur) {
		if real, err := filepath.EvalSymlinks(cur); err == nil {
			rest, err := filepath.Rel(cur, abs)
			return real, rest, err
		}
		if cur == filepath.Dir(cur) {
			return "", "", fmt.Errorf("no part of %s exists", p)
		}
	}
}

// Root is the work tree's absolute path.
func (w *Writer) Root() string { return w.root }

// Path is file's path in the repository, slash-separated, as Git names
// it; file is a path on disk and need not exist.
func (w *Writer) Path(file string) (string, error) {
	existing, rest, err := splitExisting(file)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(w.root, filepath.Join(existing, rest))
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s is not a file in the Git work tree %s", file, w.root)
	}
	return filepath.ToSlash(rel), nil
}

// StagedError: the index holds changes to files other than those a
// command writes, which a commit of the index would take along.
type StagedError struct{ Paths []string }

func (e *StagedError) Error() string {
	shown := e.Paths
	more := ""
	if len(shown) > 5 {
		shown, more = shown[:5], fmt.Sprintf(" and %d more", len(e.Paths)-5)
	}
	return fmt.Sprintf("the Git index has staged changes to %s%s: fleetup commits only the files it writes; commit or unstage those first", strings.Join(shown, ", "), more)
}

// CheckStaged fails with a *StagedError when the index differs from HEAD
// in any path other than paths (repository paths): committing the index
// would commit those changes too. Call it before writing anything.
func (w *Writer) CheckStaged(paths []string) error {
	ours := make(map[string]bool, len(paths))
	for _, p := range paths {
		ours[p] = true
	}
	idx, err := w.repo.Storer.Index()
	if err != nil {
		return fmt.Errorf("read the Git index: %w", err)
	}
	head, err := w.headFiles()
	if err != nil {
		return err
	}
	var other []string
	inIndex := make(map[string]bool, len(idx.Entries))
	for _, e := range idx.Entries {
		inIndex[e.Name] = true
		if ours[e.Name] {
			continue
		}
		// A merged entry has stage 0 (go-git's index.Merged says 1, but
		// reads and writes 0); 1 to 3 are the sides of a conflict.
		if h, ok := head[e.Name]; !ok || e.Stage != 0 || h.hash != e.Hash || h.mode != e.Mode {
			other = append(other, e.Name)
		}
	}
	for name := range head {
		if !inIndex[name] && !ours[name] {
			other = append(other, name) // a deletion is staged
		}
	}
	if len(other) == 0 {
		return nil
	}
	sort.Strings(other)
	return &StagedError{Paths: other}
}

type blobRef struct {
	hash plumbing.Hash
	mode filemode.FileMode
}

// headFiles are HEAD's files; none on an unborn branch.
func (w *Writer) headFiles() (map[string]blobRef, error) {
	out := map[string]blobRef{}
	head, err := w.repo.Head()
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read HEAD: %w", err)
	}
	c, err := w.repo.CommitObject(head.Hash())
	if err != nil {
		return nil, fmt.Errorf("read HEAD's commit: %w", err)
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("read HEAD's tree: %w", err)
	}
	walker := object.NewTreeWalker(tree, true, nil)
	defer walker.Close()
	for {
		name, e, err := walker.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read HEAD's tree: %w", err)
		}
		if e.Mode != filemode.Dir {
			out[name] = blobRef{hash: e.Hash, mode: e.Mode}
		}
	}
}

// Commit commits paths (repository paths: files that exist are taken as
// they are on disk, files that do not are removed) on HEAD's branch with
// message, and brings the index's entries of paths up to date. When HEAD
// already holds them as they are there is nothing to commit: the Commit
// has no Hash. Check the index with CheckStaged before writing the files.
//
// It writes so that a process killed at any point leaves a repository
// the next run converges from: the objects first, then the index, then
// the branch, each of the two written whole and renamed into place
// (go-git's own commit rewrites them in place: killed while writing the
// index, it leaves one that lists no file).
func (w *Writer) Commit(ctx context.Context, message string, paths []string) (Commit, error) {
	if err := ctx.Err(); err != nil {
		return Commit{}, err
	}
	branch, parent, files, err := w.head()
	if err != nil {
		return Commit{}, err
	}
	parentFiles := headOf(paths, files)
	staged, err := w.blobs(paths)
	if err != nil {
		return Commit{}, err
	}
	for _, p := range paths {
		if b, ok := staged[p]; ok {
			files[p] = b
		} else {
			delete(files, p)
		}
	}
	tree, err := writeTree(w.repo.Storer, files)
	if err != nil {
		return Commit{}, err
	}
	now := time.Now()
	author, committer, defaulted, err := w.signatures(now)
	if err != nil {
		return Commit{}, err
	}
	out := Commit{Message: message, Author: author, Committer: committer, DefaultAuthor: defaulted}
	if parent != nil && parent.TreeHash == tree {
		// Nothing to commit; an index a killed run left behind HEAD is
		// brought up to date.
		return out, w.updateIndex(paths, staged)
	}
	h, err := w.writeCommit(message, author, committer, tree, parent)
	if err != nil {
		return Commit{}, err
	}
	// The index before the branch: killed between the two, the change is
	// staged and not committed, which a rerun commits.
	if err := w.updateIndex(paths, staged); err != nil {
		return Commit{}, err
	}
	if err := w.setRef(branch, h); err != nil {
		// Unstaged again, as it was: the caller restores the files.
		if uerr := w.updateIndex(paths, headOf(paths, parentFiles)); uerr != nil {
			err = errors.Join(err, uerr)
		}
		return Commit{}, err
	}
	out.Hash = h.String()
	return out, nil
}

// headOf is HEAD's blob of each of paths it has.
func headOf(paths []string, head map[string]blobRef) map[string]blobRef {
	out := map[string]blobRef{}
	for _, p := range paths {
		if b, ok := head[p]; ok {
			out[p] = b
		}
	}
	return out
}
