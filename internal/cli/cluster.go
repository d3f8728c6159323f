package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/fleetup/fleetup/internal/decode"
	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/internal/fleet/scaffold"
	"k8s.io/apimachinery/pkg/util/validation"
)

// ClusterCreate is `fleetup cluster create NAME`.
type ClusterCreate struct {
	Fleet
	Git     GitOptions
	Name    string
	Profile string
	// Layers are the layer values given (--<layer> and --layer L=V).
	Layers map[string]string
	// LayerFlags are the layers with a flag of their own; the others are
	// given as --layer L=V.
	LayerFlags map[string]bool
	Wave       *int
	// Set and SetString are the --set and --set-string arguments, in order.
	Set, SetString []string
}

// Run writes fleet/clusters/NAME.yaml and commits it, once the fleet
// with it is valid. The same cluster again changes nothing.
func (cc *ClusterCreate) Run(ctx context.Context) error {
	if errs := validation.IsDNS1123Label(cc.Name); len(errs) > 0 {
		return Usage(fmt.Errorf("cluster name %q: not a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)", cc.Name))
	}
	abs, opts, err := cc.locate(true)
	if err != nil {
		return err
	}
	base := os.DirFS(filepath.Dir(abs))
	dir := filepath.Base(abs)
	f, err := fleet.Load(ctx, base, dir, opts)
	if err != nil {
		return fmt.Errorf("the fleet has problems, fix them first (nothing was written):\n%w", err)
	}
	if err := cc.checkFlags(f); err != nil {
		return err
	}
	overrides, err := scaffold.ParseSet(cc.Set, cc.SetString)
	if err != nil {
		return Usage(err)
	}
	spec := scaffold.Cluster{Name: cc.Name, Profile: cc.Profile, Layers: cc.Layers, Wave: cc.Wave, Overrides: overrides}
	data, err := spec.Encode(f.Settings.Layers)
	if err != nil {
		return err
	}
	shown := path.Join(dir, "clusters", cc.Name+".yaml")
	file := filepath.Join(abs, "clusters", cc.Name+".yaml")
	next, err := fleet.Load(ctx, &scaffold.Overlay{Base: base, Files: map[string][]byte{shown: data}}, dir, opts)
	var es decode.Errors
	if errors.As(err, &es) {
		return Usage(fmt.Errorf("%s was not written: the cluster would not be valid:\n%s", shown, cc.explain(es, shown)))
	}
	if err != nil {
		return err
	}
	res := &WriteResult{Command: "cluster create", Fleet: dir, Written: []string{}, Removed: []string{}, Unchanged: []string{}}
	var changes []scaffold.Change
	if old := f.Cluster(cc.Name); old != nil {
		if err := sameCluster(old, next.Cluster(cc.Name)); err != nil {
			return Usage(fmt.Errorf("cluster %s already exists (%s) with other settings: %w; edit the file, or delete the cluster first (nothing was written)", cc.Name, shown, err))
		}
		res.Unchanged = append(res.Unchanged, shown)
	} else {
		changes = append(changes, scaffold.Change{File: file, Data: data})
		res.Written = append(res.Written, shown)
	}
	fw, err := prepareWrite(cc.Global, cc.Git, abs, []string{file})
	if err != nil {
		return err
	}
	if err := fw.apply(ctx, res, changes, cc.message(f.Settings.Layers)); err != nil {
		return err
	}
	return res.print(cc.Global)
}

// checkFlags reports a missing profile or layer, and a --layer that names
// no layer, with the names that would do.
func (cc *ClusterCreate) checkFlags(f *fleet.Fleet) error {
	var problems []string
	if cc.Profile == "" {
		problems = append(problems, fmt.Sprintf("missing --profile: the profile the cluster is made from, one of %s", namesOf(f.Profiles)))
	}
	for _, l := range f.Settings.Layers {
		if cc.Layers[l] == "" {
			problems = append(problems, fmt.Sprintf("missing %s: the cluster's %s, one of %s", cc.flag(l, "NAME"), l, namesOf(f.Inventory[l])))
		}
	}
	var extra []string
	for l := range cc.Layers {
		if !slices.Contains(f.Settings.Layers, l) {
			extra = append(extra, l)
		}
	}
	sort.Strings(extra)
	for _, l := range extra {
		msg := fmt.Sprintf("--layer %s: not a layer of %s/%s (layers: %s)", l, f.Dir, fleet.SettingsFile, strings.Join(f.Settings.Layers, ", "))
		if hint := decode.DidYouMean(l, f.Settings.Layers); hint != "" {
			msg += "; " + hint
		}
		problems = append(problems, msg)
	}
	if len(problems) > 0 {
		return Usage(errors.New(strings.Join(problems, "\n")))
	}
	return nil
}

// flag is how a layer is given on the command line, with value.
func (cc *ClusterCreate) flag(layer, value string) string {
	if cc.LayerFlags[layer] {
		return "--" + layer + " " + value
	}
	return "--layer " + layer + "=" + value
}

