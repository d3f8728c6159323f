package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fleetup/fleetup/internal/bootstrap"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/handoff"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/helm"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/report"
	"github.com/fleetup/fleetup/internal/tui"
	"golang.org/x/term"
)

// Install is `fleetup install`.
type Install struct {
	Global   *Global
	Timeout  time.Duration
	Strategy string
	// WriteKubeconfig is where to write a kubeconfig for the target
	// cluster (--write-kubeconfig); none is written otherwise.
	WriteKubeconfig string
	// Adopt takes over a platform installed without fleetup (CNOE's
	// install.sh): its Helm releases, namespaces and objects, in place,
	// after listing them in the approval (--adopt).
	Adopt bool
	// IsTerminal reports whether stdin is a terminal (tests replace it).
	IsTerminal func() bool
}

// Run installs the platform.
func (in *Install) Run(ctx context.Context) error {
	g := in.Global
	if in.Strategy != "" && in.Strategy != string(config.StrategyGated) && in.Strategy != string(config.StrategyParallel) {
		return Usage(fmt.Errorf("--strategy %q: expected gated or parallel", in.Strategy))
	}
	if !g.Yes && !in.terminal() {
		return Usage(errors.New("no terminal to ask for approval: pass --yes to install without asking (nothing was changed)"))
	}
	var overrides []config.Override
	if in.Strategy != "" {
		overrides = append(overrides, config.WithStrategy(config.Strategy(in.Strategy)))
	}
	pl, err := LoadWith(ctx, g, overrides...)
	if err != nil {
		return err
	}
	ctx, cancel := deadline(ctx, "install", pl.Config.Timeouts.Install.D(), in.Timeout)
	defer cancel()

	conn, err := g.Connect(ctx, pl.Config, true)
	if err != nil {
		return err
	}
	kc := conn.Kube
	out := &redactingWriter{w: g.Stdout, g: g}
	if conn.KindCreated {
		fmt.Fprintf(out, "kind cluster %s created (node image %s)\n", pl.Config.ClusterName, kindImage(pl.Config))
	}
	if in.WriteKubeconfig != "" {
		if err := writeKubeconfig(in.WriteKubeconfig, pl.Config, conn, g.Profile); err != nil {
			return err
		}
		fmt.Fprintf(out, "kubeconfig written to %s (mode 0600)\n", in.WriteKubeconfig)
	}
	inst := &bootstrap.Install{
		Plan:     pl,
		Kube:     kc,
		AWS:      conn.AWS,
		Helm:     helmFor(kc),
		Report:   g.reporter(out),
		Redactor: &g.Redactor,
		Adopt:    in.Adopt,
	}
	if !g.Yes {
		inst.Approve = in.ask
	}
	if err := inst.Prepare(ctx); err != nil {
		if errors.Is(err, bootstrap.ErrNotApproved) {
			return Usage(err)
		}
		return err
	}
	var res bootstrap.Result
	if in.useView() {
		res, err = in.executeWithView(ctx, inst, pl.Config.ClusterName, pl.Graph.Levels)
	} else {
		res, err = inst.Execute(ctx)
	}
	if err != nil {
		return err
	}
	if !res.Changed {
		fmt.Fprintln(out, "nothing changed: the platform was already installed and healthy")
	} else {
		fmt.Fprintln(out, "platform installed; Argo CD now manages it from Git")
	}
	for _, l := range handoff.Summary(pl) {
		fmt.Fprintln(out, l)
	}
	return nil
}

func (in *Install) useView() bool { return useView(in.Global, in.IsTerminal) }

// executeWithView runs the install's changing steps under the terminal view.
func (in *Install) executeWithView(ctx context.Context, inst *bootstrap.Install, cluster string, levels [][]string) (bootstrap.Result, error) {
	var res bootstrap.Result
	err := withView(ctx, in.Global, func(cancel func()) *tui.Model {
		return tui.New("fleetup install "+cluster, in.stepNames(), levels, cancel)
	}, func(ctx context.Context, r report.Reporter) error {
		// Preflight ran before the view started: show it done.
		name, summary := inst.Preflight()
		r.Step(name, report.StepDone, summary)
		inst.Report = in.Global.observed(r)
		var err error
		res, err = inst.Execute(ctx)
		return err
	})
	return res, err
}

// stepNames are the steps the view shows: with --adopt, adopt runs after
// preflight.
func (in *Install) stepNames() []string {
	names := bootstrap.StepNames()
	if !in.Adopt || len(names) == 0 {
		return names
	}
	return append([]string{names[0], "adopt"}, names[1:]...)
}

func (in *Install) terminal() bool { return stdinTerminal(in.Global, in.IsTerminal) }

func (in *Install) ask(summary string) (bool, error) { return ask(in.Global, summary) }

// stdinTerminal reports whether there is a terminal to ask on; override
// replaces the check in tests.
func stdinTerminal(g *Global, override func() bool) bool {
	if override != nil {
		return override()
	}
	f, ok := g.Stdin.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// ask shows the summary and reads a yes or no from stdin.
func ask(g *Global, summary string) (bool, error) {
	fmt.Fprint(g.Stderr, g.Redact(summary))
	fmt.Fprint(g.Stderr, "Proceed? [y/N] ")
	line, err := bufio.NewReader(g.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return false, Usage(fmt.Errorf("no answer to the approval prompt: %w", err))
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// deadline bounds a command by --timeout, or by its timeouts entry.
func deadline(ctx context.Context, command string, configured, flag time.Duration) (context.Context, context.CancelFunc) {
	d := configured
	if flag > 0 {
		d = flag
	}
	return context.WithTimeoutCause(ctx, d, fmt.Errorf("%s timed out after %v (timeouts.%s or --timeout)", command, d, command))
}

// helmFor is the Helm SDK client for the cluster, caching charts in the
// user's cache directory.
func helmFor(kc *kube.Client) *helm.Releaser {
	return &helm.Releaser{Config: kc.Config, CacheDir: helmCacheDir()}
}

// helmCacheDir is where charts and repository indexes are cached.
func helmCacheDir() string {
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	return filepath.Join(cache, "fleetup", "helm")
}
