package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"github.com/fleetup/fleetup/internal/gitrepo/gitrepotest"
	"github.com/go-git/go-git/v5/plumbing"
	"golang.org/x/sys/unix"
)

// TestFleetWritesKilledAnywhere: `fleet init`, `cluster create` and
// `cluster delete`,
// SIGKILLed at each file system event they cause in turn (a temporary
// file made, a file renamed into place, Git's objects, index and branch
// written), and run again: every time the rerun succeeds and the
// repository holds exactly one commit of the change, with a clean work
// tree. No hub is involved.
func TestFleetWritesKilledAnywhere(t *testing.T) {
	bin := fleetupBinary(t)
	for _, tc := range []struct {
		name  string
		fleet bool // the repository has the shipped fleet
		args  []string
		// file is committed by the command (removed, when gone); watch
		// are the directories whose events are kill points, besides Git's.
		file  string
		gone  bool
		watch []string
	}{
		{name: "fleet init", args: []string{"fleet", "init"}, file: "fleet/fleet.yaml", watch: []string{"."}},
		{name: "cluster create", fleet: true, file: "fleet/clusters/demo.yaml", watch: []string{"fleet/clusters"},
			args: []string{"cluster", "create", "demo", "--profile", "standard", "--environment", "dev", "--customer", "acme", "--site", "fra", "--provider", "in-memory"}},
		// With no hub to reach (the shipped config.yaml's), the file goes
		// in one commit.
		{name: "cluster delete", fleet: true, file: "fleet/clusters/dev-acme-fra.yaml", gone: true, watch: []string{"fleet/clusters"},
			args: []string{"cluster", "delete", "dev-acme-fra", "--yes", "--no-wait"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			killed := 0
			for n := 1; ; n++ {
				dir := killRepo(t, tc.fleet)
				args := append(append([]string{}, tc.args...), "--config", filepath.Join(dir, "config.yaml"))
				watch := append([]string{".git", ".git/objects", ".git/refs/heads"}, tc.watch...)
				if !killAtEvent(t, bin, dir, args, watch, n) {
					break // it ended before its n-th event
				}
				killed++
				out, err := exec.Command(bin, args...).CombinedOutput()
				// A delete already committed in full has nothing left to
				// do: the rerun says the cluster is not there (exit 2), as
				// kubectl delete and helm uninstall do.
				done := tc.gone && strings.Contains(string(out), `no cluster "dev-acme-fra"`)
				if err != nil && !done {
					t.Fatalf("killed at event %d, the rerun failed: %v\n%s", n, err, out)
				}
				repo := gitrepotest.Open(t, dir)
				head := gitrepotest.Commit(t, repo, plumbing.HEAD)
				parent, err := head.Parent(0)
				if err != nil || parent.Message != "seed" {
					t.Errorf("killed at event %d: HEAD %q is not one commit on the seed", n, head.Message)
				}
				if _, ok := gitrepotest.File(t, head, tc.file); ok == tc.gone {
					t.Errorf("killed at event %d: %s is not committed (removed: %v)", n, tc.file, tc.gone)
				}
				gitrepotest.Clean(t, repo)
			}
			t.Logf("%s killed at %d points, each rerun converged", tc.name, killed)
			if killed < 3 {
				t.Errorf("%s was killed at %d points only", tc.name, killed)
			}
		})
	}
}

// killRepo is a clone of the platform repository as users start from:
// config.yaml and packages/, with the shipped fleet or none, committed.
func killRepo(t *testing.T, withFleet bool) string {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	dir := t.TempDir()
	root, _ := filepath.Abs("../..")
	gitrepotest.CopyDir(t, filepath.Join(root, "packages"), filepath.Join(dir, "packages"))
	if withFleet {
		gitrepotest.CopyDir(t, filepath.Join(root, "fleet"), filepath.Join(dir, "fleet"))
	}
	data, err := os.ReadFile(filepath.Join(root, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "config.yaml"), string(data))
	gitrepotest.Seeded(t, dir, "Fleet Tester", "tester@example.com")
	return dir
}

// killAtEvent runs bin with args in dir and SIGKILLs it at the n-th
// inotify event in the watched directories (relative to dir); it reports
// whether the kill came before the process ended.
func killAtEvent(t *testing.T, bin, dir string, args, watched []string, n int) bool {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	// A non-blocking descriptor goes to Go's poller: Close ends a Read.
	events := os.NewFile(uintptr(fd), "inotify")
	defer events.Close()
	for _, w := range watched {
		if _, err := unix.InotifyAddWatch(fd, filepath.Join(dir, w), unix.IN_CREATE|unix.IN_CLOSE_WRITE|unix.IN_MOVED_TO|unix.IN_DELETE); err != nil {
			t.Fatalf("watch %s: %v", w, err)
		}
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ended := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(ended)
		events.Close()
	}()
	buf := make([]byte, 64*1024)
	seen := 0
	for seen < n {
		m, err := events.Read(buf)
		if errors.Is(err, os.ErrClosed) {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		for off := 0; off+unix.SizeofInotifyEvent <= m; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			off += unix.SizeofInotifyEvent + int(ev.Len)
			seen++
		}
	}
	if err := cmd.Process.Signal(unix.SIGKILL); err != nil && !strings.Contains(err.Error(), "process already finished") {
		t.Fatal(err)
	}
	<-ended
	return true
}