// explain turns the loader's problems with the new cluster file into
// problems with the flags that made it.
func (cc *ClusterCreate) explain(es decode.Errors, file string) string {
	lines := make([]string, len(es))
	pos := positionIn(file)
	for i, e := range es {
		if e.File != file {
			lines[i] = e.Error()
			continue
		}
		var what string
		switch {
		case e.Path == "profile":
			what = "--profile " + cc.Profile
		case e.Path == "wave":
			what = "--wave"
		case strings.HasPrefix(e.Path, "overrides"):
			what = cc.setFlag(strings.TrimPrefix(strings.TrimPrefix(e.Path, "overrides"), "."))
		case cc.Layers[e.Path] != "":
			what = cc.flag(e.Path, cc.Layers[e.Path])
		default: // checks of the merged values
			what = "cluster " + cc.Name + ": " + e.Path
		}
		// Values of the file not written came from --set; quotes are
		// --set-string's job there.
		msg := pos.ReplaceAllString(problem(e), "--set")
		msg = strings.NewReplacer("; write it without quotes", "; give it with --set, not --set-string").Replace(msg)
		msg = quoteHint.ReplaceAllString(msg, "; give it with --set-string")
		lines[i] = what + ": " + msg
	}
	return strings.Join(lines, "\n")
}

// quoteHint is the loader's advice to quote a value in a file.
var quoteHint = regexp.MustCompile(`; quote it: ".*"$`)

// setFlag is the flag that set the override at path.
func (cc *ClusterCreate) setFlag(path string) string {
	for _, a := range cc.SetString {
		if k, _, _ := strings.Cut(a, "="); k == path {
			return "--set-string " + path
		}
	}
	return "--set " + path
}

// positionIn matches file:line:column of file.
func positionIn(file string) *regexp.Regexp {
	return regexp.MustCompile(regexp.QuoteMeta(file) + `:[0-9]+:[0-9]+`)
}

// problem is an error's message without its position and path.
func problem(e *decode.Error) string {
	s := e.Msg
	if e.Expected != "" {
		s += " (expected " + e.Expected + ")"
	}
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

// sameCluster compares what two cluster files say: name, profile, layers,
// wave and overrides, as Helm reads them.
func sameCluster(old, next *fleet.Cluster) error {
	var diffs []string
	if old.Profile != next.Profile {
		diffs = append(diffs, fmt.Sprintf("profile %s in the file, %s asked", old.Profile, next.Profile))
	}
	for _, l := range decode.SortedKeys(old.Layers) {
		if old.Layers[l] != next.Layers[l] {
			diffs = append(diffs, fmt.Sprintf("%s %s in the file, %s asked", l, old.Layers[l], next.Layers[l]))
		}
	}
	if wave(old.Wave) != wave(next.Wave) {
		diffs = append(diffs, fmt.Sprintf("wave %s in the file, %s asked", wave(old.Wave), wave(next.Wave)))
	}
	if !reflect.DeepEqual(overridesOf(old), overridesOf(next)) {
		diffs = append(diffs, "other overrides in the file than asked")
	}
	if len(diffs) > 0 {
		return errors.New(strings.Join(diffs, ", "))
	}
	return nil
}

// overridesOf is a cluster's own values without its identity.
func overridesOf(c *fleet.Cluster) any {
	own, _ := c.Own.Plain().(map[string]any)
	delete(own, "cluster")
	return own
}

func wave(w *int) string {
	if w == nil {
		return "none"
	}
	return fmt.Sprint(*w)
}

// message is the commit message: the cluster's identity, then the
// overrides as given.
func (cc *ClusterCreate) message(layers []string) string {
	parts := []string{"profile " + cc.Profile}
	for _, l := range layers {
		parts = append(parts, l+" "+cc.Layers[l])
	}
	if cc.Wave != nil {
		parts = append(parts, "wave "+wave(cc.Wave))
	}
	msg := fmt.Sprintf("fleet: create cluster %s (%s)", cc.Name, strings.Join(parts, ", "))
	var sets []string
	for _, a := range cc.Set {
		sets = append(sets, "\n  --set "+a)
	}
	for _, a := range cc.SetString {
		sets = append(sets, "\n  --set-string "+a)
	}
	if len(sets) > 0 {
		msg += "\n\nOverrides:" + strings.Join(sets, "")
	}
	return msg + "\n"
}

func namesOf[V any](m map[string]V) string {
	if len(m) == 0 {
		return "(none yet)"
	}
	return strings.Join(decode.SortedKeys(m), ", ")
}

// clusterFiles are the cluster names of a clusters directory, for hints.
func clusterFiles(dir string) []string {
	des, _ := os.ReadDir(dir)
	var out []string
	for _, de := range des {
		if n, ok := strings.CutSuffix(de.Name(), ".yaml"); ok && !de.IsDir() {
			out = append(out, n)
		}
	}
	return out
}

// unknownCluster says that no cluster has this name, with the closest.
func unknownCluster(name, dir string, names []string) error {
	msg := fmt.Sprintf("no cluster %q in %s/clusters/", name, dir)
	if hint := decode.DidYouMean(name, names); hint != "" {
		msg += "; " + hint
	}
	return errors.New(msg)
}
