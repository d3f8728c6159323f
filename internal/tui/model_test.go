package tui

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/fleetup/fleetup/internal/report"
)

var ansi = regexp.MustCompile(`\x1b\[[0-9;]*m`)

func plain(m *Model) string { return ansi.ReplaceAllString(m.Render(), "") }

func TestViewFollowsMessages(t *testing.T) {
	clock := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	cancelled := false
	m := New("fleetup install hub", []string{"preflight", "argo-cd", "addons"}, [][]string{{"envoy-gateway"}, {"cert-manager"}, {"platform-gateway"}}, func() { cancelled = true })
	m.Now = func() time.Time { return clock }
	if cmd := m.Init(); cmd == nil {
		t.Error("Init schedules no refresh")
	}
	v := plain(m)
	for _, want := range []string{"fleetup install hub", "· preflight", "level 0", "envoy-gateway", "waiting", "ctrl+c stops cleanly"} {
		if !strings.Contains(v, want) {
			t.Errorf("initial view lacks %q:\n%s", want, v)
		}
	}
	send := func(msg tea.Msg) { m.Update(msg) }
	send(StepMsg{Name: "preflight", State: report.StepDone, Message: "Kubernetes v1.34.4"})
	send(StepMsg{Name: "argo-cd", State: report.StepRunning})
	send(AddonMsg{Name: "envoy-gateway", State: report.AddonSyncing, Message: "sync OutOfSync, health Missing", Started: clock, Since: clock})
	send(AddonMsg{Name: "cert-manager", State: report.AddonWaiting, Message: "waiting on envoy-gateway", WaitingOn: []string{"envoy-gateway"}})
	clock = clock.Add(7 * time.Second)
	send(TickMsg(clock))
	v = plain(m)
	for _, want := range []string{"✓ preflight", "Kubernetes v1.34.4", "… argo-cd", "envoy-gateway              syncing         7s  sync OutOfSync, health Missing", "cert-manager               waiting", "waiting on envoy-gateway"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	send(AddonMsg{Name: "envoy-gateway", State: report.AddonHealthy, Started: clock.Add(-7 * time.Second), Since: clock})
	send(AddonMsg{Name: "cert-manager", State: report.AddonFailed, Message: "Degraded for 2m0s", Started: clock, Since: clock})
	send(AddonMsg{Name: "platform-gateway", State: report.AddonBlocked, Message: "blocked by cert-manager"})
	v = plain(m)
	for _, want := range []string{"envoy-gateway              healthy         7s", "cert-manager               failed", "Degraded for 2m0s", "platform-gateway           blocked", "blocked by cert-manager"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}

	// Ctrl-C cancels the install once and says it is stopping.
	send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	if !cancelled || !strings.Contains(plain(m), "stopping") {
		t.Errorf("ctrl+c: cancelled=%v\n%s", cancelled, plain(m))
	}
	_, cmd := m.Update(DoneMsg{Err: errors.New("x")})
	if cmd == nil || !strings.Contains(plain(m), "failed") {
		t.Errorf("done: %v\n%s", cmd, plain(m))
	}
}

// TestUninstallView: levels in removal order, addons installed until
// reported, removed ones green with their time, and the uninstall resume hint.
func TestUninstallView(t *testing.T) {
	clock := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	m := NewUninstall("fleetup uninstall hub", []string{"remove-addons", "detach"}, [][]string{{"envoy-gateway"}, {"cert-manager"}, {"platform-gateway"}}, func() {})
	m.Now = func() time.Time { return clock }
	v := plain(m)
	if strings.Index(v, "platform-gateway") > strings.Index(v, "envoy-gateway") || !strings.Contains(v, " level 2\n   platform-gateway") {
		t.Errorf("levels not in removal order:\n%s", v)
	}
	if !strings.Contains(v, "cert-manager               installed") || !strings.Contains(v, "rerun fleetup uninstall to resume") {
		t.Errorf("initial uninstall view:\n%s", v)
	}
	m.Update(AddonMsg{Name: "platform-gateway", State: report.AddonRemoved, Message: "Application and resources deleted", Started: clock, Since: clock.Add(3 * time.Second)})
	clock = clock.Add(9 * time.Second)
	m.Update(TickMsg(clock))
	if v := plain(m); !strings.Contains(v, "platform-gateway           removed         3s") {
		t.Errorf("removed addon:\n%s", v)
	}
}
