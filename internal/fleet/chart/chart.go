// Package chart renders the fleet's cluster chart (fleet.yaml's chart,
// packages/fleet-cluster by default) for clusters of the fleet, locally
// with Helm's engine: the manifests Argo CD's repo-server makes from Git for
// a cluster's Application, rendered with the cluster's value files in the
// same order.
package chart

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/internal/helm"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
)

// ErrMissing is returned by Load when the chart is not in the repository.
var ErrMissing = errors.New("the chart is not in the repository")

// Platform is where the catalog comes from: config.yaml's repo section.
// fleetup's wiring passes it to the chart as the values' platform key,
// above every value file (users do not set it in fleet files).
type Platform struct {
	RepoURL  string `json:"repoURL"`
	Revision string `json:"revision"`
	BasePath string `json:"basepath"`
}

// Chart is the fleet's chart, loaded once for all clusters.
type Chart struct {
	// Dir is the chart's path in the repository, e.g. packages/fleet-cluster.
	Dir string
	// ch has no values of its own: clusters come with their effective
	// values, in which the chart's values.yaml is merged already.
	ch *chartv2.Chart
}

// Load reads the chart of fleet f from the repository at root (the
// directory holding f.Dir). A chart that is not there is ErrMissing.
func Load(root string, f *fleet.Fleet) (*Chart, error) {
	dir := filepath.Join(root, filepath.FromSlash(f.Settings.Chart))
	if _, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", f.Settings.Chart, ErrMissing)
		}
		return nil, fmt.Errorf("chart %s: %w", f.Settings.Chart, err)
	}
	ch, err := helm.LoadChart(dir)
	if err != nil {
		return nil, err
	}
	// Helm would coalesce the chart's values.yaml into the values again,
	// and bring back defaults a null in a value file deleted.
	stripped := *ch
	stripped.Values = map[string]any{}
	return &Chart{Dir: f.Settings.Chart, ch: &stripped}, nil
}

// Values are the .Values cluster c renders with: its effective values
// (chart < profile < layers < cluster, as Helm merges them) with p laid
// over them as the platform key. p nil: the chart's own platform defaults.
func Values(c *fleet.Cluster, p *Platform) map[string]any {
	vals, _ := c.Effective.Plain().(map[string]any)
	if vals == nil {
		vals = map[string]any{}
	}
	if p == nil {
		return vals
	}
	// A mapping over a mapping merges key by key, as Helm merges a last
	// value file; the three keys are always given, so they replace.
	platform := map[string]any{}
	if old, ok := vals["platform"].(map[string]any); ok {
		for k, v := range old {
			platform[k] = v
		}
	}
	platform["repoURL"], platform["revision"], platform["basepath"] = p.RepoURL, p.Revision, p.BasePath
	vals["platform"] = platform
	return vals
}

// Release is the Helm release name Argo CD uses for cluster c: its
// Application's name. The chart's templates do not read it.
func Release(c *fleet.Cluster) string { return "fleet-" + c.Name }

// Render renders cluster c's manifests, sorted by template file and then
// by their order in it.
func (ch *Chart) Render(ctx context.Context, c *fleet.Cluster, p *Platform) ([]helm.Manifest, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ms, err := helm.RenderChart(ch.ch, Release(c), c.Name, Values(c, p))
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	return ms, nil
}
