package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/catalog/outdated"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/fleet/scaffold"
	"github.com/fleetup/fleetup/internal/gitrepo"
	"github.com/fleetup/fleetup/internal/helm"
)

// CatalogOutdated is `fleetup catalog outdated [--update [--major]]`.
type CatalogOutdated struct {
	Global *Global
	// Update rewrites the pins of the addons that are behind; Major moves
	// them to the newest major version rather than the newest minor.
	Update, Major bool
	// Lister reads chart versions; nil: Helm's client with fleetup's cache.
	Lister outdated.Lister
}

// OutdatedResult is the -o json document of catalog outdated.
type OutdatedResult struct {
	File    string            `json:"file"`
	Addons  []outdated.Addon  `json:"addons"`
	Updated []outdated.Change `json:"updated,omitempty"`
	// update is whether --update ran, to say when it changed nothing.
	update bool
}

// Run checks every addon's pin and, with Update, rewrites the pins. Exit 1
// when an addon is behind (without Update), its pin is not offered, or its
// repository could not be read; 2 on a usage or catalog error.
func (c *CatalogOutdated) Run(ctx context.Context) error {
	g := c.Global
	if c.Major && !c.Update {
		return Usage(errors.New("--major goes with --update"))
	}
	cfg, err := config.Load(g.ConfigFile)
	if errors.Is(err, fs.ErrNotExist) {
		return Usage(fmt.Errorf("no config file at %s: pass --config", g.ConfigFile))
	}
	if err != nil {
		return err
	}
	// The catalog as install reads it must load before anything is changed.
	cat, err := catalog.Load(cfg)
	if err != nil {
		return err
	}
	path := filepath.Join(cfg.PackagesDir(), catalog.CatalogFile)
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read catalog: %w", err)
	}
	// The pins as the file writes them, without config.yaml's overrides.
	written, err := catalog.Parse(cat.File, data)
	if err != nil {
		return err
	}
	lister := c.Lister
	if lister == nil {
		lister = outdated.Sources{Charts: &helm.Releaser{CacheDir: helmCacheDir()}, Tags: gitrepo.RemoteTags}
	}
	rep := outdated.Check(ctx, written, configPins(cfg), lister)
	res := OutdatedResult{File: cat.File, Addons: rep.Addons}
	if c.Update {
		res.update = true
		res.Updated = outdated.Updates(rep, c.Major)
		if err := c.rewrite(cfg, path, data, st.Mode().Perm(), res.Updated); err != nil {
			return err
		}
	}
	if err := c.print(res); err != nil {
		return err
	}
	if !c.exitOK(rep) {
		return &ExitError{Code: ExitFailure}
	}
	return nil
}

// exitOK: every pin current; with --update, every repository read and
// every pin offered (what is still behind, a major without --major, is
// what the user chose).
func (c *CatalogOutdated) exitOK(rep outdated.Report) bool {
	if !c.Update {
		return rep.OK()
	}
	for _, a := range rep.Addons {
		if a.Status == outdated.Failed || a.Status == outdated.Missing {
			return false
		}
	}
	return true
}

// rewrite writes the new pins and checks that the catalog still loads as
// install reads it; if not, the old file is put back.
func (c *CatalogOutdated) rewrite(cfg *config.Config, path string, data []byte, mode fs.FileMode, changes []outdated.Change) error {
	if len(changes) == 0 {
		return nil
	}
	out, err := outdated.Rewrite(path, data, outdated.Pins(changes))
	if err != nil {
		return err
	}
	if err := scaffold.WriteAtomic(path, out, mode); err != nil {
		return err
	}
	if _, err := catalog.Load(cfg); err != nil {
		if rerr := scaffold.WriteAtomic(path, data, mode); rerr != nil {
			return fmt.Errorf("the rewritten catalog does not load (%w), and restoring it failed: %v", err, rerr)
		}
		return fmt.Errorf("the rewritten catalog does not load, left unchanged: %w", err)
	}
	return nil
}

// configPins are the versions config.yaml's addons section pins.
func configPins(cfg *config.Config) map[string]string {
	out := map[string]string{}
	for name, o := range cfg.Addons {
		if o.Version != "" {
			out[name] = o.Version
		}
	}
	return out
}

func (c *CatalogOutdated) print(res OutdatedResult) error {
	w := &redactingWriter{w: c.Global.Stdout, g: c.Global}
	if c.Global.Output == "json" {
		return writeFleetJSON(w, res)
	}
	_, err := w.Write([]byte(outdatedTable(res)))
	return err
}

// sourceText is the SOURCE column: the OCI reference, the Helm repository
// and chart, the Git repository and its directory, or the directory.
func sourceText(s catalog.Source) string {
	switch s.Kind {
	case catalog.SourceOCI:
		return strings.TrimSuffix(s.URL, "/") + "/" + s.Chart
	case catalog.SourceHelmRepo:
		return s.URL + " " + s.Chart
	case catalog.SourceGit:
		return strings.TrimSpace(s.URL + " " + s.Path)
	}
	return s.Path
}

// statusText is the STATUS column: the status, and why when it needs
// saying.
func statusText(a outdated.Addon) string {
	s := string(a.Status)
	if a.Note != "" {
		s += ": " + a.Note
	}
	if a.ConfigPin != "" {
		s += fmt.Sprintf(" (config.yaml pins %s)", a.ConfigPin)
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
