package cli

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// The terminal view redraws the table at every evaluation, says when a
// read failed, stops on ctrl+c and ends with the outcome.
func TestStatusModel(t *testing.T) {
	clock := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	cancelled := 0
	m := &statusModel{cancel: func() { cancelled++ }, start: clock, now: func() time.Time { return clock }}
	if v := m.render(); !strings.Contains(v, "reading the fleet and the hub") || !strings.Contains(v, "ctrl+c stops") {
		t.Errorf("before the first evaluation:\n%s", v)
	}
	m.Update(statusMsg{rep: statusReport(StateProgressing, "no Application fleet-dev-acme-fra yet", StateReady, "")})
	clock = clock.Add(3 * time.Second)
	v := m.render()
	for _, want := range []string{"fleetup fleet status --watch  3s\n", "fleet/: 1 ready, 1 progressing\n", "no Application fleet-dev-acme-fra yet"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	m.Update(statusMsg{err: errInterrupted})
	if v := m.render(); !strings.Contains(v, "last read failed (retried at the next change): interrupted by ctrl+c") || !strings.Contains(v, "no Application fleet-dev-acme-fra yet") {
		t.Errorf("after a failed read the last table stays, with the error:\n%s", v)
	}
	m.Update(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	m.Update(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	if cancelled != 1 || !strings.Contains(m.render(), "\nstopping\n") {
		t.Errorf("ctrl+c: cancelled %d times:\n%s", cancelled, m.render())
	}
	m.Update(statusMsg{rep: statusReport(StateReady, "", StateReady, "")})
	if _, cmd := m.Update(statusDoneMsg{}); cmd == nil || !strings.Contains(m.render(), "done: every cluster is as Git says") || strings.Contains(m.render(), "last read failed") {
		t.Errorf("done:\n%s", m.render())
	}
}
