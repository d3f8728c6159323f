package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"

	"github.com/fleetup/fleetup/internal/decode"
	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/internal/gitrepo"
)

// ExitChanges is `fleet diff --exit-code`'s answer when clusters change:
// git diff --exit-code says 1, but 1 is fleetup's failure and 2 its usage
// error, so a change is 3, as terraform plan -detailed-exitcode and helm
// diff --detailed-exitcode keep it apart from errors.
const ExitChanges = 3

// FleetDiff is `fleetup fleet diff [BASE [HEAD]]`: the blast radius of a
// fleet change, offline, from Git.
type FleetDiff struct {
	Fleet
	// Revisions: none (HEAD against the working tree), BASE (against the
	// working tree) or BASE and HEAD.
	Revisions []string
	// ExitCode makes a change exit ExitChanges.
	ExitCode bool
}

// diffSide is one side as loaded.
type diffSide struct {
	side  fleet.DiffSide
	fleet *fleet.Fleet
}

// Run loads both sides, compares them and prints the diff.
func (d *FleetDiff) Run(ctx context.Context) error {
	g := d.Global
	if len(d.Revisions) > 2 {
		return Usage(fmt.Errorf("fleet diff takes at most two revisions, BASE and HEAD; got %d", len(d.Revisions)))
	}
	abs, opts, err := d.locate(true)
	if err != nil {
		return err
	}
	repo, err := gitrepo.Open(abs)
	if errors.Is(err, gitrepo.ErrNotRepository) {
		return Usage(fmt.Errorf("fleet diff reads the fleet's history from Git: %w", err))
	}
	if err != nil {
		return err
	}
	// The loader's root is the fleet directory's parent, as for validate
	// and render, so files are named alike ("fleet/profiles/x.yaml").
	root, err := repo.Rel(filepath.Dir(abs))
	if err != nil {
		return Usage(err)
	}
	name := filepath.Base(abs)
	baseRev := "HEAD"
	if len(d.Revisions) > 0 {
		baseRev = d.Revisions[0]
	}
	// The head first: the base, which mostly agrees with it, then parses
	// only what differs (a shared cache).
	cache := fleet.NewLoadCache()
	var head *diffSide
	if len(d.Revisions) == 2 {
		head, err = d.revision(ctx, repo, d.Revisions[1], root, name, cache)
	} else {
		opts.Cache = cache
		head, err = d.workingTree(ctx, abs, opts)
	}
	if err != nil {
		return err
	}
	base, err := d.revision(ctx, repo, baseRev, root, name, cache)
	if err != nil {
		return err
	}
	diff := fleet.Compare(base.fleet, head.fleet)
	diff.Fleet = name
	diff.Base, diff.Head = base.side, head.side
	out := &redactingWriter{w: g.Stdout, g: g}
	if g.Output == "json" {
		err = fleet.WriteDiffJSON(out, diff)
	} else {
		err = fleet.WriteDiffText(out, diff)
	}
	if err != nil {
		return err
	}
	if d.ExitCode && diff.Changed {
		return &ExitError{Code: ExitChanges}
	}
	return nil
}

// revision loads the fleet of a commit. Addon names are not checked: the
// catalog on disk need not be that revision's.
func (d *FleetDiff) revision(ctx context.Context, repo *gitrepo.Repo, rev, root, name string, cache *fleet.LoadCache) (*diffSide, error) {
	snap, err := repo.Resolve(ctx, rev)
	if errors.Is(err, gitrepo.ErrUnknownRevision) {
		return nil, Usage(err)
	}
	if err != nil {
		return nil, err
	}
	if snap.Unborn {
		d.note("HEAD has no commits yet: every cluster is added")
	}
	fsys, err := fs.Sub(snap.FS, root)
	if err != nil {
		return nil, fmt.Errorf("revision %s: %w", rev, err)
	}
	side := fleet.DiffSide{Revision: rev, Commit: snap.Commit}
	if st, err := fs.Stat(fsys, name); err == nil && st.IsDir() {
		side.FleetExists = true
	}
	f, err := fleet.Load(ctx, fsys, name, fleet.Options{Cache: cache})
	if err != nil {
		return nil, d.invalid(side, name, err)
	}
	return &diffSide{side: side, fleet: f}, nil
}

// workingTree loads the fleet on disk, as validate does.
func (d *FleetDiff) workingTree(ctx context.Context, abs string, opts fleet.Options) (*diffSide, error) {
	side := fleet.DiffSide{WorkingTree: true, FleetExists: true}
	f, err := fleet.Load(ctx, fleet.DirFS(filepath.Dir(abs)), filepath.Base(abs), opts)
	if err != nil {
		return nil, d.invalid(side, filepath.Base(abs), err)
	}
	return &diffSide{side: side, fleet: f}, nil
}

// invalid reports a side's load error: its problems, positioned in that
// side's files, with the side named (exit 2); other errors as they are.
func (d *FleetDiff) invalid(side fleet.DiffSide, name string, err error) error {
	var es decode.Errors
	if !errors.As(err, &es) {
		return fmt.Errorf("load the fleet at %s: %w", side.Label(), err)
	}
	if d.Global.Output == "json" {
		out := struct {
			Fleet  string            `json:"fleet"`
			Side   fleet.DiffSide    `json:"invalid"`
			Errors []fleet.ErrorJSON `json:"errors"`
		}{Fleet: name, Side: side, Errors: fleet.ErrorsJSON(es)}
		if err := writeFleetJSON(&redactingWriter{w: d.Global.Stdout, g: d.Global}, out); err != nil {
			return err
		}
		return &ExitError{Code: ExitUsage}
	}
	where := "in the working tree"
	if !side.WorkingTree {
		where = "at " + side.Label()
	}
	return fmt.Errorf("%s is invalid %s:\n%w", path.Clean(name)+"/", where, es)
}
