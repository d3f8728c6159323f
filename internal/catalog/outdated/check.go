package outdated

import (
	"context"
	"strings"
	"sync"

	"github.com/fleetup/fleetup/internal/catalog"
)

// Lister lists the versions of a chart its repository offers
// (helm.Releaser.ChartVersions).
type Lister interface {
	ChartVersions(ctx context.Context, src catalog.Source) ([]string, error)
}

// Status says where an addon's pin stands.
type Status string

// Statuses of an addon.
const (
	Current  Status = "current"     // the pin is the newest version
	Behind   Status = "behind"      // a newer version is offered
	Missing  Status = "missing"     // the repository does not offer the pinned version
	Failed   Status = "error"       // the repository could not be read, or the pin is not a version
	InRepo   Status = "path"        // a chart directory of this repository: nothing to check
	NotChart Status = "not-a-chart" // plain manifests from Git
	Commit   Status = "commit"      // a Git source pinned to a commit: no version to compare
)

// Addon is one line of the report.
type Addon struct {
	Name   string         `json:"addon"`
	Source catalog.Source `json:"source"`
	// Pinned is defaultVersion as packages/addons/values.yaml writes it.
	Pinned string `json:"pinned,omitempty"`
	// ConfigPin is the version config.yaml's addons section pins instead,
	// when it does (install uses it; --update leaves it alone).
	ConfigPin string `json:"configPin,omitempty"`
	// Minor is the newest version with the pin's major, Major the newest
	// of all; either is the pin when nothing newer is offered.
	Minor  string `json:"minor,omitempty"`
	Major  string `json:"major,omitempty"`
	Status Status `json:"status"`
	// Note explains a status other than current and behind.
	Note string `json:"note,omitempty"`
}

// Behind reports whether a newer version is offered.
func (a Addon) Behind() bool { return a.Minor != a.Pinned || a.Major != a.Pinned }

// Report is every addon of the catalog, in file order.
type Report struct {
	Addons []Addon `json:"addons"`
}

// OK reports whether every chart is pinned to its newest version and every
// repository answered.
func (r Report) OK() bool {
	for _, a := range r.Addons {
		if a.Status != Current && a.Status != InRepo && a.Status != NotChart && a.Status != Commit {
			return false
		}
	}
	return true
}

// parallel bounds the repositories read at once.
const parallel = 4

// Check compares each addon of cat (parsed as the file writes it, without
// config.yaml's overrides) with what its repository offers; configPins are
// config.yaml's pins by addon. One repository that cannot be read is that
// addon's error, not the report's.
func Check(ctx context.Context, cat *catalog.Catalog, configPins map[string]string, l Lister) Report {
	out := make([]Addon, len(cat.Addons))
	var wg sync.WaitGroup
	sem := make(chan struct{}, parallel)
	for i, a := range cat.Addons {
		out[i] = Addon{Name: a.Name, Source: a.Source(), Pinned: a.DefaultVersion, ConfigPin: configPins[a.Name]}
		if !classify(&out[i], a) {
			continue
		}
		wg.Add(1)
		go func(r *Addon) {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				r.Status, r.Note = Failed, context.Cause(ctx).Error()
				return
			}
			check(ctx, r, l)
		}(&out[i])
	}
	wg.Wait()
	return Report{Addons: out}
}

// classify settles the sources that have no versions to look up; it
// reports whether the addon's repository is to be read.
func classify(r *Addon, a *catalog.Addon) bool {
	switch {
	case r.Source.Kind == catalog.SourceGitChart:
		r.Status, r.Note = InRepo, "a chart in this repository ("+a.Path+"): nothing to check"
	case r.Source.Kind == catalog.SourceGit && fullCommit.MatchString(r.Pinned):
		r.Status, r.Note = Commit, "pinned to a commit of "+r.Source.URL+": pin a release tag to compare versions"
	case r.Source.Kind == catalog.SourceGit:
		return true // its tags are its versions
	case r.Source.Kind == catalog.SourceManifests:
		r.Status, r.Note = NotChart, "manifests in this repository ("+a.Path+"): not a chart"
	case strings.HasSuffix(r.Source.URL, ".git"):
		r.Status, r.Note = NotChart, "a Git repository: not a chart"
	default:
		return true
	}
	return false
}

func check(ctx context.Context, r *Addon, l Lister) {
	offered, err := l.ChartVersions(ctx, r.Source)
	if err != nil {
		r.Status, r.Note = Failed, err.Error()
		return
	}
	n, err := Compare(r.Pinned, offered)
	if err != nil {
		r.Status, r.Note = Failed, err.Error()
		return
	}
	r.Minor, r.Major = n.Minor, n.Major
	switch {
	case !n.Offered:
		r.Status, r.Note = Missing, "the repository does not offer "+r.Pinned
	case r.Behind():
		r.Status = Behind
	default:
		r.Status = Current
	}
}
