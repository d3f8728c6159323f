package fleet

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/fleetup/fleetup/internal/decode"
)

// Summary is what `fleet validate` reports about a valid fleet.
type Summary struct {
	Valid     bool                `json:"valid"`
	Fleet     string              `json:"fleet"`
	Layers    []string            `json:"layers,omitempty"`
	Chart     *Source             `json:"chart,omitempty"`
	Profiles  []string            `json:"profiles,omitempty"`
	Inventory map[string][]string `json:"inventory,omitempty"`
	Clusters  []ClusterSummary    `json:"clusters,omitempty"`
	Errors    []ErrorJSON         `json:"errors"`
}

// ClusterSummary is one cluster in a Summary.
type ClusterSummary struct {
	Name    string            `json:"name"`
	File    string            `json:"file"`
	Profile string            `json:"profile"`
	Layers  map[string]string `json:"layers"`
	Wave    *int              `json:"wave,omitempty"`
}

// ErrorJSON is a decode.Error as JSON.
type ErrorJSON struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Path     string `json:"path,omitempty"`
	Message  string `json:"message"`
	Expected string `json:"expected,omitempty"`
	Hint     string `json:"hint,omitempty"`
}

// Summarize describes a valid fleet.
func (f *Fleet) Summarize() Summary {
	s := Summary{Valid: true, Fleet: f.Dir, Layers: f.Settings.Layers, Profiles: keys(f.Profiles), Inventory: map[string][]string{},
		Chart: &Source{Layer: "chart", File: f.ChartValues, Missing: f.Chart == nil}, Errors: []ErrorJSON{}}
	for layer, files := range f.Inventory {
		s.Inventory[layer] = keys(files)
	}
	for _, c := range f.Clusters {
		s.Clusters = append(s.Clusters, ClusterSummary{Name: c.Name, File: c.File, Profile: c.Profile, Layers: c.Layers, Wave: c.Wave})
	}
	return s
}

// ErrorsJSON turns a load's problems into their JSON form.
func ErrorsJSON(es decode.Errors) []ErrorJSON {
	out := make([]ErrorJSON, len(es))
	for i, e := range es {
		out[i] = ErrorJSON{File: e.File, Line: e.Line, Column: e.Column, Path: e.Path, Message: e.Msg, Expected: e.Expected, Hint: e.Hint}
	}
	return out
}

// WriteSummary prints a valid fleet in a few lines: what is there and the
// clusters by wave.
func (f *Fleet) WriteSummary(w io.Writer) error {
	files := 0
	for _, l := range f.Inventory {
		files += len(l)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s/ is valid: %d profiles, %d inventory files in %d layers (%s), %d clusters\n",
		f.Dir, len(f.Profiles), files, len(f.Settings.Layers), strings.Join(f.Settings.Layers, " < "), len(f.Clusters))
	waves := map[int][]string{}
	var unwaved []string
	for _, c := range f.Clusters {
		if c.Wave == nil {
			unwaved = append(unwaved, c.Name)
			continue
		}
		waves[*c.Wave] = append(waves[*c.Wave], c.Name)
	}
	order := make([]int, 0, len(waves))
	for w := range waves {
		order = append(order, w)
	}
	sort.Ints(order)
	for _, wv := range order {
		fmt.Fprintf(&b, "  wave %d: %s\n", wv, strings.Join(waves[wv], ", "))
	}
	if len(unwaved) > 0 {
		fmt.Fprintf(&b, "  no wave: %s\n", strings.Join(unwaved, ", "))
	}
	if f.Chart == nil {
		fmt.Fprintf(&b, "  chart defaults: none (%s is not in the repository)\n", f.ChartValues)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Rendered is one cluster as `fleet render -o json` prints it.
type Rendered struct {
	Name       string            `json:"name"`
	File       string            `json:"file"`
	Profile    string            `json:"profile"`
	Layers     map[string]string `json:"layers"`
	Wave       *int              `json:"wave,omitempty"`
	ValueFiles []Source          `json:"valueFiles"`
	Values     any               `json:"values"`
	Origins    []Leaf            `json:"origins"`
}

// Render describes a cluster's effective values and their origins.
func (c *Cluster) Render() Rendered {
	return Rendered{Name: c.Name, File: c.File, Profile: c.Profile, Layers: c.Layers, Wave: c.Wave,
		ValueFiles: c.Sources, Values: c.Effective.Plain(), Origins: c.Effective.Leaves()}
}

// WriteRenderJSON prints clusters as one JSON document.
func WriteRenderJSON(w io.Writer, f *Fleet, clusters []*Cluster) error {
	out := struct {
		Fleet    string     `json:"fleet"`
		Layers   []string   `json:"layers"`
		Clusters []Rendered `json:"clusters"`
	}{Fleet: f.Dir, Layers: f.Settings.Layers, Clusters: []Rendered{}}
	for _, c := range clusters {
		out.Clusters = append(out.Clusters, c.Render())
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// compactJSON writes a value on one line, <, > and & as they are.
func compactJSON(v any) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// WriteRenderText prints each cluster's value files and every value with
// the file, line and column that set it.
func WriteRenderText(w io.Writer, clusters []*Cluster) error {
	var b strings.Builder
	for i, c := range clusters {
		if i > 0 {
			b.WriteString("\n")
		}
		wave := "no wave"
		if c.Wave != nil {
			wave = fmt.Sprintf("wave %d", *c.Wave)
		}
		fmt.Fprintf(&b, "cluster %s (profile %s, %s)\n", c.Name, c.Profile, wave)
		b.WriteString("  value files, lowest precedence first:\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, s := range c.Sources {
			note := ""
			switch {
			case s.Missing:
				note = "  (not in the repository: no chart defaults)"
			case s.Layer == "cluster":
				note = "  (identity under cluster, and overrides)"
			}
			fmt.Fprintf(tw, "    %s\t%s%s\n", s.Layer, s.File, note)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		b.WriteString("  values (key, where it is set, value):\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, l := range c.Effective.Leaves() {
			val, err := compactJSON(l.Value)
			if err != nil {
				return fmt.Errorf("render %s: %s: %w", c.Name, l.Key, err)
			}
			fmt.Fprintf(tw, "    %s\t%s:%d:%d\t%s\n", l.Key, l.Origin.File, l.Origin.Line, l.Origin.Column, val)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Cluster returns the cluster with this name, or nil.
func (f *Fleet) Cluster(name string) *Cluster {
	i := sort.Search(len(f.Clusters), func(i int) bool { return f.Clusters[i].Name >= name })
	if i < len(f.Clusters) && f.Clusters[i].Name == name {
		return f.Clusters[i]
	}
	return nil
}

// Names lists the clusters' names in order.
func (f *Fleet) Names() []string {
	out := make([]string, len(f.Clusters))
	for i, c := range f.Clusters {
		out[i] = c.Name
	}
	return out
}
