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
}

// Run writes the scaffold's files that are missing and commits them. It
// never overwrites a file: one with other content stops it before
// anything is written; on an initialised fleet it changes nothing.
func (fi *FleetInit) Run(ctx context.Context) error {
	abs, opts, err := fi.locate(false)
	if err != nil {
		return err
	}
	files, err := scaffold.InitFiles(scaffold.InitOptions{Addons: opts.Addons})
	if err != nil {
		return err
	}
	dir := filepath.Base(abs)
	res := &WriteResult{Command: "fleet init", Fleet: dir, Written: []string{}, Removed: []string{}, Unchanged: []string{}}
	overlay := &scaffold.Overlay{Base: os.DirFS(filepath.Dir(abs)), Files: map[string][]byte{}}
	var changes []scaffold.Change
	var differ, disk []string
	for _, f := range files {
		file := filepath.Join(abs, filepath.FromSlash(f.Path))
		name := path.Join(dir, f.Path)
		old, err := os.ReadFile(file)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			changes = append(changes, scaffold.Change{File: file, Data: f.Data})
			overlay.Files[name] = f.Data
			res.Written = append(res.Written, name)
		case err != nil:
			return fmt.Errorf("fleet init: %w", err)
		case bytes.Equal(old, f.Data):
			res.Unchanged = append(res.Unchanged, name)
		default:
			differ = append(differ, name)
			continue // the user's: never committed by init
		}
		disk = append(disk, file)
	}
	g := fi.Global
	switch {
	case len(changes) == 0:
		fmt.Fprintf(g.Stderr, "%s/ is already initialised\n", dir)
	case len(differ) > 0:
		return Usage(fmt.Errorf("fleet init never overwrites a file, and these exist with other content: %s; move them away to start again from the scaffold (nothing was written)", strings.Join(differ, ", ")))
	default:
		if _, err := fleet.Load(ctx, overlay, dir, opts); err != nil {
			return fmt.Errorf("the fleet would not be valid after init (nothing was written):\n%w", err)
		}
	}
	fw, err := prepareWrite(g, fi.Git, abs, disk)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("fleet: init %s/ with fleetup fleet init\n\nA profile and one example per inventory layer, to start the fleet from:\n  %s\n", dir, strings.Join(res.Written, "\n  "))
	if err := fw.apply(ctx, res, changes, msg); err != nil {
		return err
	}
	if err := res.print(g); err != nil {
		return err
	}
	if len(changes) > 0 && g.Output != "json" {
		fmt.Fprintf(g.Stdout, "next: fleetup cluster create demo --profile standard --environment dev --customer example --site lab --provider in-memory\n")
		// The wiring is install's gitops step: one rerun on a platform
		// already installed changes nothing else.
		fmt.Fprintf(g.Stdout, "then: push, and run fleetup install (again) to hand the fleet to Argo CD (an ApplicationSet over %s/clusters/*.yaml)\n", dir)
	}
	return nil
}
