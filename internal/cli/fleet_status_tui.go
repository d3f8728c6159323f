package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
)

// statusMsg is an evaluation for the terminal view.
type statusMsg struct {
	rep *FleetStatusReport
	err error
}

// statusDoneMsg ends the view with the watch's outcome.
type statusDoneMsg struct{ err error }

// statusModel is the terminal view of `fleet status --watch`: the table,
// redrawn at every evaluation, under a title with the time elapsed.
type statusModel struct {
	cancel   func()
	start    time.Time
	now      func() time.Time
	rep      *FleetStatusReport
	err      error
	done     bool
	doneErr  error
	stopping bool
}

func (m *statusModel) Init() tea.Cmd { return statusTick() }

func statusTick() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return t })
}

func (m *statusModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case statusMsg:
		// A failed read keeps the last table, with the error under it.
		m.err = msg.err
		if msg.err == nil {
			m.rep = msg.rep
		}
	case statusDoneMsg:
		m.done, m.doneErr = true, msg.err
		return m, tea.Quit
	case time.Time:
		if !m.done {
			return m, statusTick()
		}
	case tea.KeyPressMsg:
		if s := msg.String(); (s == "ctrl+c" || s == "q") && !m.stopping {
			m.stopping = true
			m.cancel()
		}
	}
	return m, nil
}

func (m *statusModel) View() tea.View { return tea.NewView(m.render()) }

// render is the view as text.
func (m *statusModel) render() string {
	var b strings.Builder
	fmt.Fprintf(&b, "fleetup fleet status --watch  %s\n\n", m.now().Sub(m.start).Round(time.Second))
	switch {
	case m.rep != nil:
		_ = writeStatusTable(&b, m.rep)
	default:
		b.WriteString("reading the fleet and the hub…\n")
	}
	if m.err != nil {
		fmt.Fprintf(&b, "\nlast read failed (retried at the next change): %s\n", fleetFirstLine(m.err))
	}
	switch {
	case m.done && m.doneErr == nil:
		b.WriteString("\ndone: every cluster is as Git says\n")
	case m.done:
		b.WriteString("\nstopped: not every cluster is as Git says\n")
	case m.stopping:
		b.WriteString("\nstopping\n")
	default:
		b.WriteString("\nwatching for changes; ctrl+c stops\n")
	}
	return b.String()
}

// watchView runs the watch under the terminal view; ctrl+c in the view
// ends the watch.
func (fs *FleetStatus) watchView(ctx context.Context, cancel context.CancelCauseFunc, run func(context.Context, func(*FleetStatusReport, error) error) error) error {
	g := fs.Global
	now := fs.Now
	if now == nil {
		now = time.Now
	}
	m := &statusModel{cancel: func() { cancel(errInterrupted) }, start: now(), now: now}
	prog := tea.NewProgram(m, tea.WithOutput(&redactingWriter{w: g.Stdout, g: g}), tea.WithInput(g.Stdin))
	done := make(chan error, 1)
	go func() {
		err := run(ctx, func(rep *FleetStatusReport, err error) error {
			prog.Send(statusMsg{rep: rep, err: err})
			return nil
		})
		done <- err
		prog.Send(statusDoneMsg{err: err})
	}()
	if _, err := prog.Run(); err != nil {
		cancel(fmt.Errorf("terminal view: %w", err))
	}
	return <-done
}
