package cli

import (
	"context"
	"fmt"
	"slices"

	"github.com/fleetup/fleetup/internal/decode"
	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/internal/gitrepo"
)

// refusedSinceHEAD are the changes of the working tree against the last
// commit that Cluster API's webhooks would refuse (a minor version
// skipped, an immutable field), as fleet diff predicts them, one error
// each at the value that makes it. Validate says so before a commit makes
// the cluster's Application retry a sync that cannot succeed. Outside a
// repository, or with no fleet at HEAD, there is nothing to compare.
func refusedSinceHEAD(ctx context.Context, abs string, head *fleet.Fleet) decode.Errors {
	repo, err := gitrepo.Open(abs)
	if err != nil {
		return nil // not a repository: validate checks the files alone
	}
	snap, err := repo.Resolve(ctx, "HEAD")
	if err != nil || snap.Unborn {
		return nil
	}
	base, err := fleetAt(ctx, repo, snap, abs, fleet.Options{})
	if err != nil {
		return nil // no fleet at HEAD, or HEAD's own problems: not this tree's
	}
	var errs decode.Errors
	for _, w := range fleet.Compare(base, head).Waves {
		for _, c := range w.Clusters {
			for _, e := range c.Effects {
				if e.Kind != fleet.EffectRefused {
					continue
				}
				at := fleet.Origin{File: c.File, Line: 1, Column: 1}
				for _, v := range c.Values {
					if v.To != nil && slices.Contains(e.Paths, v.Key) {
						at = v.To.Origin
						break
					}
				}
				errs = append(errs, &decode.Error{File: at.File, Line: at.Line, Column: at.Column, Path: "cluster " + c.Name,
					Msg: fmt.Sprintf("%s %s: %s", e.Object, e.Target, e.Detail), Expected: "a change Cluster API accepts",
					Hint: "fleet diff shows the whole change; commit it and Argo CD retries a sync the API server refuses"})
			}
		}
	}
	return errs
}
