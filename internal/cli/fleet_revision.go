package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/fleetup/fleetup/internal/fleet"
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
