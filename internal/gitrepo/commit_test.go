package gitrepo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/gitrepo/gitrepotest"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
)

// isolate keeps the user's and the machine's Git config and GIT_*
// variables out of a test.
func isolate(t *testing.T) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	for _, v := range []string{"GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"} {
		t.Setenv(v, "")
	}
}

// seed makes a repository in a temp dir holding files, committed.
func seed(t *testing.T, files map[string]string) (string, *git.Repository) {
	t.Helper()
	dir := t.TempDir()
	for p, data := range files {
		gitrepotest.Write(t, dir, p, data)
	}
	return dir, gitrepotest.Seeded(t, dir, "", "")
}

// headFile reads a file of the commit at ref.
func headFile(t *testing.T, repo *git.Repository, ref plumbing.ReferenceName, p string) (string, bool) {
	t.Helper()
	return gitrepotest.File(t, gitrepotest.Commit(t, repo, ref), p)
}

func TestCommitWritesAndRemovals(t *testing.T) {
	isolate(t)
	dir, repo := seed(t, map[string]string{"fleet/clusters/a.yaml": "name: a\n", "README.md": "hi\n"})
	gitrepotest.SetUser(t, repo, "Ada Lovelace", "ada@example.com")
	gitrepotest.Write(t, dir, "fleet/clusters/b.yaml", "name: b\n")
	if err := os.Remove(filepath.Join(dir, "fleet/clusters/a.yaml")); err != nil {
		t.Fatal(err)
	}
	gitrepotest.Write(t, dir, "README.md", "changed, not ours\n")
	w, err := OpenWriter(filepath.Join(dir, "fleet", "clusters"))
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{"fleet/clusters/a.yaml", "fleet/clusters/b.yaml"}
	if err := w.CheckStaged(paths); err != nil {
		t.Fatal(err)
	}
	c, err := w.Commit(context.Background(), "fleet: replace a with b\n\nbody", paths)
	if err != nil {
		t.Fatal(err)
	}
	if c.Hash == "" || c.DefaultAuthor || c.Author.Name != "Ada Lovelace" || c.Author.Email != "ada@example.com" {
		t.Fatalf("commit %+v", c)
	}
	got, err := repo.CommitObject(plumbing.NewHash(c.Hash))
	if err != nil {
		t.Fatal(err)
	}
	if got.Message != "fleet: replace a with b\n\nbody" || got.Author.Name != "Ada Lovelace" || got.Committer.Email != "ada@example.com" || len(got.ParentHashes) != 1 {
		t.Errorf("stored commit %+v", got)
	}
	if s, ok := headFile(t, repo, plumbing.HEAD, "fleet/clusters/b.yaml"); !ok || s != "name: b\n" {
		t.Errorf("b.yaml in HEAD: %q %v", s, ok)
	}
	if _, ok := headFile(t, repo, plumbing.HEAD, "fleet/clusters/a.yaml"); ok {
		t.Error("a.yaml still in HEAD")
	}
	if s, _ := headFile(t, repo, plumbing.HEAD, "README.md"); s != "hi\n" {
		t.Errorf("a file fleetup did not write was committed: README.md %q", s)
	}
	// The same files again: HEAD has them, nothing to commit.
	again, err := w.Commit(context.Background(), "again", paths)
	if err != nil || again.Hash != "" {
		t.Fatalf("second commit: %+v, %v", again, err)
	}
}

