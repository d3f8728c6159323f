package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fleetup/fleetup/internal/capi"
)

// print shows one evaluation: the JSON document, or the table.
func (fs *FleetStatus) print(rep *FleetStatusReport) error {
	g := fs.Global
	w := &redactingWriter{w: g.Stdout, g: g}
	if g.Output == "json" {
		return writeFleetJSON(w, rep)
	}
	if rep.Tracked.Note != "" {
		g.noteLine(rep.Tracked.Note)
	}
	return writeStatusTable(w, rep)
}

// writeStatusTable is the text view: a summary line, then one row per
// cluster.
func writeStatusTable(w io.Writer, rep *FleetStatusReport) error {
	var b strings.Builder
	b.WriteString(statusSummary(rep) + "\n")
	if len(rep.Clusters) == 0 {
		_, err := io.WriteString(w, b.String())
		return err
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tWAVE\tPROFILE\tSTATE\tREVISION\tCLUSTER API\tCONTROL PLANE\tWORKERS\tREGISTERED\tADDONS\tREASON")
	for _, c := range rep.Clusters {
		profile := "-"
		if c.Git != nil {
			profile = c.Git.Profile
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Name, waveText(c.Wave), profile, c.State, revisionText(c),
			capiPhase(c.Live.ClusterAPI), controlPlaneText(c.Live.ClusterAPI), workersText(c.Live.ClusterAPI), yesNo(c.Live.Registered), addonsText(c), c.Reason)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// statusSummary is "fleet/: 1 ready, 2 progressing (HEAD at 8aa156e1f2c3)".
func statusSummary(rep *FleetStatusReport) string {
	var parts []string
	for _, s := range []string{StateReady, StateProgressing, StateFailed, StateMissing, StateOrphaned, StateDeleting} {
		if n := rep.Summary[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "no clusters")
	}
	head := fmt.Sprintf("%s/: %s", rep.Fleet, strings.Join(parts, ", "))
	if rep.Tracked.Commit != "" {
		head += fmt.Sprintf(" (tracking %s at %s)", rep.Tracked.Revision, shortRev(rep.Tracked.Commit))
	}
	if rep.Ready {
		head += ": every cluster is as Git says"
	}
	return head
}

func waveText(w *int) string {
	if w == nil {
		return "-"
	}
	return fmt.Sprint(*w)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// revisionText is the commit Argo CD applied, "→ wanted" when Git wants
// another; "(pin)" marks a pinned cluster.
func revisionText(c ClusterStatus) string {
	applied := "-"
	if a := c.Live.Application; a != nil && a.Revision != "" {
		applied = short7(a.Revision)
	}
	if c.Git == nil || c.Git.Revision == "" {
		return applied
	}
	s := applied
	if !c.Checks.Revision {
		s += "→" + short7(c.Git.Revision)
	}
	if c.Git.Pinned {
		s += " (pin)"
	}
	return s
}

func short7(r string) string {
	if len(r) > 7 && !strings.Contains(r, ",") {
		return r[:7]
	}
	return r
}

func capiPhase(s *capi.State) string {
	switch {
	case s == nil:
		return "-"
	case !s.Installed:
		return "not installed"
	case !s.Found:
		return "none"
	case s.Deleting:
		return "Deleting"
	}
	return dash(s.Phase)
}

// controlPlaneText is "v1.34.0 1/1" (version, ready/desired), with the
// version asked for when it differs.
func controlPlaneText(s *capi.State) string {
	if s == nil || s.ControlPlane == nil || !s.ControlPlane.Found {
		return "-"
	}
	cp := s.ControlPlane
	v := dash(cp.Version)
	if cp.DesiredVersion != "" && !capi.SameVersion(cp.DesiredVersion, cp.Version) {
		v += "→" + cp.DesiredVersion
	}
	if cp.Desired != nil {
		v += fmt.Sprintf(" %d/%d", deref(cp.Ready), *cp.Desired)
	}
	return v
}

// workersText is "3/3 v1.34.0": ready of desired machines over every
// MachineDeployment and MachinePool, and the versions they ask for.
func workersText(s *capi.State) string {
	if s == nil || len(s.Workers) == 0 {
		return "-"
	}
	var ready, desired int64
	versions := map[string]bool{}
	for _, w := range s.Workers {
		ready += deref(w.Ready)
		desired += deref(w.Desired)
		if w.Version != "" {
			versions[w.Version] = true
		}
	}
	vs := make([]string, 0, len(versions))
	for v := range versions {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	return strings.TrimSpace(fmt.Sprintf("%d/%d %s", ready, desired, strings.Join(vs, ",")))
}

func deref(n *int64) int64 {
	if n == nil {
		return 0
	}
	return *n
}

func addonsText(c ClusterStatus) string {
	if len(c.Live.Addons) == 0 {
		return "-"
	}
	return fmt.Sprintf("%d/%d", c.Live.AddonsHealthy, len(c.Live.Addons))
}

// statusLine is one line of the watch without a terminal, in the shape
// of install's lines: time, kind, name, state, message.
type statusLine struct {
	Time    string `json:"time"`
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	State   string `json:"state"`
	Message string `json:"message,omitempty"`
}

// changedLines are the lines for the clusters whose state or reason
// changed since prev (nil: the first evaluation, every cluster).
func changedLines(prev, cur *FleetStatusReport, now time.Time) []statusLine {
	before := map[string]ClusterStatus{}
	if prev != nil {
		for _, c := range prev.Clusters {
			before[c.Name] = c
		}
	}
	t := now.UTC().Format(time.RFC3339)
	var out []statusLine
	seen := map[string]bool{}
	for _, c := range cur.Clusters {
		seen[c.Name] = true
		if b, ok := before[c.Name]; prev != nil && ok && b.State == c.State && b.Reason == c.Reason {
			continue
		}
		out = append(out, statusLine{Time: t, Kind: "cluster", Name: c.Name, State: c.State, Message: c.Reason})
	}
	if prev != nil {
		for _, c := range prev.Clusters {
			if !seen[c.Name] {
				out = append(out, statusLine{Time: t, Kind: "cluster", Name: c.Name, State: "gone", Message: "neither in Git nor on the hub any more"})
			}
		}
	}
	return out
}

// writeLines prints lines as text or JSON lines.
func writeLines(w io.Writer, lines []statusLine, asJSON bool) error {
	var b strings.Builder
	for _, l := range lines {
		if asJSON {
			data, err := json.Marshal(l)
			if err != nil {
				return err
			}
			b.Write(append(data, '\n'))
			continue
		}
		line := fmt.Sprintf("%s %-7s %-28s %s", l.Time, l.Kind, l.Name, l.State)
		if l.Message != "" {
			line += ": " + l.Message
		}
		b.WriteString(line + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// jsonLine is the document on one line, for a stream of them.
func jsonLine(rep *FleetStatusReport) ([]byte, error) {
	data, err := json.Marshal(rep)
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}
