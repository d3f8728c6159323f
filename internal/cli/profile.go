package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/fleetup/fleetup/internal/decode"
	"github.com/fleetup/fleetup/internal/fleet"
)

// ProfileList is `fleetup profile list`.
type ProfileList struct{ Fleet }

// ProfileShow is `fleetup profile show NAME`.
type ProfileShow struct {
	Fleet
	Name string
}

// ProfileView is a profile and the clusters made from it.
type ProfileView struct {
	Name     string   `json:"name"`
	File     string   `json:"file"`
	Clusters []string `json:"clusters"`
	// Values and Origins are the profile file's values as Helm reads
	// them, and where each is set (show only).
	Values  any          `json:"values,omitempty"`
	Origins []fleet.Leaf `json:"origins,omitempty"`
}

func profileViews(f *fleet.Fleet) []ProfileView {
	users := map[string][]string{}
	for _, c := range f.Clusters {
		users[c.Profile] = append(users[c.Profile], c.Name)
	}
	var out []ProfileView
	for _, name := range decode.SortedKeys(f.Profiles) {
		clusters := users[name]
		if clusters == nil {
			clusters = []string{}
		}
		out = append(out, ProfileView{Name: name, File: f.Profiles[name].File, Clusters: clusters})
	}
	return out
}

// Run lists the profiles and the clusters made from each.
func (pl *ProfileList) Run(ctx context.Context) error {
	f, dir, err := pl.load(ctx)
	if err != nil {
		return err
	}
	views := profileViews(f)
	g := pl.Global
	w := &redactingWriter{w: g.Stdout, g: g}
	if g.Output == "json" {
		if views == nil {
			views = []ProfileView{}
		}
		return writeFleetJSON(w, struct {
			Fleet    string        `json:"fleet"`
			Profiles []ProfileView `json:"profiles"`
		}{dir, views})
	}
	if len(views) == 0 {
		fmt.Fprintf(g.Stderr, "no profiles in %s/profiles/\n", dir)
		return nil
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROFILE\tFILE\tCLUSTERS")
	for _, v := range views {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", v.Name, v.File, dash(strings.Join(v.Clusters, ", ")))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// Run shows a profile's values, where each is set, and its clusters.
func (ps *ProfileShow) Run(ctx context.Context) error {
	f, dir, err := ps.load(ctx)
	if err != nil {
		return err
	}
	vf := f.Profiles[ps.Name]
	if vf == nil {
		msg := fmt.Sprintf("no profile %q in %s/profiles/", ps.Name, dir)
		if hint := decode.DidYouMean(ps.Name, decode.SortedKeys(f.Profiles)); hint != "" {
			msg += "; " + hint
		}
		return Usage(fmt.Errorf("%s", msg))
	}
	var v ProfileView
	for _, pv := range profileViews(f) {
		if pv.Name == ps.Name {
			v = pv
		}
	}
	v.Values, v.Origins = vf.Tree.Plain(), vf.Tree.Leaves()
	g := ps.Global
	w := &redactingWriter{w: g.Stdout, g: g}
	if g.Output == "json" {
		return writeFleetJSON(w, v)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "profile %s (%s)\n  clusters: %s\n  values (key, line:column, value):\n", v.Name, v.File, dash(strings.Join(v.Clusters, ", ")))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, l := range v.Origins {
		val, err := oneLineJSON(l.Value)
		if err != nil {
			return fmt.Errorf("profile %s: %s: %w", v.Name, l.Key, err)
		}
		fmt.Fprintf(tw, "    %s\t%d:%d\t%s\n", l.Key, l.Origin.Line, l.Origin.Column, val)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// oneLineJSON is v as JSON on one line with <, > and & as they are, as
// fleet render shows values: "true" (a string) and true differ.
func oneLineJSON(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return strings.TrimSpace(b.String()), err
}
