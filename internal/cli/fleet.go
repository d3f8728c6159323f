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
	"github.com/fleetup/fleetup/internal/fleet/chart"
)

// FleetDir is the fleet directory's name next to config.yaml.
const FleetDir = "fleet"

// Fleet is what the fleet commands share: where the fleet is.
type Fleet struct {
	Global *Global
	// Dir is --fleet-dir; empty: fleet/ next to config.yaml.
	Dir string
	// root is the repository the fleet was loaded from (the fleet
	// directory's parent), where fleet.yaml's chart is found; opts the
	// options it was loaded with.
	root string
	opts fleet.Options
}

// FleetValidate is `fleetup fleet validate`.
type FleetValidate struct{ Fleet }

// FleetRender is `fleetup fleet render [CLUSTER...]`.
type FleetRender struct {
	Fleet
	Clusters []string
	// ValuesOnly and ManifestsOnly narrow what is printed (--values-only,
	// --manifests-only); by default both.
	ValuesOnly, ManifestsOnly bool
}

// load reads the fleet. Bundles are checked against the catalog of
// config.yaml when it loads; the fleet itself needs no valid config.
func (fl *Fleet) load(ctx context.Context) (*fleet.Fleet, string, error) {
	f, dir, _, err := fl.loadWithConfig(ctx)
	return f, dir, err
}

// loadWithConfig is load, also returning config.yaml when it loads (nil
// otherwise).
func (fl *Fleet) loadWithConfig(ctx context.Context) (*fleet.Fleet, string, *config.Config, error) {
	abs, opts, cfg, err := fl.locateConfig(true)
	if err != nil {
		return nil, "", nil, err
	}
	f, err := fleet.Load(ctx, fleet.DirFS(filepath.Dir(abs)), filepath.Base(abs), opts)
	fl.root, fl.opts = filepath.Dir(abs), opts
	return f, filepath.Base(abs), cfg, err
}

// locate finds the fleet directory, absolute, which must exist when
// mustExist is set, and the options to load it with.
func (fl *Fleet) locate(mustExist bool) (string, fleet.Options, error) {
	abs, opts, _, err := fl.locateConfig(mustExist)
	return abs, opts, err
}

// locateConfig is locate, also returning config.yaml when it loads (nil
// otherwise).
func (fl *Fleet) locateConfig(mustExist bool) (string, fleet.Options, *config.Config, error) {
	g := fl.Global
	dir := fl.Dir
	var opts fleet.Options
	cfg, cfgErr := config.Load(g.ConfigFile)
	cfgMissing := errors.Is(cfgErr, fs.ErrNotExist)
	if dir == "" {
		if cfgMissing {
			return "", opts, nil, Usage(fmt.Errorf("no config file at %s: the fleet is %s/ next to it; pass --config or --fleet-dir", g.ConfigFile, FleetDir))
		}
		abs, err := filepath.Abs(g.ConfigFile)
		if err != nil {
			return "", opts, nil, fmt.Errorf("fleet: %w", err)
		}
		dir = filepath.Join(filepath.Dir(abs), FleetDir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", opts, nil, fmt.Errorf("fleet: %w", err)
	}
	if st, err := os.Stat(abs); mustExist && (err != nil || !st.IsDir()) {
		return "", opts, nil, Usage(fmt.Errorf("no fleet directory at %s: pass --fleet-dir, or see docs/fleet.md for the layout", dir))
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
	if cfgErr != nil {
		cfg = nil
	}
	return abs, opts, cfg, nil
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
	refused := refusedSinceHEAD(ctx, filepath.Join(v.root, dir), f)
	if len(refused) > 0 {
		if g.Output == "json" {
			s := fleet.Summary{Fleet: dir, Errors: fleet.ErrorsJSON(refused)}
			if err := writeFleetJSON(&redactingWriter{w: g.Stdout, g: g}, s); err != nil {
				return err
			}
			return &ExitError{Code: ExitUsage}
		}
		return Usage(refused)
	}
	out := &redactingWriter{w: g.Stdout, g: g}
	if g.Output == "json" {
		return writeFleetJSON(out, f.Summarize())
	}
	return f.WriteSummary(out)
}

// Run prints the named clusters (all by default): their effective values
// with the origin of every value, and the manifests the fleet's chart
// renders from them, as Argo CD will.
func (r *FleetRender) Run(ctx context.Context) error {
	g := r.Global
	if r.ValuesOnly && r.ManifestsOnly {
		return Usage(errors.New("--values-only and --manifests-only exclude each other"))
	}
	show := chart.ShowAll
	switch {
	case r.ValuesOnly:
		show = chart.ShowValues
	case r.ManifestsOnly:
		show = chart.ShowManifests
	}
	f, _, cfg, err := r.loadWithConfig(ctx)
	if err != nil {
		return err
	}
	clusters, err := r.selected(f)
	if err != nil {
		return err
	}
	src := chart.Source{Dir: f.Settings.Chart}
	var ch *chart.Chart
	if show != chart.ShowValues {
		ch, err = chart.Load(r.root, f)
		switch {
		case errors.Is(err, chart.ErrMissing):
			if show == chart.ShowManifests {
				return Usage(fmt.Errorf("no manifests to show: %s is not in the repository (fleet.yaml's chart)", f.Settings.Chart))
			}
			src.Missing = true
			r.note(f.Settings.Chart + " is not in the repository: values only, no manifests")
		case err != nil:
			return Usage(fmt.Errorf("fleet chart: %w", err))
		}
	}
	var platform *chart.Platform
	if cfg != nil {
		platform = &chart.Platform{RepoURL: cfg.Repo.URL, Revision: cfg.Repo.Revision, BasePath: cfg.Repo.BasePath}
	} else if ch != nil {
		r.note("the platform repository is unknown without a config.yaml: the cluster secrets' addons_repo_* annotations show the chart's defaults")
	}
	results, err := chart.RenderAll(ctx, ch, clusters, platform)
	if err != nil {
		return err
	}
	view := chart.View{Show: show, Chart: src, Platform: platform}
	out := &redactingWriter{w: g.Stdout, g: g}
	if g.Output == "json" {
		err = chart.WriteJSON(out, f, results, view)
	} else {
		if len(clusters) == 0 {
			fmt.Fprintf(g.Stderr, "no clusters in %s/clusters/\n", f.Dir)
			return nil
		}
		err = chart.WriteText(out, results, view)
	}
	if err != nil {
		return err
	}
	return renderErrors(results)
}

// selected are the clusters named on the command line, all when none is.
func (r *FleetRender) selected(f *fleet.Fleet) ([]*fleet.Cluster, error) {
	if len(r.Clusters) == 0 {
		return f.Clusters, nil
	}
	var clusters []*fleet.Cluster
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
		return nil, Usage(errors.New(strings.Join(unknown, "\n")))
	}
	return clusters, nil
}

// renderErrors is exit 2 when the chart did not render for a cluster: the
// values were printed, the error says which clusters and why.
func renderErrors(results []chart.Result) error {
	var msgs []string
	for _, r := range results {
		if r.Err != nil {
			msgs = append(msgs, r.Err.Error())
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return Usage(fmt.Errorf("the fleet's chart does not render:\n%s", strings.Join(msgs, "\n")))
}

func writeFleetJSON(w *redactingWriter, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}
