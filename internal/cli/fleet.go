package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/decode"
	"github.com/fleetup/fleetup/internal/fleet"
)

// FleetDir is the fleet directory's name next to config.yaml.
const FleetDir = "fleet"

// Fleet is what the fleet commands share: where the fleet is.
type Fleet struct {
	Global *Global
	// Dir is --fleet-dir; empty: fleet/ next to config.yaml.
	Dir string
}

// FleetValidate is `fleetup fleet validate`.
type FleetValidate struct{ Fleet }

// FleetRender is `fleetup fleet render [CLUSTER...]`.
type FleetRender struct {
	Fleet
	Clusters []string
}

// load reads the fleet. Bundles are checked against the catalog of
// config.yaml when it loads; the fleet itself needs no valid config.
func (fl *Fleet) load(ctx context.Context) (*fleet.Fleet, string, error) {
	abs, opts, err := fl.locate(true)
	if err != nil {
		return nil, "", err
	}
	f, err := fleet.Load(ctx, os.DirFS(filepath.Dir(abs)), filepath.Base(abs), opts)
	return f, filepath.Base(abs), err
}

// locate finds the fleet directory, absolute, which must exist when
// mustExist is set, and the options to load it with.
func (fl *Fleet) locate(mustExist bool) (string, fleet.Options, error) {
	g := fl.Global
	dir := fl.Dir
	var opts fleet.Options
	cfg, cfgErr := config.Load(g.ConfigFile)
	cfgMissing := errors.Is(cfgErr, fs.ErrNotExist)
	if dir == "" {
		if cfgMissing {
			return "", opts, Usage(fmt.Errorf("no config file at %s: the fleet is %s/ next to it; pass --config or --fleet-dir", g.ConfigFile, FleetDir))
		}
		abs, err := filepath.Abs(g.ConfigFile)
		if err != nil {
			return "", opts, fmt.Errorf("fleet: %w", err)
		}
		dir = filepath.Join(filepath.Dir(abs), FleetDir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", opts, fmt.Errorf("fleet: %w", err)
	}
	if st, err := os.Stat(abs); mustExist && (err != nil || !st.IsDir()) {
		return "", opts, Usage(fmt.Errorf("no fleet directory at %s: pass --fleet-dir, or see docs/fleet.md for the layout", dir))
	}
	switch {
	case cfgErr == nil:
		cat, err := catalog.Load(cfg)
		if err != nil {
			fl.note("addon names are not checked: the catalog does not load: " + fleetFirstLine(err))
			break
		}
		opts.Addons = cat.Names()
	case !cfgMissing:
		fl.note("addon names are not checked: " + g.ConfigFile + " does not load: " + fleetFirstLine(cfgErr))
	}
	return abs, opts, nil
}

func (fl *Fleet) note(msg string) { fmt.Fprintln(fl.Global.Stderr, "note: "+fl.Global.Redact(msg)) }

func fleetFirstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// Run checks every fleet file; exit 2 with every problem found.
func (v *FleetValidate) Run(ctx context.Context) error {
	g := v.Global
	f, dir, err := v.load(ctx)
	var es decode.Errors
	if g.Output == "json" && errors.As(err, &es) {
		s := fleet.Summary{Fleet: dir, Errors: fleet.ErrorsJSON(es)}
		if err := writeFleetJSON(&redactingWriter{w: g.Stdout, g: g}, s); err != nil {
			return err
		}
		return &ExitError{Code: ExitUsage}
	}
	if err != nil {
		return err
	}
	out := &redactingWriter{w: g.Stdout, g: g}
	if g.Output == "json" {
		return writeFleetJSON(out, f.Summarize())
	}
	return f.WriteSummary(out)
}

// Run prints the effective values of the named clusters (all by default)
// with the origin of every value.
func (r *FleetRender) Run(ctx context.Context) error {
	g := r.Global
	f, _, err := r.load(ctx)
	if err != nil {
		return err
	}
	clusters := f.Clusters
	if len(r.Clusters) > 0 {
		clusters = nil
		var unknown []string
		for _, name := range r.Clusters {
			c := f.Cluster(name)
			if c == nil {
				msg := fmt.Sprintf("no cluster %q in %s/clusters/", name, f.Dir)
				if hint := decode.DidYouMean(name, f.Names()); hint != "" {
					msg += "; " + hint
				}
				unknown = append(unknown, msg)
				continue
			}
			clusters = append(clusters, c)
		}
		if len(unknown) > 0 {
			return Usage(errors.New(strings.Join(unknown, "\n")))
		}
	}
	out := &redactingWriter{w: g.Stdout, g: g}
	if g.Output == "json" {
		return fleet.WriteRenderJSON(out, f, clusters)
	}
	if len(clusters) == 0 {
		fmt.Fprintf(g.Stderr, "no clusters in %s/clusters/\n", f.Dir)
		return nil
	}
	return fleet.WriteRenderText(out, clusters)
}

func writeFleetJSON(w *redactingWriter, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}
