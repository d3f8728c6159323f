package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/fleetup/fleetup/internal/bootstrap"
	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/plan"
)

// Plan is `fleetup plan`.
type Plan struct {
	Global *Global
	OutDir string
	// Live asks AWS to complete the plan (--live); plan is offline otherwise.
	Live bool
}

// Load reads config and catalog and builds the plan; shared with install.
func Load(ctx context.Context, g *Global) (*plan.Plan, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return LoadWith(ctx, g)
}

// LoadWith is Load with more config overrides (install's --strategy), so
// that the plan is built once from the final config and never changed.
func LoadWith(ctx context.Context, g *Global, extra ...config.Override) (*plan.Plan, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var overrides []config.Override
	if g.Target != "" {
		overrides = append(overrides, config.WithTarget(config.Target(g.Target)))
	}
	overrides = append(overrides, extra...)
	cfg, err := config.Load(g.ConfigFile, overrides...)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Usage(fmt.Errorf("no config file at %s: pass --config, or copy the example config.yaml from the fleetup repository", g.ConfigFile))
	}
	if err != nil {
		return nil, err
	}
	cat, err := catalog.Load(cfg)
	if err != nil {
		return nil, err
	}
	return plan.Build(cfg, cat, &g.Redactor, bootstrap.DescribeInstall)
}

// Run prints the plan.
func (p *Plan) Run(ctx context.Context) error {
	g := p.Global
	pl, err := Load(ctx, g)
	if err != nil {
		return err
	}
	if p.Live {
		if pl, err = askAWS(ctx, g, pl); err != nil {
			return err
		}
	}
	out := &redactingWriter{w: g.Stdout, g: g}
	if g.Output == "json" {
		if err := pl.WriteJSON(out); err != nil {
			return err
		}
	} else if err := pl.WriteText(out); err != nil {
		return err
	}
	if p.OutDir != "" {
		files, err := pl.WriteFiles(p.OutDir)
		if err != nil {
			return err
		}
		fmt.Fprintf(g.Stderr, "wrote %d files to %s\n", len(files), p.OutDir)
	}
	return nil
}

// askAWS returns the plan as AWS completes it, when the config uses AWS.
func askAWS(ctx context.Context, g *Global, pl *plan.Plan) (*plan.Plan, error) {
	if !NeedsAWS(pl.Config) {
		fmt.Fprintln(g.Stderr, "--live: this config uses no AWS (target "+string(pl.Config.Target)+", backend "+string(pl.Config.Secrets.Backend)+"); nothing to ask")
		return pl, nil
	}
	a, err := g.AWS(ctx, pl.Config)
	if err != nil {
		return nil, err
	}
	want, err := plan.AWSSecrets(pl.Config, &g.Redactor)
	if err != nil {
		return nil, err
	}
	live, problems := plan.AskAWS(ctx, pl, a, want)
	if len(problems) > 0 {
		return nil, fmt.Errorf("plan --live:\n  - %s", strings.Join(problems, "\n  - "))
	}
	return pl.WithLive(live), nil
}
