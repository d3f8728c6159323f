package addons

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/report"
	"github.com/fleetup/fleetup/internal/stages"
)

// Rules are what the health state machine decides by.
type Rules struct {
	Graph *stages.Graph
	// Timeout is an addon's health timeout, counted from its switch.
	Timeout func(addon string) time.Duration
	// Grace is how long an addon may stay Degraded.
	Grace time.Duration
	// Parallel switches every addon on at once; otherwise an addon is
	// switched on once its dependencies are healthy.
	Parallel bool
}

// Machine is the addons step's pure core: given the time and the
// Applications seen, it decides which addons to switch on, what to report,
// when to look again, and when the wait is over. It does no I/O, so every
// transition is tested with a fake clock.
type Machine struct {
	rules Rules
	on    map[string]bool
	addon map[string]*tracker
}

type tracker struct {
	state         report.AddonState
	msg           string
	waitingOn     []string
	since         time.Time
	started       time.Time
	degradedSince time.Time
	app           *argocd.Application
}

// Decision is what one Step decided.
type Decision struct {
	// SwitchOn are the addons to switch on now.
	SwitchOn []string
	// Reports are the state changes, in graph order.
	Reports []report.AddonStatus
	// NewlyFailed are the addons that failed in this step.
	NewlyFailed []string
	// Next is when a deadline falls (zero: none); Step must run again
	// then, or when an Application changes.
	Next time.Time
	// Done is true when every addon is healthy, failed or blocked.
	Done bool
}

// NewMachine starts the machine at now. on are the addons already
// switched on (a resumed run): their timeouts count from now.
func NewMachine(r Rules, on map[string]bool, now time.Time) *Machine {
	m := &Machine{rules: r, on: map[string]bool{}, addon: map[string]*tracker{}}
	for _, n := range r.Graph.Nodes() {
		m.addon[n] = &tracker{}
		if on[n] {
			m.on[n] = true
			m.addon[n].started = now
		}
	}
	return m
}

// On returns the addons switched on so far.
func (m *Machine) On() map[string]bool {
	out := make(map[string]bool, len(m.on))
	for n := range m.on {
		out[n] = true
	}
	return out
}

