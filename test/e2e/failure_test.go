package e2e

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/bootstrap/actions/addons"
	"github.com/fleetup/fleetup/internal/cli"
	"github.com/fleetup/fleetup/internal/report"
	"github.com/fleetup/fleetup/test/envtest"
)

// TestSlowAndBrokenAddons: right is slow (kwok readiness delay) and is
// waited for; left crash-loops, fails after the degraded grace period, and
// top, which needs it, is reported blocked, not failed; exit code 1. Fixing
// left in the catalog and running again completes the install.
func TestSlowAndBrokenAddons(t *testing.T) {
	env.Need(t)
	p := newPlatform(t, options{PodAnnotations: map[string]string{
		"right": envtest.ReadyDelayAnnotation + "=6s",
		"left":  envtest.FailAnnotation + "=true",
	}})
	rec := &report.Recorder{}
	out, err := p.install(timeout(t, 8*time.Minute), t, func(in *cli.Install) { in.Global.Observe = rec })
	if err == nil {
		t.Fatal("install with a broken addon succeeded")
	}
	if code := cli.ExitCode(err); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	var failed *addons.Failed
	if !errors.As(err, &failed) {
		t.Fatalf("error is not an addons failure: %v", err)
	}
	if _, ok := failed.Failed["left"]; !ok || len(failed.Failed) != 1 {
		t.Errorf("failed addons %v, want only left", failed.Failed)
	}
	if !strings.Contains(failed.Failed["left"], "Degraded") {
		t.Errorf("left's reason lacks the last condition: %q", failed.Failed["left"])
	}
	// It names the resource that is not ready and why.
	if !strings.Contains(failed.Failed["left"], "Deployment "+p.NS+"-left/left: Failed") {
		t.Errorf("left's reason does not name its failing Deployment: %q", failed.Failed["left"])
	}
	if by := failed.Blocked["top"]; len(by) != 1 || by[0] != "left" {
		t.Errorf("top blocked by %v, want [left]", by)
	}
	for _, want := range []string{"addon right", "healthy after", "addon top", "blocked", "look further: kubectl -n argocd describe application left-" + p.Cluster} {
		if !strings.Contains(out+err.Error(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	for _, a := range rec.Addons() {
		if a.Name == "top" && a.State == report.AddonFailed {
			t.Error("top reported failed instead of blocked")
		}
	}
	if st := rec.AddonStates(); st["top"] != report.AddonBlocked || st["right"] != report.AddonHealthy {
		t.Errorf("last states %v", st)
	}
	// status agrees: degraded, left is the culprit, top waits on it; exit 1.
	st, code := p.status(t)
	if st.Phase != "degraded" || code != 1 || st.HandOff != true {
		t.Errorf("status after the failure: phase %s exit %d handOff %v", st.Phase, code, st.HandOff)
	}
	for _, a := range st.Addons {
		switch a.Name {
		case "left":
			if a.State != "degraded" && a.State != "failed" {
				t.Errorf("left: %+v", a)
			}
		case "top":
			if a.State != "waiting" || len(a.WaitingOn) != 1 || a.WaitingOn[0] != "left" || a.SwitchedOn {
				t.Errorf("top: %+v", a)
			}
		}
	}

	// Fix left and run again: the install converges.
	catalog := filepath.Join(p.RepoDir, "packages", "addons", "values.yaml")
	data, err := os.ReadFile(catalog)
	if err != nil {
		t.Fatal(err)
	}
	fixed := strings.Replace(string(data), `podAnnotations: {"fleetup.dev/fail": "true"}`+"\n    progressDeadlineSeconds: 5", `podAnnotations: {}`, 1)
	if fixed == string(data) {
		t.Fatal("fixture changed: cannot find left's fail annotation")
	}
	if err := os.WriteFile(catalog, []byte(fixed), 0o644); err != nil {
		t.Fatal(err)
	}
	envtest.Commit(t, p.RepoDir, "fix left")
	if _, err := p.install(timeout(t, 8*time.Minute), t, nil); err != nil {
		t.Fatalf("rerun after the fix: %v", err)
	}
	requireHealthy(t, p)
}
