package addons

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/report"
	"github.com/fleetup/fleetup/internal/stages"
)

// The diamond: base <- left, right <- top.
func diamond(t *testing.T) *stages.Graph {
	t.Helper()
	g, err := stages.New([]string{"base", "left", "right", "top"}, map[string][]string{"left": {"base"}, "right": {"base"}, "top": {"left", "right"}})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func rules(t *testing.T, parallel bool) Rules {
	return Rules{Graph: diamond(t), Timeout: func(string) time.Duration { return 3 * time.Minute }, Grace: 10 * time.Second, Parallel: parallel}
}

// Applications in the states the rules know, as argocd.Read returns them.
var (
	healthy     = &argocd.Application{Current: true, Sync: "Synced", Health: "Healthy"}
	adopted     = healthy // no operation at all: the resources already matched
	running     = &argocd.Application{Current: true, Sync: "OutOfSync", Health: "Missing", OpPhase: "Running"}
	retrying    = &argocd.Application{Current: true, Sync: "OutOfSync", Health: "Missing", OpPhase: "Running", OpRetries: 1, OpMessage: "Retrying attempt #1"}
	progressing = &argocd.Application{Current: true, Sync: "Synced", Health: "Progressing"}
	degraded    = &argocd.Application{Current: true, Sync: "Synced", Health: "Degraded"}
	failed      = &argocd.Application{Current: true, Sync: "OutOfSync", Health: "Missing", OpPhase: "Failed", OpMessage: "apply failed", Revision: "r1", OpRevision: "r1"}
	stale       = &argocd.Application{Current: false, Sync: "Synced", Health: "Healthy", OpPhase: "Succeeded"}
	deleting    = &argocd.Application{Current: true, Sync: "Synced", Health: "Healthy", Deleting: true}
)

type apps map[string]*argocd.Application

func states(m *Machine) map[string]report.AddonState {
	out := map[string]report.AddonState{}
	for n, t := range m.addon {
		out[n] = t.state
	}
	return out
}

func want(t *testing.T, m *Machine, exp map[string]report.AddonState) {
	t.Helper()
	got := states(m)
	for n, s := range exp {
		if got[n] != s {
			t.Errorf("%s: %s, want %s (all: %v)", n, got[n], s, got)
		}
	}
}

func TestGatedDiamond(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	m := NewMachine(rules(t, false), nil, t0)
	d := m.Step(t0, apps{})
	if strings.Join(d.SwitchOn, ",") != "base" || d.Done {
		t.Fatalf("first step switches %v, done %v", d.SwitchOn, d.Done)
	}
	want(t, m, map[string]report.AddonState{"base": report.AddonStarting, "left": report.AddonWaiting, "top": report.AddonWaiting})
	if !d.Next.Equal(t0.Add(3 * time.Minute)) {
		t.Errorf("next deadline %v", d.Next)
	}
	// base adopted with no operation: healthy, its dependants start.
	d = m.Step(t0.Add(5*time.Second), apps{"base": adopted})
	if strings.Join(d.SwitchOn, ",") != "left,right" {
		t.Fatalf("after base: switches %v", d.SwitchOn)
	}
	want(t, m, map[string]report.AddonState{"base": report.AddonHealthy, "left": report.AddonStarting, "right": report.AddonStarting, "top": report.AddonWaiting})
	d = m.Step(t0.Add(10*time.Second), apps{"base": healthy, "left": running, "right": healthy})
	if len(d.SwitchOn) != 0 {
		t.Errorf("top switched on before left is healthy: %v", d.SwitchOn)
	}
	want(t, m, map[string]report.AddonState{"left": report.AddonSyncing, "top": report.AddonWaiting})
	d = m.Step(t0.Add(20*time.Second), apps{"base": healthy, "left": healthy, "right": healthy})
	if strings.Join(d.SwitchOn, ",") != "top" {
		t.Errorf("switches %v", d.SwitchOn)
	}
	d = m.Step(t0.Add(30*time.Second), apps{"base": healthy, "left": healthy, "right": healthy, "top": healthy})
	if !d.Done || m.Result("argocd", "hub") != nil {
		t.Errorf("done %v result %v", d.Done, m.Result("argocd", "hub"))
	}
}

func TestParallelSwitchesAllAtOnce(t *testing.T) {
	t0 := time.Now()
	m := NewMachine(rules(t, true), nil, t0)
	if d := m.Step(t0, apps{}); len(d.SwitchOn) != 4 {
		t.Errorf("switches %v", d.SwitchOn)
	}
}

func TestStaleStatusIsNotHealthy(t *testing.T) {
	t0 := time.Now()
	m := NewMachine(rules(t, false), map[string]bool{"base": true}, t0)
	d := m.Step(t0, apps{"base": stale})
	want(t, m, map[string]report.AddonState{"base": report.AddonSyncing, "left": report.AddonWaiting})
	if len(d.SwitchOn) != 0 {
		t.Errorf("dependants switched on behind a leftover status: %v", d.SwitchOn)
	}
}

func TestRetriedThenSucceeded(t *testing.T) {
	t0 := time.Now()
	m := NewMachine(rules(t, false), map[string]bool{"base": true}, t0)
	m.Step(t0, apps{"base": running})
	m.Step(t0.Add(5*time.Second), apps{"base": retrying})
	want(t, m, map[string]report.AddonState{"base": report.AddonSyncing})
	m.Step(t0.Add(15*time.Second), apps{"base": healthy})
	want(t, m, map[string]report.AddonState{"base": report.AddonHealthy})
}

func TestFailureBlocksDependants(t *testing.T) {
	t0 := time.Now()
	m := NewMachine(rules(t, false), map[string]bool{"base": true}, t0)
	d := m.Step(t0, apps{"base": failed})
	if strings.Join(d.NewlyFailed, ",") != "base" || !d.Done {
		t.Fatalf("newly failed %v, done %v", d.NewlyFailed, d.Done)
	}
	want(t, m, map[string]report.AddonState{"base": report.AddonFailed, "left": report.AddonBlocked, "right": report.AddonBlocked, "top": report.AddonBlocked})
	r := m.Explain("base", "not ready: Deployment x/y: InProgress")
	if !strings.Contains(r.Message, "sync failed: apply failed") || !strings.Contains(r.Message, "not ready: Deployment x/y") {
		t.Errorf("message %q", r.Message)
	}
	var f *Failed
	if err := m.Result("argocd", "hub"); !errors.As(err, &f) || len(f.Blocked) != 3 || !strings.Contains(err.Error(), "describe application base-hub") {
		t.Errorf("result %v", err)
	}
	// Failure is final for the run, even if the Application recovers.
	m.Step(t0.Add(time.Minute), apps{"base": healthy})
	want(t, m, map[string]report.AddonState{"base": report.AddonFailed})
}

func TestDegradedGrace(t *testing.T) {
	t0 := time.Now()
	m := NewMachine(rules(t, false), map[string]bool{"base": true}, t0)
	d := m.Step(t0, apps{"base": degraded})
	want(t, m, map[string]report.AddonState{"base": report.AddonDegraded})
	if !d.Next.Equal(t0.Add(10 * time.Second)) {
		t.Errorf("next %v, want the end of the grace", d.Next.Sub(t0))
	}
	// Recovering within the grace resets it.
	m.Step(t0.Add(5*time.Second), apps{"base": progressing})
	m.Step(t0.Add(8*time.Second), apps{"base": degraded})
	m.Step(t0.Add(17*time.Second), apps{"base": degraded})
	want(t, m, map[string]report.AddonState{"base": report.AddonDegraded})
	d = m.Step(t0.Add(18*time.Second), apps{"base": degraded})
	want(t, m, map[string]report.AddonState{"base": report.AddonFailed})
	if !strings.Contains(m.addon["base"].msg, "Degraded for 10s") {
		t.Errorf("message %q", m.addon["base"].msg)
	}
}

func TestPerAddonDeadline(t *testing.T) {
	t0 := time.Now()
	r := rules(t, false)
	r.Timeout = func(n string) time.Duration {
		if n == "base" {
			return time.Minute
		}
		return 3 * time.Minute
	}
	m := NewMachine(r, nil, t0)
	m.Step(t0, apps{})
	m.Step(t0.Add(59*time.Second), apps{"base": progressing})
	want(t, m, map[string]report.AddonState{"base": report.AddonProgressing})
	m.Step(t0.Add(time.Minute), apps{"base": progressing})
	want(t, m, map[string]report.AddonState{"base": report.AddonFailed})
	if !strings.Contains(m.addon["base"].msg, "not healthy after 1m0s") {
		t.Errorf("message %q", m.addon["base"].msg)
	}
	// No Application at all.
	m = NewMachine(r, nil, t0)
	m.Step(t0, apps{})
	m.Step(t0.Add(time.Minute), apps{})
	if !strings.Contains(m.addon["base"].msg, "no Application base after 1m0s") {
		t.Errorf("message %q", m.addon["base"].msg)
	}
}

func TestResumeCountsFromNow(t *testing.T) {
	t0 := time.Now()
	m := NewMachine(rules(t, false), map[string]bool{"base": true, "left": true}, t0)
	d := m.Step(t0, apps{"base": healthy, "left": progressing})
	if strings.Join(d.SwitchOn, ",") != "right" {
		t.Errorf("resume switches %v", d.SwitchOn)
	}
	if got := m.addon["left"].started; !got.Equal(t0) {
		t.Errorf("left's timeout counts from %v", got)
	}
}

func TestDeletedApplication(t *testing.T) {
	t0 := time.Now()
	m := NewMachine(rules(t, false), map[string]bool{"base": true}, t0)
	m.Step(t0, apps{"base": healthy})
	m.Step(t0.Add(time.Second), apps{"base": deleting})
	want(t, m, map[string]report.AddonState{"base": report.AddonSyncing})
	// Gone; its ApplicationSet makes it again.
	m.Step(t0.Add(2*time.Second), apps{})
	want(t, m, map[string]report.AddonState{"base": report.AddonStarting})
	m.Step(t0.Add(3*time.Second), apps{"base": healthy})
	want(t, m, map[string]report.AddonState{"base": report.AddonHealthy})
}

func TestReportsOnlyChanges(t *testing.T) {
	t0 := time.Now()
	m := NewMachine(rules(t, false), nil, t0)
	if d := m.Step(t0, apps{}); len(d.Reports) != 4 {
		t.Errorf("first step reports %d", len(d.Reports))
	}
	if d := m.Step(t0.Add(time.Second), apps{}); len(d.Reports) != 0 {
		t.Errorf("nothing changed, reports %v", d.Reports)
	}
}
