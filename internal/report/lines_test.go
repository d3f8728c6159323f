package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

// script is a short install as the reporters see it.
func script(r Reporter, clock *time.Time) {
	start := *clock
	tick := func(d time.Duration) { *clock = clock.Add(d) }
	r.Step("preflight", StepRunning, "")
	r.Step("preflight", StepDone, "cluster https://127.0.0.1:6443, Kubernetes v1.34.4, acting as admin")
	tick(2 * time.Second)
	r.Step("argo-cd", StepDone, "release argocd/argocd installed: chart argo-cd 9.5.11, revision 1, workloads ready")
	r.Addon(AddonStatus{Name: "cert-manager", State: AddonWaiting, Message: "waiting on envoy-gateway", WaitingOn: []string{"envoy-gateway"}, Since: *clock})
	r.Addon(AddonStatus{Name: "envoy-gateway", State: AddonSyncing, Message: "sync OutOfSync, health Missing; operation Running", Since: *clock, Started: *clock})
	tick(9 * time.Second)
	r.Addon(AddonStatus{Name: "envoy-gateway", State: AddonHealthy, Since: *clock, Started: start.Add(2 * time.Second)})
	r.Addon(AddonStatus{Name: "cert-manager", State: AddonFailed, Message: "Degraded for 2m0s (last condition: sync Synced, health Degraded)", Since: *clock})
	r.Addon(AddonStatus{Name: "platform-gateway", State: AddonBlocked, Message: "blocked by cert-manager", WaitingOn: []string{"cert-manager"}, Since: *clock})
	r.Step("addons", StepFailed, "1 addon(s) failed")
}

func TestLineReporterGolden(t *testing.T) {
	for _, c := range []struct {
		name string
		json bool
	}{{"plain.golden", false}, {"json.golden", true}} {
		clock := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
		var b bytes.Buffer
		r := &LineReporter{W: &b, JSON: c.json, Now: func() time.Time { return clock }}
		script(r, &clock)
		path := filepath.Join("testdata", c.name)
		if *update {
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test ./internal/bootstrap -update)", err)
		}
		if !bytes.Equal(b.Bytes(), want) {
			t.Errorf("%s differs:\n--- got\n%s--- want\n%s", c.name, b.String(), want)
		}
	}
}
