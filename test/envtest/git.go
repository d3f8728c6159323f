package envtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// GitRepo makes a Git repository (one commit on branch main) from the files
// of src (a directory, or a map of path to content) and returns its
// working directory and the file:// URL Argo CD can clone.
func GitRepo(t testing.TB, files map[string]string) (dir, url string) {
	t.Helper()
	dir = t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(t, dir, "init", "-q", "-b", "main")
	Commit(t, dir, "initial")
	return dir, "file://" + dir
}

// GitInit makes dir a Git repository with one commit of its files.
func GitInit(t testing.TB, dir string) {
	t.Helper()
	git(t, dir, "init", "-q", "-b", "main")
	Commit(t, dir, "initial")
}

// GitRepoFromDir is GitRepo over a copy of a directory tree.
func GitRepoFromDir(t testing.TB, src string) (dir, url string) {
	t.Helper()
	dir = t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "init", "-q", "-b", "main")
	Commit(t, dir, "initial")
	return dir, "file://" + dir
}

// Commit commits every change in dir.
func Commit(t testing.TB, dir, msg string) {
	t.Helper()
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "--allow-empty", "-m", msg)
}

// Head is the commit dir's HEAD names.
func Head(t testing.TB, dir string) string {
	t.Helper()
	return strings.TrimSpace(git(t, dir, "rev-parse", "HEAD"))
}

func git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=fleetup tests", "-c", "user.email=tests@fleetup.invalid", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %v: %v\n%s%s", args, err, out, stderr.String())
	}
	return string(out)
}
