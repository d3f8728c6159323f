package e2e

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/bootstrap"
	"github.com/fleetup/fleetup/test/envtest"
)

// fleetupBinary builds cmd/fleetup once per test binary run.
func fleetupBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fleetup-e2e-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "fleetup")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/fleetup/fleetup/cmd/fleetup").CombinedOutput()
		if err != nil {
			binErr = &buildError{out: string(out), err: err}
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return "go build fleetup: " + e.err.Error() + "\n" + e.out }

// TestKillAtEachStepThenRerun: `fleetup install` is SIGKILLed as each step
// starts (the Helm step while the chart's pods are still starting), and a
// second run converges to the same healthy platform.
func TestKillAtEachStepThenRerun(t *testing.T) {
	env.Need(t)
	bin := fleetupBinary(t)
	for _, s := range bootstrap.InstallSteps() {
		step := s.Name()
		t.Run(step, func(t *testing.T) {
			// Slow argo-cd pods make the kill land inside Helm's wait.
			p := newPlatform(t, options{PodAnnotations: map[string]string{"argocd": envtest.ReadyDelayAnnotation + "=4s"}})
			killed := runUntil(t, bin, p, "step  "+step)
			if !killed {
				t.Fatalf("install finished before step %s started", step)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "install", "--yes", "--config", p.Config, "--kubeconfig", env.Kubeconfig)
			out, err := cmd.CombinedOutput()
			t.Logf("rerun after SIGKILL at %s:\n%s", step, out)
			if err != nil {
				t.Fatalf("rerun after SIGKILL at %s: %v\n%s", step, err, out)
			}
			if !strings.Contains(string(out), "platform installed") && !strings.Contains(string(out), "nothing changed") {
				t.Errorf("rerun output:\n%s", out)
			}
			requireHealthy(t, p)
		})
	}
}

// runUntil starts an install and SIGKILLs it when a line containing marker
// appears; it reports whether it killed the process.
func runUntil(t *testing.T, bin string, p *platform, marker string) bool {
	t.Helper()
	return killAt(t, bin, p, marker, "install")
}

// killAt runs `fleetup <args> --yes` on the platform and SIGKILLs it when a
// line containing marker appears; it reports whether it killed it.
func killAt(t *testing.T, bin string, p *platform, marker string, args ...string) bool {
	t.Helper()
	return killWhen(t, bin, p, func(line string) bool { return strings.Contains(line, marker) }, args...)
}

// killWhen is killAt for the first line at which matches is true.
func killWhen(t *testing.T, bin string, p *platform, matches func(line string) bool, args ...string) bool {
	t.Helper()
	sent, _ := signalWhen(t, bin, p, matches, syscall.SIGKILL, args...)
	return sent
}

// signalWhen runs `fleetup <args> --yes` on the platform and sends it sig
// at the first line for which matches is true; it reports whether it sent
// it, and everything the process printed until it ended.
func signalWhen(t *testing.T, bin string, p *platform, matches func(line string) bool, sig syscall.Signal, args ...string) (bool, string) {
	t.Helper()
	cmd := exec.Command(bin, append(args, "--yes", "--config", p.Config, "--kubeconfig", env.Kubeconfig)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	var out strings.Builder
	sent := false
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if !sent && matches(sc.Text()) {
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			sent = true
		}
	}
	return sent, out.String()
}