// Step decides at time now from the Applications seen (by addon; absent
// when the addon has none).
func (m *Machine) Step(now time.Time, apps map[string]*argocd.Application) Decision {
	var d Decision
	g := m.rules.Graph
	for n, t := range m.addon {
		t.app = apps[n]
	}
	for {
		healthy, failed := map[string]bool{}, map[string]bool{}
		for n, t := range m.addon {
			switch {
			case t.state == report.AddonFailed:
				failed[n] = true
			case t.app != nil && t.app.Healthy():
				healthy[n] = true
			}
		}
		ready := g.Ready(healthy)
		if m.rules.Parallel {
			ready = g.Nodes()
		}
		for _, n := range ready {
			if !m.on[n] && !failed[n] {
				m.on[n] = true
				m.addon[n].started = now
				d.SwitchOn = append(d.SwitchOn, n)
			}
		}
		blockedBy := g.BlockedBy(failed)
		waiting := g.Waiting(healthy)
		d.Next, d.Done = time.Time{}, true
		newFailure := false
		for _, n := range g.Nodes() {
			t := m.addon[n]
			st, msg, deps := m.classify(n, t, blockedBy[n], waiting[n], now)
			if st == report.AddonFailed && t.state != report.AddonFailed {
				newFailure = true
				d.NewlyFailed = append(d.NewlyFailed, n)
			}
			if st == report.AddonDegraded {
				d.Next = earliest(d.Next, t.degradedSince.Add(m.rules.Grace))
			}
			if m.on[n] && st != report.AddonHealthy && st != report.AddonFailed {
				d.Next = earliest(d.Next, t.started.Add(m.rules.Timeout(n)))
			}
			if st != t.state || msg != t.msg || !slices.Equal(deps, t.waitingOn) {
				if st != t.state {
					t.since = now
				}
				t.state, t.msg, t.waitingOn = st, msg, deps
				d.Reports = append(d.Reports, m.status(n))
			}
			if st != report.AddonHealthy && st != report.AddonFailed && st != report.AddonBlocked {
				d.Done = false
			}
		}
		if !newFailure {
			return d
		}
		// Its dependants are blocked now: classify again at once.
	}
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

func (m *Machine) status(n string) report.AddonStatus {
	t := m.addon[n]
	s := report.AddonStatus{Name: n, State: t.state, Message: t.msg, WaitingOn: t.waitingOn, Since: t.since, Started: t.started}
	if t.app != nil {
		s.Sync, s.Health = t.app.Sync, t.app.Health
	}
	return s
}

// classify decides one addon's state at time now.
func (m *Machine) classify(n string, t *tracker, blockedBy, waitingOn []string, now time.Time) (report.AddonState, string, []string) {
	if t.state == report.AddonFailed {
		return t.state, t.msg, nil // failure is final for this run
	}
	if len(blockedBy) > 0 {
		return report.AddonBlocked, "blocked by " + strings.Join(blockedBy, ", "), blockedBy
	}
	if !m.on[n] {
		return report.AddonWaiting, "waiting on " + strings.Join(waitingOn, ", "), waitingOn
	}
	timeout := m.rules.Timeout(n)
	over := now.Sub(t.started) >= timeout
	app := t.app
	if app == nil {
		if over {
			return report.AddonFailed, fmt.Sprintf("no Application %s after %v: is the ApplicationSet generating it? (last condition: none)", n, timeout), nil
		}
		return report.AddonStarting, "switched on, waiting for its Application", nil
	}
	v := app.Verdict()
	switch v.State {
	case report.AddonHealthy:
		t.degradedSince = time.Time{}
		return v.State, "", nil
	case report.AddonFailed:
		return v.State, v.Message + " (last condition: " + app.Summary() + ")", nil
	case report.AddonDegraded:
		if t.degradedSince.IsZero() {
			t.degradedSince = now
		}
		if now.Sub(t.degradedSince) >= m.rules.Grace {
			return report.AddonFailed, fmt.Sprintf("Degraded for %v (last condition: %s)", m.rules.Grace, app.Summary()), nil
		}
		if over {
			return report.AddonFailed, fmt.Sprintf("not healthy after %v (last condition: %s)", timeout, app.Summary()), nil
		}
		return v.State, v.Message, nil
	}
	t.degradedSince = time.Time{}
	if over {
		return report.AddonFailed, fmt.Sprintf("not healthy after %v (last condition: %s)", timeout, app.Summary()), nil
	}
	return v.State, v.Message, nil
}

// Explain adds detail to a failed addon's message (what the caller found
// out about it) and returns its status to report.
func (m *Machine) Explain(addon, detail string) report.AddonStatus {
	t := m.addon[addon]
	if detail != "" {
		t.msg += "; " + detail
	}
	return m.status(addon)
}

// Result is nil when every addon is healthy, else the failures.
func (m *Machine) Result(namespace, cluster string) error {
	f := &Failed{Failed: map[string]string{}, Blocked: map[string][]string{}, Namespace: namespace, Cluster: cluster}
	for n, t := range m.addon {
		switch t.state {
		case report.AddonFailed:
			f.Failed[n] = t.msg
		case report.AddonBlocked:
			f.Blocked[n] = t.waitingOn
		}
	}
	if len(f.Failed) == 0 {
		return nil
	}
	return f
}

// Pending lists the addons not healthy yet, with their state.
func (m *Machine) Pending() []string {
	var out []string
	for n, t := range m.addon {
		if t.state != report.AddonHealthy {
			out = append(out, fmt.Sprintf("%s (%s)", n, t.state))
		}
	}
	sort.Strings(out)
	return out
}
