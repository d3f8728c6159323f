package envtest

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/kube"
)

// TestSecondEnvironmentStopsCleanly starts another environment while the
// shared one runs (ports are chosen free), then stops it and checks that
// no process it started is left, nor its directory.
func TestSecondEnvironmentStopsCleanly(t *testing.T) {
	env.Need(t)
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e, err := Start(c, Options{Nodes: 1})
	if err != nil {
		t.Fatal(err)
	}
	pids := e.PIDs()
	if len(pids) != 5 {
		t.Errorf("started %d processes, want 5 (etcd, apiserver, controller-manager, scheduler, kwok)", len(pids))
	}
	if e.Server == env.Server {
		t.Fatal("second environment reused the first one's API server port")
	}
	if _, err := e.Client.WaitFor(c, kube.GVR("", "v1", "nodes"), "", "kwok-node-0", "node", nodeReady); err != nil {
		t.Fatal(err)
	}
	dir := e.Dir
	e.Stop()
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process %d still exists after Stop (kill 0: %v)", pid, err)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) && os.Getenv("FLEETUP_TESTENV_KEEP") == "" {
		t.Errorf("directory %s left behind", dir)
	}
	// The shared environment is unaffected.
	if _, err := env.Client.Typed.Discovery().ServerVersion(); err != nil {
		t.Fatalf("shared environment broken: %v", err)
	}
}

func TestServerVersionIsStamped(t *testing.T) {
	env.Need(t)
	v, err := env.Client.Typed.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if want := parseVersions()["KUBERNETES_VERSION"]; v.GitVersion != want {
		t.Errorf("server reports %s, want %s (Helm refuses charts with kubeVersion constraints otherwise)", v.GitVersion, want)
	}
}