func TestCommitAuthor(t *testing.T) {
	isolate(t)
	dir, repo := seed(t, map[string]string{"x": "1\n"})
	w, err := OpenWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	commitX := func(data string) Commit {
		t.Helper()
		gitrepotest.Write(t, dir, "x", data)
		c, err := w.Commit(context.Background(), "x "+data, []string{"x"})
		if err != nil || c.Hash == "" {
			t.Fatalf("commit: %+v %v", c, err)
		}
		return c
	}
	if c := commitX("2"); !c.DefaultAuthor || c.Author.Name != DefaultAuthorName || c.Author.Email != DefaultAuthorEmail {
		t.Errorf("no config: %+v", c.Author)
	}
	home := os.Getenv("HOME")
	gitrepotest.Write(t, home, ".gitconfig", "[user]\n\tname = Global User\n\temail = global@example.com\n")
	if c := commitX("3"); c.DefaultAuthor || c.Author.Name != "Global User" {
		t.Errorf("global config: %+v", c.Author)
	}
	gitrepotest.SetUser(t, repo, "Local User", "local@example.com")
	if c := commitX("4"); c.Author.Email != "local@example.com" || c.Committer.Email != "local@example.com" {
		t.Errorf("repository config: %+v %+v", c.Author, c.Committer)
	}
	t.Setenv("GIT_AUTHOR_NAME", "Env Author")
	t.Setenv("GIT_AUTHOR_EMAIL", "env@example.com")
	if c := commitX("5"); c.Author.Name != "Env Author" || c.Committer.Name != "Local User" {
		t.Errorf("environment: author %+v committer %+v", c.Author, c.Committer)
	}
}

