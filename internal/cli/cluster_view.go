package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/internal/kube"
)

// liveTimeout bounds connecting to the hub and reading its state: list
// and get fall back to the Git view rather than wait on a hub that does
// not answer.
const liveTimeout = 30 * time.Second

// ClusterList is `fleetup cluster list`.
type ClusterList struct {
	Fleet
	// Offline shows the Git view only (--offline).
	Offline bool
}

// ClusterGet is `fleetup cluster get NAME`.
type ClusterGet struct {
	Fleet
	Offline bool
	Name    string
}

// ClusterView is one cluster as list and get show it: what the fleet's
// files say, and what the hub says when it was reached.
type ClusterView struct {
	// The cluster file's name, file, profile, layers and wave.
	fleet.ClusterSummary
	Flavour string `json:"flavour"`
	Version string `json:"version,omitempty"`
	Region  string `json:"region,omitempty"`
	// Bundle are the addons switched on, sorted.
	Bundle []string     `json:"bundle"`
	Live   *ClusterLive `json:"live,omitempty"`
}

// clustersJSON is what list and get print with -o json.
type clustersJSON struct {
	Fleet  string   `json:"fleet"`
	Layers []string `json:"layers"`
	// Live: the hub was read; otherwise LiveNote says why not.
	Live     bool          `json:"live"`
	LiveNote string        `json:"liveNote,omitempty"`
	Clusters []ClusterView `json:"clusters"`
}

func viewOf(c *fleet.Cluster) ClusterView {
	v := c.Effective
	leaf := func(path ...string) any {
		if x := v.Get(path...); x != nil {
			return x.Plain()
		}
		return nil
	}
	str := func(path ...string) string {
		s, _ := leaf(path...).(string)
		return s
	}
	out := ClusterView{ClusterSummary: fleet.ClusterSummary{Name: c.Name, File: c.File, Profile: c.Profile, Layers: c.Layers, Wave: c.Wave},
		Flavour: str("provider", "flavour"), Version: str("kubernetesVersion"), Region: str("provider", "region"), Bundle: c.Bundle()}
	return out
}

// Run lists the fleet's clusters.
func (cl *ClusterList) Run(ctx context.Context) error {
	f, dir, err := cl.load(ctx)
	if err != nil {
		return err
	}
	out := clustersJSON{Fleet: dir, Layers: f.Settings.Layers, Clusters: []ClusterView{}}
	for _, c := range f.Clusters {
		out.Clusters = append(out.Clusters, viewOf(c))
	}
	cl.join(ctx, cl.Offline, &out)
	g := cl.Global
	w := &redactingWriter{w: g.Stdout, g: g}
	if g.Output == "json" {
		return writeFleetJSON(w, out)
	}
	if len(out.Clusters) == 0 {
		fmt.Fprintf(g.Stderr, "no clusters in %s/clusters/\n", dir)
		return nil
	}
	return writeClusterTable(w, out)
}

// Run shows one cluster.
func (cg *ClusterGet) Run(ctx context.Context) error {
	f, dir, err := cg.load(ctx)
	if err != nil {
		return err
	}
	c := f.Cluster(cg.Name)
	if c == nil {
		return Usage(unknownCluster(cg.Name, dir, f.Names()))
	}
	out := clustersJSON{Fleet: dir, Layers: f.Settings.Layers, Clusters: []ClusterView{viewOf(c)}}
	cg.join(ctx, cg.Offline, &out)
	g := cg.Global
	w := &redactingWriter{w: g.Stdout, g: g}
	if g.Output == "json" {
		return writeFleetJSON(w, out)
	}
	return writeCluster(w, out)
}

// join adds the hub's state to the views, or notes why it could not.
func (fl *Fleet) join(ctx context.Context, offline bool, out *clustersJSON) {
	if offline {
		out.LiveNote = "--offline: the Git view only"
		return
	}
	ctx, cancel := context.WithTimeout(ctx, liveTimeout)
	defer cancel()
	kc, err := fl.hub(ctx)
	if err == nil {
		bundles := make(map[string][]string, len(out.Clusters))
		for _, c := range out.Clusters {
			bundles[c.Name] = c.Bundle
		}
		var live map[string]*ClusterLive
		if live, err = ReadLive(ctx, kc, fleetNamespace, bundles); err == nil {
			for i := range out.Clusters {
				out.Clusters[i].Live = live[out.Clusters[i].Name]
			}
			out.Live = true
			return
		}
	}
	out.LiveNote = "the Git view only: the hub's state was not read: " + fleetFirstLine(err)
	if fl.Global.Output != "json" {
		fl.Global.noteLine(out.LiveNote)
	}
}

