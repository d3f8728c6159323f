package gitrepo_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/fleetup/fleetup/internal/gitrepo"
	"github.com/fleetup/fleetup/internal/gitrepo/gitrepotest"
	"github.com/go-git/go-git/v5/plumbing"
)

// newRepo is a repository with two commits: the first has the shipped
// fleet and a few odd entries, the second changes one file and removes
// another.
func newRepo(t *testing.T) (dir, first, second string) {
	t.Helper()
	dir = t.TempDir()
	gitrepotest.Init(t, dir)
	gitrepotest.CopyDir(t, filepath.Join("..", "..", "fleet"), filepath.Join(dir, "fleet"))
	gitrepotest.Write(t, dir, "README.md", "platform\n")
	gitrepotest.Write(t, dir, "packages/fleet-cluster/values.yaml", "kubernetesVersion: \"v1.33\"\n")
	gitrepotest.Write(t, dir, "bin/run.sh", "#!/bin/sh\n")
	if err := os.Chmod(filepath.Join(dir, "bin/run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A link inside the tree, as a shared profile might be.
	if err := os.Symlink("standard.yaml", filepath.Join(dir, "fleet/profiles/default.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../fleet/profiles", filepath.Join(dir, "packages/profiles")); err != nil {
		t.Fatal(err)
	}
	first = gitrepotest.CommitAll(t, dir, "fleet")
	gitrepotest.Tag(t, dir, "v1")
	gitrepotest.Write(t, dir, "README.md", "platform, second\n")
	if err := os.Remove(filepath.Join(dir, "bin/run.sh")); err != nil {
		t.Fatal(err)
	}
	second = gitrepotest.CommitAll(t, dir, "second")
	return dir, first, second
}

// resolve opens the repository at dir and resolves rev.
func resolve(t *testing.T, dir, rev string) (*gitrepo.Repo, *gitrepo.Snapshot) {
	t.Helper()
	repo, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := repo.Resolve(context.Background(), rev)
	if err != nil {
		t.Fatal(err)
	}
	return repo, snap
}

func TestTreeFSConformance(t *testing.T) {
	dir, first, _ := newRepo(t)
	_, snap := resolve(t, dir, first)
	if err := fstest.TestFS(snap.FS, "README.md", "bin/run.sh", "fleet/fleet.yaml", "fleet/clusters/prod-acme-fra.yaml",
		"fleet/inventory/site/fra.yaml", "fleet/profiles/default.yaml", "packages/fleet-cluster/values.yaml"); err != nil {
		t.Fatal(err)
	}
	sub, err := fs.Sub(snap.FS, "fleet")
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(sub, "fleet.yaml", "profiles/gpu.yaml"); err != nil {
		t.Fatal(err)
	}
}

func TestTreeFSContent(t *testing.T) {
	dir, first, second := newRepo(t)
	repo, err := gitrepo.Open(filepath.Join(dir, "fleet", "profiles")) // found from a subdirectory
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	old, err := repo.Resolve(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	// Every shipped file reads back byte for byte.
	err = filepath.WalkDir(filepath.Join("..", "..", "fleet"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		want, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(filepath.Join("..", ".."), p)
		got, err := fs.ReadFile(old.FS, filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		if string(got) != string(want) {
			t.Errorf("%s differs", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	std, _ := fs.ReadFile(old.FS, "fleet/profiles/standard.yaml")
	for _, link := range []string{"fleet/profiles/default.yaml", "packages/profiles/standard.yaml"} {
		if got, err := fs.ReadFile(old.FS, link); err != nil || string(got) != string(std) {
			t.Errorf("%s: link not followed: %v", link, err)
		}
	}
	if target, err := fs.ReadLink(old.FS, "fleet/profiles/default.yaml"); err != nil || target != "standard.yaml" {
		t.Errorf("ReadLink = %q, %v", target, err)
	}
	if info, err := fs.Stat(old.FS, "bin/run.sh"); err != nil || info.Mode() != 0o755 {
		t.Errorf("executable: %v, %v", info, err)
	}

	// Blob ids without reading, through fs.Sub too; a missing
	// subdirectory is empty.
	want := plumbing.ComputeHash(plumbing.BlobObject, std).String()
	sub, err := fs.Sub(old.FS, "fleet")
	if err != nil {
		t.Fatal(err)
	}
	hasher, ok := sub.(interface{ BlobHash(string) (string, error) })
	if !ok {
		t.Fatalf("fs.Sub lost BlobHash: %T", sub)
	}
	for _, name := range []string{"profiles/standard.yaml", "profiles/default.yaml"} {
		if id, err := hasher.BlobHash(name); err != nil || id != want {
			t.Errorf("BlobHash(%s) = %s, %v; want %s", name, id, err, want)
		}
	}
	if _, err := hasher.BlobHash("profiles"); err == nil {
		t.Error("BlobHash of a directory succeeded")
	}
	if empty, err := fs.Sub(old.FS, "nothing/here"); err != nil {
		t.Error(err)
	} else if des, err := fs.ReadDir(empty, "."); err != nil || len(des) != 0 {
		t.Errorf("missing subtree: %v %v", des, err)
	}
	if _, err := fs.Sub(old.FS, "README.md"); err == nil {
		t.Error("Sub of a file succeeded")
	}

	head, err := repo.Resolve(ctx, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if head.Commit != second {
		t.Errorf("HEAD is %s, want %s", head.Commit, second)
	}
	if got, _ := fs.ReadFile(head.FS, "README.md"); string(got) != "platform, second\n" {
		t.Errorf("HEAD README.md = %q", got)
	}
	if _, err := fs.Stat(head.FS, "bin/run.sh"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("removed file: %v", err)
	}
	for _, bad := range []string{"/README.md", "fleet/../README.md", "README.md/x", "fleet/nothing"} {
		if _, err := head.FS.Open(bad); err == nil {
			t.Errorf("Open(%q) succeeded", bad)
		}
	}
}

func TestTreeFSLinkOutOfTree(t *testing.T) {
	dir := t.TempDir()
	gitrepotest.Init(t, dir)
	gitrepotest.Write(t, dir, "a.yaml", "x: 1\n")
	for name, target := range map[string]string{"up.yaml": "../outside.yaml", "abs.yaml": "/etc/hostname", "loop.yaml": "loop.yaml"} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	gitrepotest.CommitAll(t, dir, "links")
	_, snap := resolve(t, dir, "HEAD")
	for name, want := range map[string]string{"up.yaml": "leads out of the commit's tree", "abs.yaml": "leads out of the commit's tree", "loop.yaml": "too many levels"} {
		_, err := fs.ReadFile(snap.FS, name)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", name, err, want)
		}
	}
	// Listing works; the links are listed as links.
	des, err := fs.ReadDir(snap.FS, ".")
	if err != nil || len(des) != 4 || des[0].Type() != 0 || des[1].Type() != fs.ModeSymlink {
		t.Errorf("ReadDir: %v %v", des, err)
	}
}

func TestResolve(t *testing.T) {
	dir, first, second := newRepo(t)
	repo, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for rev, want := range map[string]string{"HEAD": second, "HEAD~1": first, "HEAD^": first, "v1": first, "master": second, first[:7]: first, second: second} {
		snap, err := repo.Resolve(ctx, rev)
		if err != nil {
			t.Errorf("%s: %v", rev, err)
			continue
		}
		if snap.Commit != want || snap.Revision != rev {
			t.Errorf("%s resolved to %s, want %s", rev, snap.Commit, want)
		}
	}
	for _, rev := range []string{"nope", "HEAD~5", "v2", "zzzzzzz"} {
		if _, err := repo.Resolve(ctx, rev); !errors.Is(err, gitrepo.ErrUnknownRevision) {
			t.Errorf("%s: %v, want ErrUnknownRevision", rev, err)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := repo.Resolve(cancelled, "HEAD"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestUnbornAndOutside(t *testing.T) {
	dir := t.TempDir()
	gitrepotest.Init(t, dir)
	repo, snap := resolve(t, dir, "HEAD")
	if !snap.Unborn || snap.Commit != "" {
		t.Errorf("unborn HEAD: %+v", snap)
	}
	if des, err := fs.ReadDir(snap.FS, "."); err != nil || len(des) != 0 {
		t.Errorf("empty tree: %v %v", des, err)
	}
	if _, err := fs.Stat(snap.FS, "fleet"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("empty tree has fleet: %v", err)
	}
	if err := fstest.TestFS(snap.FS); err != nil {
		t.Error(err)
	}

	if rel, err := repo.Rel(filepath.Join(dir, "fleet")); err != nil || rel != "fleet" {
		t.Errorf("Rel = %q, %v", rel, err)
	}
	if rel, err := repo.Rel(dir); err != nil || rel != "." {
		t.Errorf("Rel(top) = %q, %v", rel, err)
	}
	if _, err := repo.Rel(t.TempDir()); err == nil {
		t.Error("Rel outside the repository succeeded")
	}
	if _, err := gitrepo.Open(t.TempDir()); !errors.Is(err, gitrepo.ErrNotRepository) {
		t.Errorf("Open outside a repository: %v", err)
	}
}

// The loader reads files from several goroutines.
func TestTreeFSConcurrent(t *testing.T) {
	dir, _, _ := newRepo(t)
	_, snap := resolve(t, dir, "HEAD")
	files := []string{"fleet/fleet.yaml", "fleet/profiles/gpu.yaml", "fleet/clusters/dev-acme-fra.yaml", "fleet/inventory/site/iad.yaml"}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				name := files[(i+j)%len(files)]
				if _, err := fs.ReadFile(snap.FS, name); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
