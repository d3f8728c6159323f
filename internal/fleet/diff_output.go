package fleet

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteDiffJSON prints a diff as one JSON document (docs/fleet.md).
func WriteDiffJSON(w io.Writer, d *Diff) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(d)
}

// Label names a side of a diff for people: "working tree", "HEAD
// (1a2b3c4)".
func (s DiffSide) Label() string {
	var l string
	switch {
	case s.WorkingTree:
		l = "working tree"
	case s.Commit != "":
		l = fmt.Sprintf("%s (%s)", s.Revision, s.Commit[:min(7, len(s.Commit))])
	default:
		l = s.Revision + " (no commits yet)"
	}
	if !s.FleetExists {
		l += ", no fleet"
	}
	return l
}

// WriteDiffText prints a diff for people: the changed files, then the
// changing clusters by wave, each with its changed values, what Cluster
// API does and the addons it gains and loses.
func WriteDiffText(w io.Writer, d *Diff) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s/ diff: %s → %s\n", d.Fleet, d.Base.Label(), d.Head.Label())
	if len(d.Files) > 0 {
		b.WriteString("changed files:\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, f := range d.Files {
			fmt.Fprintf(tw, "  %s\t%s\t(read by %s)\n", f.Change, f.File, plural(f.Clusters, "cluster"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	s := d.Summary
	if !d.Changed {
		fmt.Fprintf(&b, "no cluster changes (%s)\n", plural(s.Clusters, "cluster"))
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(&b, "clusters: %d changed, %d added, %d removed, %d unchanged", s.Changed, s.Added, s.Removed, s.Unchanged)
	if s.Refused > 0 {
		fmt.Fprintf(&b, "; %s with a change Cluster API refuses", plural(s.Refused, "cluster"))
	}
	b.WriteString("\n")
	for _, wave := range d.Waves {
		if wave.Wave == nil {
			b.WriteString("\nno wave\n")
		} else {
			fmt.Fprintf(&b, "\nwave %d\n", *wave.Wave)
		}
		for i := range wave.Clusters {
			if err := writeClusterDiff(&b, &wave.Clusters[i]); err != nil {
				return err
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

var changeMark = map[string]string{ChangeAdded: "+", ChangeRemoved: "-", ChangeChanged: "~"}

func writeClusterDiff(b *strings.Builder, c *ClusterDiff) error {
	fmt.Fprintf(b, "  %s %s  (%s", changeMark[c.Change], c.Name, c.Change)
	if c.Profile != "" {
		fmt.Fprintf(b, ", profile %s", c.Profile)
	}
	if c.Flavour != "" {
		fmt.Fprintf(b, ", %s", c.Flavour)
	}
	if c.Pinned != "" {
		fmt.Fprintf(b, ", pinned to %.8s: fleet rollout takes the change to it", c.Pinned)
	}
	b.WriteString(")\n")
	if len(c.Values) > 0 {
		tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
		for _, v := range c.Values {
			from, err := settingText(v.From)
			if err != nil {
				return fmt.Errorf("diff %s: %s: %w", c.Name, v.Key, err)
			}
			to, err := settingText(v.To)
			if err != nil {
				return fmt.Errorf("diff %s: %s: %w", c.Name, v.Key, err)
			}
			where, file := "", ""
			if v.To != nil {
				where, file = originText(v.To.Origin), v.To.Origin.File
			} else if v.From != nil {
				where, file = "was "+originText(v.From.Origin), v.From.Origin.File
			}
			line := fmt.Sprintf("      %s\t%s → %s\t%s", v.Key, from, to, where)
			if v.Cause != "" && v.Cause != file {
				line += "\t(" + v.Cause + " changed)"
			}
			fmt.Fprintln(tw, line)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(c.Effects) > 0 {
		b.WriteString("      effects:\n")
		tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
		for _, e := range c.Effects {
			fmt.Fprintf(tw, "        %s\t%s (%s): %s\n", strings.ReplaceAll(e.Kind, "-", " "), e.Target, e.Object, e.Detail)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(c.Addons.Gained)+len(c.Addons.Lost) > 0 {
		var parts []string
		for _, a := range c.Addons.Gained {
			parts = append(parts, "+"+a)
		}
		for _, a := range c.Addons.Lost {
			parts = append(parts, "-"+a)
		}
		fmt.Fprintf(b, "      addons: %s\n", strings.Join(parts, " "))
	}
	return nil
}

// settingText is a value as JSON on one line, or (absent).
func settingText(s *Setting) (string, error) {
	if s == nil {
		return "(absent)", nil
	}
	return compactJSON(s.Value)
}

func originText(o Origin) string { return fmt.Sprintf("%s:%d:%d", o.File, o.Line, o.Column) }

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
