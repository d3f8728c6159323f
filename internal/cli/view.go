package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	tea "charm.land/bubbletea/v2"
	"github.com/fleetup/fleetup/internal/report"
	"github.com/fleetup/fleetup/internal/tui"
	"golang.org/x/term"
)

// useView: the terminal view when stdout is a terminal; JSON logs,
// non-terminals and tests (override set) get one line per state change.
func useView(g *Global, override func() bool) bool {
	if g.LogFormat == "json" || override != nil {
		return false
	}
	f, ok := g.Stdout.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// withView runs a pipeline under the bubbletea view. Ctrl-C in the view
// cancels the pipeline, which then says how to resume.
func withView(ctx context.Context, g *Global, model func(cancel func()) *tui.Model, run func(context.Context, report.Reporter) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	m := model(func() { cancel(errors.New("interrupted by ctrl+c")) })
	prog := tea.NewProgram(m, tea.WithOutput(g.Stdout), tea.WithInput(g.Stdin))
	done := make(chan error, 1)
	go func() {
		err := run(ctx, tui.Reporter{Send: prog.Send})
		done <- err
		prog.Send(tui.DoneMsg{Err: err})
	}()
	if _, err := prog.Run(); err != nil {
		cancel(fmt.Errorf("terminal view: %w", err))
	}
	return <-done
}
