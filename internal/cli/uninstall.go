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
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/kind"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	"github.com/fleetup/fleetup/internal/report"
	"github.com/fleetup/fleetup/internal/tui"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Uninstall is `fleetup uninstall`.
type Uninstall struct {
	Global           *Global
	Timeout          time.Duration
	FinalizerTimeout time.Duration
	KeepPVCs         bool
	PurgeCRDs        bool
	Force            bool
	// DeleteSecrets deletes the AWS Secrets Manager secrets, with the
	// recovery window (RecoveryWindowDays, AWS's 30 when 0) unless
	// ForceDeleteWithoutRecovery.
	DeleteSecrets              bool
	RecoveryWindowDays         int
	ForceDeleteWithoutRecovery bool
	// IsTerminal reports whether stdin is a terminal (tests replace it).
	IsTerminal func() bool
}

// Run removes the platform.
func (u *Uninstall) Run(ctx context.Context) error {
	g := u.Global
	if u.Force && !u.PurgeCRDs {
		return Usage(errors.New("--force removes finalizers of custom resources and needs --purge-crds"))
	}
	if u.ForceDeleteWithoutRecovery && !u.DeleteSecrets {
		return Usage(errors.New("--force-delete-without-recovery needs --delete-secrets"))
	}
	if w := u.RecoveryWindowDays; w != 0 && (w < 7 || w > 30) {
		return Usage(fmt.Errorf("--recovery-window-days %d: expected 7 to 30", w))
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
	conn, err := g.Connect(ctx, pl.Config, false)
	if err != nil {
		return err
	}
	out := &redactingWriter{w: g.Stdout, g: g}
	if conn.Kube == nil {
		fmt.Fprintf(out, "%v (kind cluster %s does not exist)\n", bootstrap.ErrNothingToRemove, pl.Config.ClusterName)
		return u.deleteSecrets(ctx, out, pl, conn)
	}
	kc := conn.Kube
	kindCreated, err := createdKind(ctx, pl, kc)
	if err != nil {
		return err
	}
	un := &bootstrap.Uninstall{
		Plan:     pl,
		Kube:     kc,
		Helm:     helmFor(kc),
		Report:   g.reporter(out),
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
			return u.deleteSecrets(ctx, out, pl, conn)
		case errors.Is(err, bootstrap.ErrUninstallNotApproved):
			return Usage(err)
		}
		return err
	}
	var res bootstrap.UninstallResult
	if useView(g, u.IsTerminal) {
		err = withView(ctx, g, func(cancel func()) *tui.Model {
			return tui.NewUninstall("fleetup uninstall "+pl.Config.ClusterName, bootstrap.UninstallStepNames(), pl.Graph.Levels, cancel)
		}, func(ctx context.Context, r report.Reporter) error {
			un.Report = g.observed(r)
			var err error
			res, err = un.Execute(ctx)
			return err
		})
	} else {
		res, err = un.Execute(ctx)
	}
	if err == nil && u.DeleteSecrets {
		res.Outside = withoutKeptSecrets(res.Outside)
	}
	printRemoval(out, res)
	if err != nil {
		return err
	}
	if err := u.deleteSecrets(ctx, out, pl, conn); err != nil {
		return err
	}
	if err := u.deleteKind(out, pl, kindCreated); err != nil {
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

// deleteSecrets deletes the AWS Secrets Manager secrets with
// --delete-secrets.
func (u *Uninstall) deleteSecrets(ctx context.Context, out *redactingWriter, pl *plan.Plan, conn *Conn) error {
	if !u.DeleteSecrets || pl.Config.Secrets.Backend != config.BackendAWS {
		return nil
	}
	for _, s := range pl.Secrets.Items {
		if err := conn.AWS.DeleteSecret(ctx, s.Name, u.RecoveryWindowDays, u.ForceDeleteWithoutRecovery); err != nil {
			return err
		}
		switch {
		case u.ForceDeleteWithoutRecovery:
			fmt.Fprintf(out, "AWS Secrets Manager secret %s deleted without recovery\n", s.Name)
		default:
			days := u.RecoveryWindowDays
			if days == 0 {
				days = 30
			}
			fmt.Fprintf(out, "AWS Secrets Manager secret %s scheduled for deletion in %d days (restorable until then; install restores it)\n", s.Name, days)
		}
	}
	return nil
}

// deleteKind removes the kind cluster of target kind when fleetup created it.
func (u *Uninstall) deleteKind(out *redactingWriter, pl *plan.Plan, created bool) error {
	if pl.Config.Target != config.TargetKind {
		return nil
	}
	if !created {
		fmt.Fprintf(out, "kind cluster %s was not created by fleetup: left in place\n", pl.Config.ClusterName)
		return nil
	}
	if _, err := kind.Delete(pl.Config.ClusterName); err != nil {
		return err
	}
	fmt.Fprintf(out, "kind cluster %s deleted\n", pl.Config.ClusterName)
	return nil
}

// createdKind reports whether the target is a kind cluster fleetup
// created: its nodes carry kind.CreatedLabel.
func createdKind(ctx context.Context, pl *plan.Plan, kc *kube.Client) (bool, error) {
	if pl.Config.Target != config.TargetKind {
		return false, nil
	}
	nodes, err := kc.Typed.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: kind.CreatedLabel + "=true", Limit: 1})
	if err != nil {
		return false, fmt.Errorf("kind cluster %s: list nodes: %w", pl.Config.ClusterName, err)
	}
	return len(nodes.Items) > 0, nil
}

// withoutKeptSecrets drops the "secret kept" lines once they are deleted.
func withoutKeptSecrets(outside []string) []string {
	var keep []string
	for _, o := range outside {
		if !strings.HasPrefix(o, "AWS Secrets Manager secret ") {
			keep = append(keep, o)
		}
	}
	return keep
}
