// Package tui is the terminal view of `fleetup install`: the pipeline's
// steps and the addon graph, each addon with its state, what it waits on,
// its last message and elapsed time. It is a bubbletea model driven only by
// messages, so tests render it without a terminal.
package tui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/fleetup/fleetup/internal/report"
)

// StepMsg is a step's state change.
type StepMsg struct {
	Name    string
	State   report.StepState
	Message string
}

// AddonMsg is an addon's state change.
type AddonMsg report.AddonStatus

// DoneMsg ends the view with the install's outcome.
type DoneMsg struct{ Err error }

// TickMsg refreshes elapsed times.
type TickMsg time.Time

// Model is the view of an install or an uninstall.
type Model struct {
	// Command is "install" or "uninstall", for the resume hint.
	Command string
	// Idle is the state shown for an addon nothing was reported of yet:
	// waiting during install, installed during uninstall.
	Idle   report.AddonState
	Title  string
	Steps  []string   // step names in order
	Levels [][]string // addon graph levels
	// Cancel is called on Ctrl-C to stop the install cleanly.
	Cancel func()
	// Now is the clock; tests fix it.
	Now func() time.Time

	steps    map[string]StepMsg
	addons   map[string]report.AddonStatus
	start    time.Time
	stopping bool
	done     bool
	err      error
	width    int
}

// New returns a model for the given steps and addon levels.
func New(title string, steps []string, levels [][]string, cancel func()) *Model {
	return &Model{Command: "install", Idle: report.AddonWaiting, Title: title, Steps: steps, Levels: levels, Cancel: cancel, steps: map[string]StepMsg{}, addons: map[string]report.AddonStatus{}}
}

// NewUninstall returns a model for uninstall: levels are shown in removal
// order, top of the graph first.
func NewUninstall(title string, steps []string, levels [][]string, cancel func()) *Model {
	m := New(title, steps, nil, cancel)
	for i := len(levels) - 1; i >= 0; i-- {
		m.Levels = append(m.Levels, levels[i])
	}
	m.Command, m.Idle = "uninstall", "installed"
	return m
}

func (m *Model) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

func tick() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return TickMsg(t) })
}

// Init implements tea.Model.
func (m *Model) Init() tea.Cmd {
	m.start = m.now()
	return tick()
}

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case StepMsg:
		m.steps[msg.Name] = msg
	case AddonMsg:
		m.addons[msg.Name] = report.AddonStatus(msg)
	case DoneMsg:
		m.done, m.err = true, msg.Err
		return m, tea.Quit
	case TickMsg:
		if m.done {
			return m, nil
		}
		return m, tick()
	case tea.WindowSizeMsg:
		m.width = msg.Width
	case tea.KeyPressMsg:
		if s := msg.String(); s == "ctrl+c" || s == "q" {
			if !m.stopping && m.Cancel != nil {
				m.stopping = true
				m.Cancel()
			}
		}
	}
	return m, nil
}

var (
	green  = lipgloss.NewStyle().Foreground(lipgloss.Color("2"))
	red    = lipgloss.NewStyle().Foreground(lipgloss.Color("1"))
	yellow = lipgloss.NewStyle().Foreground(lipgloss.Color("3"))
	faint  = lipgloss.NewStyle().Faint(true)
	bold   = lipgloss.NewStyle().Bold(true)
)

func stepMark(s report.StepState) string {
	switch s {
	case report.StepDone:
		return green.Render("✓")
	case report.StepSkipped:
		return green.Render("-")
	case report.StepFailed:
		return red.Render("✗")
	case report.StepRunning:
		return yellow.Render("…")
	}
	return faint.Render("·")
}

func addonState(s report.AddonState) string {
	text := fmt.Sprintf("%-11s", s)
	switch s {
	case report.AddonHealthy, report.AddonRemoved:
		return green.Render(text)
	case report.AddonFailed:
		return red.Render(text)
	case report.AddonDegraded, report.AddonBlocked:
		return yellow.Render(text)
	case report.AddonWaiting, "installed":
		return faint.Render(text)
	}
	return text
}

// View implements tea.Model.
func (m *Model) View() tea.View {
	return tea.NewView(m.Render())
}

// Render is the view as text.
func (m *Model) Render() string {
	var b strings.Builder
	now := m.now()
	fmt.Fprintf(&b, "%s  %s\n\n", bold.Render(m.Title), faint.Render(elapsed(m.start, now)))
	for _, name := range m.Steps {
		s, ok := m.steps[name]
		state := report.StepState("")
		if ok {
			state = s.State
		}
		line := fmt.Sprintf(" %s %-17s", stepMark(state), name)
		if s.Message != "" {
			line += " " + faint.Render(truncate(s.Message, m.width-22))
		}
		b.WriteString(line + "\n")
	}
	if len(m.Levels) > 0 {
		b.WriteString("\n")
		for i, level := range m.Levels {
			n := i
			if m.Command == "uninstall" {
				n = len(m.Levels) - 1 - i
			}
			fmt.Fprintf(&b, " level %d\n", n)
			for _, name := range level {
				a, ok := m.addons[name]
				if !ok {
					a = report.AddonStatus{Name: name, State: m.Idle}
				}
				msg := a.Message
				if a.State == report.AddonHealthy || a.State == report.AddonRemoved {
					msg = ""
				}
				t := ""
				if !a.Started.IsZero() {
					end := now
					if a.State == report.AddonHealthy || a.State == report.AddonFailed || a.State == report.AddonRemoved {
						end = a.Since
					}
					t = elapsed(a.Started, end)
				}
				fmt.Fprintf(&b, "   %-26s %s %6s  %s\n", name, addonState(a.State), t, faint.Render(truncate(msg, m.width-50)))
			}
		}
	}
	switch {
	case m.done && m.err == nil:
		b.WriteString("\n" + green.Render("done") + "\n")
	case m.done:
		b.WriteString("\n" + red.Render("failed") + "\n")
	case m.stopping:
		b.WriteString("\n" + yellow.Render("stopping: finishing the current call, then saying how to resume") + "\n")
	default:
		b.WriteString("\n" + faint.Render("ctrl+c stops cleanly; rerun fleetup "+m.Command+" to resume") + "\n")
	}
	return b.String()
}

func elapsed(from, to time.Time) string {
	if from.IsZero() {
		return ""
	}
	d := to.Sub(from).Round(time.Second)
	if d < 0 {
		d = 0
	}
	return d.String()
}

func truncate(s string, w int) string {
	if w <= 10 {
		w = 100
	}
	r := []rune(s)
	if len(r) <= w {
		return s
	}
	return string(r[:w-1]) + "…"
}

// Reporter forwards pipeline events to a running program.
type Reporter struct {
	Send func(tea.Msg)
}

// Step implements report.Reporter.
func (r Reporter) Step(name string, state report.StepState, msg string) {
	r.Send(StepMsg{Name: name, State: state, Message: msg})
}

// Addon implements report.Reporter.
func (r Reporter) Addon(a report.AddonStatus) { r.Send(AddonMsg(a)) }