// hub connects to the management cluster as `fleetup status` does: the
// target of config.yaml (or --target), or --kubeconfig/--context when
// there is no config.
func (fl *Fleet) hub(ctx context.Context) (*kube.Client, error) {
	g := fl.Global
	var overrides []config.Override
	if g.Target != "" {
		overrides = append(overrides, config.WithTarget(config.Target(g.Target)))
	}
	cfg, err := config.Load(g.ConfigFile, overrides...)
	if err != nil {
		if g.Kubeconfig == "" && g.Context == "" {
			return nil, fmt.Errorf("%s does not load and no --kubeconfig was given: %w", g.ConfigFile, err)
		}
		return g.Kube()
	}
	conn, err := g.Connect(ctx, cfg, false)
	if err != nil {
		return nil, err
	}
	if conn.Kube == nil {
		return nil, fmt.Errorf("the kind cluster %s does not exist", cfg.ClusterName)
	}
	return conn.Kube, nil
}

func writeClusterTable(w io.Writer, out clustersJSON) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := []string{"NAME", "PROFILE", "WAVE"}
	for _, l := range out.Layers {
		head = append(head, strings.ToUpper(l))
	}
	head = append(head, "FLAVOUR", "VERSION", "BUNDLE")
	if out.Live {
		head = append(head, "REGISTERED", "ADDONS")
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, c := range out.Clusters {
		row := []string{c.Name, c.Profile, wave(c.Wave)}
		for _, l := range out.Layers {
			row = append(row, c.Layers[l])
		}
		row = append(row, dash(c.Flavour), dash(c.Version), dash(strings.Join(c.Bundle, ",")))
		if out.Live {
			row = append(row, registered(c.Live), addonSummary(c.Live))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

func registered(l *ClusterLive) string {
	if l == nil || !l.Registered {
		return "no"
	}
	return "yes"
}

func addonSummary(l *ClusterLive) string {
	if l == nil || !l.Registered || len(l.Addons) == 0 {
		return "-"
	}
	return fmt.Sprintf("%d/%d healthy", l.Healthy(), len(l.Addons))
}

func writeCluster(w io.Writer, out clustersJSON) error {
	c := out.Clusters[0]
	var b strings.Builder
	fmt.Fprintf(&b, "cluster %s (%s)\n", c.Name, c.File)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  profile\t%s\n  wave\t%s\n", c.Profile, wave(c.Wave))
	for _, l := range out.Layers {
		fmt.Fprintf(tw, "  %s\t%s\n", l, c.Layers[l])
	}
	fmt.Fprintf(tw, "  flavour\t%s\n  version\t%s\n", dash(c.Flavour), dash(c.Version))
	if c.Region != "" {
		fmt.Fprintf(tw, "  region\t%s\n", c.Region)
	}
	fmt.Fprintf(tw, "  bundle\t%s\n", dash(strings.Join(c.Bundle, ", ")))
	if err := tw.Flush(); err != nil {
		return err
	}
	if l := c.Live; out.Live && l != nil {
		writeLive(&b, c.Name, l)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeLive(b *strings.Builder, name string, l *ClusterLive) {
	b.WriteString("hub:\n")
	if !l.Registered {
		fmt.Fprintf(b, "  not registered in Argo CD: no cluster secret in %s labelled %s=%s\n", fleetNamespace, fleet.ClusterLabel, name)
	} else {
		fmt.Fprintf(b, "  registered in Argo CD: Secret %s, server %s\n", l.Secret, dash(l.Server))
	}
	if a := l.Application; a != nil {
		fmt.Fprintf(b, "  Application %s: %s (sync %s, health %s)\n", a.Name, a.State, dash(a.Sync), dash(a.Health))
	} else {
		fmt.Fprintf(b, "  Application %s: missing\n", fleet.AppName(name))
	}
	if a := l.Stages; a != nil {
		fmt.Fprintf(b, "  stages Application %s: %s (sync %s, health %s)\n", a.Name, a.State, dash(a.Sync), dash(a.Health))
	}
	if len(l.Addons) == 0 {
		return
	}
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  ADDON\tAPPLICATION\tWAVE\tSTATE\tSYNC\tHEALTH\tMESSAGE")
	for _, a := range l.Addons {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Addon, a.Name, dash(a.Wave), a.State, dash(a.Sync), dash(a.Health), a.Message)
	}
	tw.Flush()
}