func TestCheckStaged(t *testing.T) {
	isolate(t)
	dir, repo := seed(t, map[string]string{"a": "1\n", "b": "1\n", "c": "1\n"})
	w, err := OpenWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	gitrepotest.Write(t, dir, "a", "2\n")
	gitrepotest.Write(t, dir, "new", "1\n")
	for _, p := range []string{"a", "new"} {
		if _, err := wt.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := wt.Remove("c"); err != nil {
		t.Fatal(err)
	}
	gitrepotest.Write(t, dir, "b", "unstaged\n") // modified, not staged: not committed, no problem
	var se *StagedError
	err = w.CheckStaged([]string{"new"})
	if !errors.As(err, &se) || strings.Join(se.Paths, ",") != "a,c" {
		t.Fatalf("CheckStaged: %v", err)
	}
	if !strings.Contains(err.Error(), "staged changes to a, c") {
		t.Errorf("message: %v", err)
	}
	if err := w.CheckStaged([]string{"a", "c", "new"}); err != nil {
		t.Errorf("only our paths staged: %v", err)
	}
}

func TestOpenWriter(t *testing.T) {
	isolate(t)
	dir, _ := seed(t, map[string]string{"a": "1\n"})
	w, err := OpenWriter(filepath.Join(dir, "fleet", "not", "yet"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := w.Path(filepath.Join(dir, "fleet", "not", "yet", "x.yaml"))
	if err != nil || p != "fleet/not/yet/x.yaml" {
		t.Errorf("Path: %q %v", p, err)
	}
	if _, err := w.Path(filepath.Join(t.TempDir(), "x")); err == nil {
		t.Error("a path outside the work tree has no repository path")
	}
	// Through a symlink to the work tree, as /tmp is on some systems.
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	if p, err := w.Path(filepath.Join(link, "fleet", "x.yaml")); err != nil || p != "fleet/x.yaml" {
		t.Errorf("Path through a symlink: %q %v", p, err)
	}
	if _, err := OpenWriter(t.TempDir()); !errors.Is(err, ErrNoRepository) {
		t.Errorf("no repository: %v", err)
	}
}

// remoteSetup is a seeded repository whose main branch tracks a bare
// repository at url (its path, or a file:// URL of it).
func remoteSetup(t *testing.T, fileURL bool) (dir string, repo, bare *git.Repository, bareDir string) {
	t.Helper()
	dir, repo = seed(t, map[string]string{"a": "1\n"})
	bareDir = filepath.Join(t.TempDir(), "remote.git")
	bare, err := git.PlainInit(bareDir, true)
	if err != nil {
		t.Fatal(err)
	}
	url := bareDir
	if fileURL {
		url = "file://" + bareDir
	}
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: "upstream", URLs: []string{url}}); err != nil {
		t.Fatal(err)
	}
	head, err := repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.CreateBranch(&config.Branch{Name: head.Name().Short(), Remote: "upstream", Merge: "refs/heads/main"}); err != nil {
		t.Fatal(err)
	}
	return dir, repo, bare, bareDir
}

func TestPushLocal(t *testing.T) {
	for _, fileURL := range []bool{false, true} {
		t.Run(map[bool]string{false: "path", true: "file URL"}[fileURL], func(t *testing.T) {
			isolate(t)
			dir, repo, bare, _ := remoteSetup(t, fileURL)
			w, err := OpenWriter(dir)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			p, err := w.Push(ctx)
			if err != nil || p.UpToDate || p.Remote != "upstream" || p.Ref != "refs/heads/main" {
				t.Fatalf("first push: %+v %v", p, err)
			}
			gitrepotest.Write(t, dir, "dir/b", "b\n")
			c, err := w.Commit(ctx, "add b", []string{"dir/b"})
			if err != nil {
				t.Fatal(err)
			}
			if p, err = w.Push(ctx); err != nil || p.UpToDate {
				t.Fatalf("second push: %+v %v", p, err)
			}
			ref, err := bare.Reference("refs/heads/main", false)
			if err != nil || ref.Hash().String() != c.Hash {
				t.Fatalf("remote main: %v %v, want %s", ref, err, c.Hash)
			}
			if s, ok := headFile(t, bare, "refs/heads/main", "dir/b"); !ok || s != "b\n" {
				t.Errorf("remote tree: dir/b %q", s)
			}
			if s, ok := headFile(t, bare, "refs/heads/main", "a"); !ok || s != "1\n" {
				t.Errorf("remote tree: a %q", s)
			}
			tracking, err := repo.Reference(plumbing.NewRemoteReferenceName("upstream", "main"), false)
			if err != nil || tracking.Hash().String() != c.Hash {
				t.Errorf("tracking ref: %v %v", tracking, err)
			}
			if p, err = w.Push(ctx); err != nil || !p.UpToDate {
				t.Errorf("third push: %+v %v", p, err)
			}
		})
	}
}

func TestPushRefusesNonFastForward(t *testing.T) {
	isolate(t)
	dir, _, _, bareDir := remoteSetup(t, false)
	w, err := OpenWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := w.Push(ctx); err != nil {
		t.Fatal(err)
	}
	// Someone else pushes first, from their own repository.
	other, _ := seed(t, map[string]string{"other": "1\n"})
	ow, err := OpenWriter(other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ow.pushLocal(ctx, bareDir, gitrepotest.Commit(t, gitrepotest.Open(t, other), plumbing.HEAD).Hash, "refs/heads/main"); !errors.Is(err, ErrNonFastForward) {
		t.Fatalf("unrelated history: %v", err)
	}
	gitrepotest.Write(t, dir, "a", "2\n")
	c, err := w.Commit(ctx, "a=2", []string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Push(ctx); err != nil {
		t.Fatalf("fast-forward: %v", err)
	}
	// Rewind the local branch: pushing it would drop the remote's commit.
	repo, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	head, err := repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	commit, err := repo.CommitObject(head.Hash())
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Storer.SetReference(plumbing.NewHashReference(head.Name(), commit.ParentHashes[0])); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Push(ctx); !errors.Is(err, ErrNonFastForward) {
		t.Fatalf("rewound branch: %v", err)
	}
	bare, err := git.PlainOpen(bareDir)
	if err != nil {
		t.Fatal(err)
	}
	if ref, err := bare.Reference("refs/heads/main", false); err != nil || ref.Hash().String() != c.Hash {
		t.Errorf("remote main %v %v, want %s", ref, err, c.Hash)
	}
}

func TestPushRefusesCheckedOutBranch(t *testing.T) {
	isolate(t)
	dir, repo := seed(t, map[string]string{"a": "1\n"})
	target, _ := seed(t, map[string]string{"b": "1\n"})
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{target}}); err != nil {
		t.Fatal(err)
	}
	w, err := OpenWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.Push(context.Background())
	if err == nil || !strings.Contains(err.Error(), "checked out") {
		t.Fatalf("push into a checked-out branch: %v", err)
	}
}

func TestStripCredentials(t *testing.T) {
	got := StripCredentials("push to https://user:s3cret@git.example.com/org/repo.git failed; ssh://git@host/x")
	if strings.Contains(got, "s3cret") || strings.Contains(got, "user:") || !strings.Contains(got, "https://git.example.com/org/repo.git") {
		t.Errorf("StripCredentials: %s", got)
	}
}
