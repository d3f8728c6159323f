package outdated

import (
	"context"
	"regexp"

	"github.com/fleetup/fleetup/internal/catalog"
)

// fullCommit is a Git commit hash as a pin writes it.
var fullCommit = regexp.MustCompile(`^[0-9a-f]{40}$`)

// Sources lists the versions of any source: a chart's from its
// repository, a Git source's from its tags.
type Sources struct {
	// Charts reads Helm repositories and OCI registries.
	Charts Lister
	// Tags lists the tags of a Git repository (gitrepo.RemoteTags).
	Tags func(ctx context.Context, url string) ([]string, error)
}

// ChartVersions implements Lister.
func (s Sources) ChartVersions(ctx context.Context, src catalog.Source) ([]string, error) {
	if src.Kind == catalog.SourceGit {
		return s.Tags(ctx, src.URL)
	}
	return s.Charts.ChartVersions(ctx, src)
}
