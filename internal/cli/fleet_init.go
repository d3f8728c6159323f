package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/internal/fleet/scaffold"
)

// FleetInit is `fleetup fleet init`.
type FleetInit struct {
	Fleet
	Git GitOptions
	// Install hands the fleet to Argo CD afterwards (--install): the
	// wiring, as `fleetup install` makes it, with its plan and approval.
	Install *Install
}

// Run writes the scaffold's files that are missing and commits them, and
// the fleet's chart where fleet.yaml names one the repository does not
// have. It never overwrites a file: one with other content stops it
// before anything is written; on an initialised fleet it changes nothing.
func (fi *FleetInit) Run(ctx context.Context) error {
	abs, opts, err := fi.locate(false)
	if err != nil {
		return err
	}
	if fi.Install != nil {
		// install wires fleet/ next to config.yaml, and nothing else.
		want, _ := filepath.Abs(filepath.Join(filepath.Dir(fi.Global.ConfigFile), FleetDir))
		if abs != want {
			return Usage(fmt.Errorf("--install wires %s, the fleet next to %s; %s is another (nothing was written)", want, fi.Global.ConfigFile, abs))
		}
		if fi.Git.NoCommit {
			return Usage(errors.New("--install hands to Argo CD what is committed; --no-commit leaves the fleet uncommitted: pass one of them (nothing was written)"))
		}
	}
	files, err := scaffold.InitFiles(scaffold.InitOptions{Addons: opts.Addons})
	if err != nil {
		return err
	}
	dir, root := filepath.Base(abs), filepath.Dir(abs)
	p := &initPlan{res: &WriteResult{Command: "fleet init", Fleet: dir, Written: []string{}, Removed: []string{}, Unchanged: []string{}},
		overlay: &scaffold.Overlay{Base: os.DirFS(root), Files: map[string][]byte{}}}
	for _, f := range files {
		if err := p.add(filepath.Join(abs, filepath.FromSlash(f.Path)), path.Join(dir, f.Path), f.Data); err != nil {
			return err
		}
	}
	fleetChanges := len(p.changes)
	g := fi.Global
	chart := ""
	if len(p.differ) == 0 {
		// The fleet as init leaves it names its chart: Argo CD renders it
		// from the repository, so it is written where it is missing.
		f, err := fleet.Load(ctx, p.overlay, dir, opts)
		switch {
		case err != nil && fleetChanges > 0:
			return fmt.Errorf("the fleet would not be valid after init (nothing was written):\n%w", err)
		case err == nil:
			if chart, err = p.addChart(root, f.Settings.Chart); err != nil {
				return err
			}
		}
	}
	switch {
	case len(p.changes) == 0:
		fmt.Fprintf(g.Stderr, "%s/ is already initialised\n", dir)
	case len(p.differ) > 0:
		return Usage(fmt.Errorf("fleet init never overwrites a file, and these exist with other content: %s; move them away to start again from the scaffold (nothing was written)", strings.Join(p.differ, ", ")))
	case chart != "":
		if _, err := fleet.Load(ctx, p.overlay, dir, opts); err != nil {
			return fmt.Errorf("the fleet would not be valid after init with its chart (nothing was written):\n%w", err)
		}
	}
	fw, err := prepareWrite(g, fi.Git, abs, p.disk)
	if err != nil {
		return err
	}
	what := "A profile and one example per inventory layer, to start the fleet from"
	if chart != "" {
		what += fmt.Sprintf(", and the chart %s that renders each cluster", chart)
	}
	msg := fmt.Sprintf("fleet: init %s/ with fleetup fleet init\n\n%s:\n  %s\n", dir, what, strings.Join(p.res.Written, "\n  "))
	if err := fw.apply(ctx, p.res, p.changes, msg); err != nil {
		return err
	}
	if err := p.res.print(g); err != nil {
		return err
	}
	if fi.Install != nil {
		// The wiring is install's gitops step: on a platform already
		// installed it changes nothing else.
		if !fi.Git.Push {
			fmt.Fprintf(g.Stderr, "note: Argo CD reads the fleet from the remote: until this commit is pushed, it sees no cluster\n")
		}
		if err := fi.Install.Run(ctx); err != nil {
			return fmt.Errorf("fleet init: the fleet is committed; handing it to Argo CD failed (fleetup install completes it): %w", err)
		}
		return nil
	}
	if len(p.changes) > 0 && g.Output != "json" {
		fmt.Fprintf(g.Stdout, "next: fleetup cluster create demo --profile standard --environment dev --customer example --site lab --provider in-memory\n")
		fmt.Fprintf(g.Stdout, "then: push, and run fleetup install (again), or fleet init --install, to hand the fleet to Argo CD (an ApplicationSet over %s/clusters/*.yaml)\n", dir)
	}
	return nil
}

// initPlan is what init writes: each file missing, the ones it would
// leave as they are, and those it refuses to overwrite.
type initPlan struct {
	res     *WriteResult
	overlay *scaffold.Overlay
	changes []scaffold.Change
	// differ are files with other content; disk every file init handles.
	differ, disk []string
}

// add plans file (name: its path in the repository) with data.
func (p *initPlan) add(file, name string, data []byte) error {
	old, err := os.ReadFile(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		p.changes = append(p.changes, scaffold.Change{File: file, Data: data})
		p.overlay.Files[name] = data
		p.res.Written = append(p.res.Written, name)
	case err != nil:
		return fmt.Errorf("fleet init: %w", err)
	case bytes.Equal(old, data):
		p.res.Unchanged = append(p.res.Unchanged, name)
	default:
		p.differ = append(p.differ, name)
		return nil // the user's: never committed by init
	}
	p.disk = append(p.disk, file)
	return nil
}

// addChart plans fleetup's fleet chart at chart (relative to root) when
// the repository has no chart there; it returns chart then, else "".
func (p *initPlan) addChart(root, chart string) (string, error) {
	if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(chart), "Chart.yaml")); err == nil {
		return "", nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("fleet init: %w", err)
	}
	files, err := scaffold.ChartFiles(chart)
	if err != nil {
		return "", err
	}
	for _, f := range files {
		if err := p.add(filepath.Join(root, filepath.FromSlash(f.Path)), f.Path, f.Data); err != nil {
			return "", err
		}
	}
	return chart, nil
}
