package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/internal/fleet/scaffold"
	"github.com/fleetup/fleetup/internal/gitrepo"
)

// errNoFleetAt is fleetAt's answer when the commit has no fleet directory.
var errNoFleetAt = errors.New("no fleet at this commit")

// fleetAt loads the fleet directory abs (of repo's working tree) as the
// commit snap has it, named as on disk ("fleet/profiles/x.yaml").
func fleetAt(ctx context.Context, repo *gitrepo.Repo, snap *gitrepo.Snapshot, abs string, opts fleet.Options) (*fleet.Fleet, error) {
	root, err := repo.Rel(filepath.Dir(abs))
	if err != nil {
		return nil, err
	}
	sub, err := fs.Sub(snap.FS, root)
	if err != nil {
		return nil, fmt.Errorf("commit %.8s: %w", snap.Commit, err)
	}
	name := filepath.Base(abs)
	if st, err := fs.Stat(sub, name); err != nil || !st.IsDir() {
		return nil, errNoFleetAt
	}
	return fleet.Load(ctx, sub, name, opts)
}

// atPins is each pinned cluster of f as Argo CD renders it: the chart,
// profile and layer files at its pin, its own file as the work tree has
// it (the fleet's ApplicationSet reads cluster files from the branch).
// A pin that cannot be read (not in the clone: pull first) or whose fleet
// does not load leaves the cluster as the work tree has it.
func atPins(ctx context.Context, abs string, opts fleet.Options, f *fleet.Fleet) map[string]*fleet.Cluster {
	byPin := map[string][]*fleet.Cluster{}
	for _, c := range f.Clusters {
		if c.Revision != "" {
			byPin[c.Revision] = append(byPin[c.Revision], c)
		}
	}
	out := map[string]*fleet.Cluster{}
	if len(byPin) == 0 {
		return out
	}
	repo, err := gitrepo.Open(abs)
	if err != nil {
		return out
	}
	root, err := repo.Rel(filepath.Dir(abs))
	if err != nil {
		return out
	}
	name := filepath.Base(abs)
	for pin, clusters := range byPin {
		snap, err := repo.Resolve(ctx, pin)
		if err != nil || snap.Unborn {
			continue
		}
		sub, err := fs.Sub(snap.FS, root)
		if err != nil {
			continue
		}
		// The pin's own cluster files are not what Argo CD reads: hidden,
		// and the work tree's of these clusters put in.
		ov := &scaffold.Overlay{Base: sub, Files: map[string][]byte{}, Removed: map[string]bool{}}
		if old, err := fs.Glob(sub, path.Join(name, "clusters", "*.yaml")); err == nil {
			for _, o := range old {
				ov.Removed[o] = true
			}
		}
		for _, c := range clusters {
			data, err := os.ReadFile(filepath.Join(filepath.Dir(abs), filepath.FromSlash(c.File)))
			if err != nil {
				continue
			}
			ov.Files[c.File] = data
		}
		at, err := fleet.Load(ctx, ov, name, opts)
		if err != nil {
			continue
		}
		for _, c := range clusters {
			if a := at.Cluster(c.Name); a != nil {
				out[c.Name] = a
			}
		}
	}
	return out
}
