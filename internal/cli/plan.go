package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/plan"
)

// Plan is `fleetup plan`.
type Plan struct {
	Global *Global
	OutDir string
}

// Load reads config and catalog and builds the plan; shared with install.
func Load(ctx context.Context, g *Global) (*plan.Plan, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg, err := config.Load(g.ConfigFile)
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
	return plan.Build(cfg, cat, &g.Redactor)
}

// Run prints the plan.
func (p *Plan) Run(ctx context.Context) error {
	g := p.Global
	pl, err := Load(ctx, g)
	if err != nil {
		return err
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
