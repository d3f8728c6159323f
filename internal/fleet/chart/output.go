package chart

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/internal/helm"
	"sigs.k8s.io/yaml"
)

// Show is what `fleet render` prints of each cluster.
type Show int

// What render shows.
const (
	ShowAll       Show = iota // values with origins, then manifests
	ShowValues                // values with origins only
	ShowManifests             // manifests only: a YAML stream
)

// Result is one cluster rendered.
type Result struct {
	Cluster   *fleet.Cluster
	Manifests []helm.Manifest
	// Err says why the chart did not render for this cluster.
	Err error
}

// RenderAll renders clusters with ch (nil: the chart is missing, no
// manifests). A cluster the chart fails on keeps its error in its Result;
// only a cancelled ctx stops the run.
func RenderAll(ctx context.Context, ch *Chart, clusters []*fleet.Cluster, p *Platform) ([]Result, error) {
	out := make([]Result, len(clusters))
	for i, c := range clusters {
		out[i].Cluster = c
		if ch == nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out[i].Manifests, out[i].Err = ch.Render(ctx, c, p)
	}
	return out, nil
}

// Source describes the chart for output: where it is and whether it is there.
type Source struct {
	Dir     string `json:"dir"`
	Missing bool   `json:"missing,omitempty"`
}

// View is how results are printed.
type View struct {
	Show  Show
	Chart Source
	// Platform is what the manifests were rendered with; nil: the chart's
	// defaults (no config.yaml).
	Platform *Platform
}

// WriteText prints results: per cluster its value files and values with
// origins (fleet.WriteRenderText), then its manifests as a YAML stream.
// ShowManifests prints the stream alone, ready for kubectl or a diff.
func WriteText(w io.Writer, results []Result, v View) error {
	show, src := v.Show, v.Chart
	var b strings.Builder
	for i, r := range results {
		if show != ShowManifests {
			if i > 0 {
				b.WriteString("\n")
			}
			if err := fleet.WriteRenderText(&b, []*fleet.Cluster{r.Cluster}); err != nil {
				return err
			}
		}
		if show == ShowValues {
			continue
		}
		switch {
		case src.Missing:
			fmt.Fprintf(&b, "  manifests: none (%s is not in the repository)\n", src.Dir)
			continue
		case r.Err != nil:
			fmt.Fprintf(&b, "  manifests: the chart does not render: %s\n", oneLine(r.Err))
			continue
		case show == ShowAll:
			if p := v.Platform; p != nil {
				fmt.Fprintf(&b, "  platform (config.yaml's repo, over the values): repoURL %q, revision %q, basepath %q\n", p.RepoURL, p.Revision, p.BasePath)
			}
			fmt.Fprintf(&b, "  manifests (%d objects, %s rendered as Argo CD will):\n", len(r.Manifests), src.Dir)
		}
		if err := writeStream(&b, r); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeStream writes a cluster's manifests as YAML documents, each with
// the template it came from, as `helm template` does.
func writeStream(b *strings.Builder, r Result) error {
	for _, m := range r.Manifests {
		data, err := yaml.Marshal(m.Object)
		if err != nil {
			return fmt.Errorf("render %s: %s %s: %w", r.Cluster.Name, m.Kind, m.Name, err)
		}
		fmt.Fprintf(b, "---\n# Source: %s (cluster %s)\n%s", m.Source, r.Cluster.Name, data)
	}
	return nil
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// clusterJSON is one cluster in `fleet render -o json`: fleet.Rendered's
// fields (nil with ShowManifests), then the manifests (none with
// ShowValues).
type clusterJSON struct {
	Name string `json:"name"`
	*fleet.Rendered
	Manifests   []helm.Manifest `json:"manifests,omitempty"`
	RenderError string          `json:"renderError,omitempty"`
}

// WriteJSON prints results as one JSON document.
func WriteJSON(w io.Writer, f *fleet.Fleet, results []Result, v View) error {
	show := v.Show
	out := struct {
		Fleet    string        `json:"fleet"`
		Layers   []string      `json:"layers"`
		Chart    Source        `json:"chart"`
		Platform *Platform     `json:"platform,omitempty"`
		Clusters []clusterJSON `json:"clusters"`
	}{Fleet: f.Dir, Layers: f.Settings.Layers, Chart: v.Chart, Platform: v.Platform, Clusters: []clusterJSON{}}
	for _, r := range results {
		c := clusterJSON{Name: r.Cluster.Name}
		if show != ShowManifests {
			rendered := r.Cluster.Render()
			c.Rendered = &rendered
		}
		if show != ShowValues {
			c.Manifests = r.Manifests
			if r.Err != nil {
				c.RenderError = oneLine(r.Err)
			}
		}
		out.Clusters = append(out.Clusters, c)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
