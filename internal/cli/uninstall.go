package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/fleetup/fleetup/internal/bootstrap"
	"github.com/fleetup/fleetup/internal/bootstrap/actions"
)

// Uninstall is `fleetup uninstall`.
type Uninstall struct {
	Global           *Global
	Timeout          time.Duration
	FinalizerTimeout time.Duration
	KeepPVCs         bool
	PurgeCRDs        bool
	Force            bool
	// IsTerminal reports whether stdin is a terminal (tests replace it).
	IsTerminal func() bool
}

// Run removes the platform.
func (u *Uninstall) Run(ctx context.Context) error {
	g := u.Global
	if u.Force && !u.PurgeCRDs {
		return Usage(errors.New("--force removes finalizers of custom resources and needs --purge-crds"))
	}
	if !g.Yes && !stdinTerminal(g, u.IsTerminal) {
		return Usage(errors.New("no terminal to ask for approval: pass --yes to uninstall without asking (nothing was changed)"))
	}
	pl, err := Load(ctx, g)
	if err != nil {
		return err
	}
	ctx, cancel := deadline(ctx, "uninstall", pl.Config.Timeouts.Uninstall.D(), u.Timeout)
	defer cancel()
	kc, err := g.Kube()
	if err != nil {
		return err
	}
	out := &redactingWriter{w: g.Stdout, g: g}
	un := &bootstrap.Uninstall{
		Plan:     pl,
		Kube:     kc,
		Helm:     helmFor(kc),
		Report:   &bootstrap.LineReporter{W: out, JSON: g.LogFormat == "json"},
		Redactor: &g.Redactor,
		Options:  actions.RemoveOptions{KeepPVCs: u.KeepPVCs, PurgeCRDs: u.PurgeCRDs, Force: u.Force, FinalizerTimeout: u.FinalizerTimeout},
	}
	if un.Options.FinalizerTimeout <= 0 {
		un.Options.FinalizerTimeout = 2 * time.Minute
	}
	if !g.Yes {
		un.Approve = func(s string) (bool, error) { return ask(g, s) }
	}
	if err := un.Prepare(ctx); err != nil {
		switch {
		case errors.Is(err, bootstrap.ErrNothingToRemove):
			fmt.Fprintf(out, "%v (cluster %s, %s)\n", err, pl.Config.ClusterName, kc.Config.Host)
			return nil
		case errors.Is(err, bootstrap.ErrUninstallNotApproved):
			return Usage(err)
		}
		return err
	}
	res, err := un.Execute(ctx)
	printRemoval(out, res)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "platform uninstalled")
	return nil
}

// printRemoval ends the output with what was removed, what was left alone
// and what remains outside the cluster.
func printRemoval(out *redactingWriter, res bootstrap.UninstallResult) {
	var kinds []string
	for k, n := range res.Removed {
		if n > 0 {
			kinds = append(kinds, fmt.Sprintf("%d %s", n, k))
		}
	}
	sort.Strings(kinds)
	if len(kinds) > 0 {
		fmt.Fprintf(out, "removed: %s\n", strings.Join(kinds, ", "))
	}
	for _, f := range res.ForcedOff {
		fmt.Fprintf(out, "finalizer removed (--force): %s\n", f)
	}
	for _, f := range res.Foreign {
		fmt.Fprintf(out, "left alone: %s\n", f)
	}
	for _, s := range res.Stuck {
		fmt.Fprintf(out, "kept, blocked by finalizers: %s\n", s)
	}
	if len(res.Outside) > 0 {
		fmt.Fprintln(out, "not removed, outside the cluster:")
		for _, o := range res.Outside {
			fmt.Fprintf(out, "  - %s\n", o)
		}
	}
}
