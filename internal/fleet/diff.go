package fleet

import (
	"path"
	"reflect"
	"slices"
	"sort"
)

// Diff is the blast radius of a change to the fleet: which clusters change
// and how, what Cluster API will do about it, which addons come and go.
// Its JSON form is `fleet diff -o json` (docs/fleet.md): fields are only
// ever added to it.
type Diff struct {
	Fleet string `json:"fleet"`
	// Base and Head say what was compared; the caller fills them in.
	Base DiffSide `json:"base"`
	Head DiffSide `json:"head"`
	// Changed: at least one cluster is added, removed or changed.
	Changed bool         `json:"changed"`
	Summary DiffSummary  `json:"summary"`
	Files   []FileChange `json:"files"`
	// Waves hold the clusters that change, by wave (the head's; the
	// base's for a removed cluster), clusters without a wave last.
	Waves []WaveDiff `json:"waves"`
}

// DiffSide is one side of a diff: a revision or the working tree.
type DiffSide struct {
	Revision    string `json:"revision,omitempty"`
	Commit      string `json:"commit,omitempty"`
	WorkingTree bool   `json:"workingTree,omitempty"`
	// FleetExists is false when the fleet directory is not there (a
	// revision before the fleet): every cluster is then added.
	FleetExists bool `json:"fleetExists"`
}

// DiffSummary counts clusters.
type DiffSummary struct {
	// Clusters is the number of clusters on the head side.
	Clusters  int `json:"clusters"`
	Added     int `json:"added"`
	Removed   int `json:"removed"`
	Changed   int `json:"changed"`
	Unchanged int `json:"unchanged"`
	// Refused counts changing clusters with a change Cluster API's
	// webhooks reject.
	Refused int `json:"refused"`
}

// FileChange is a fleet file whose values differ between the sides.
type FileChange struct {
	File string `json:"file"`
	// Change is added, removed or modified.
	Change string `json:"change"`
	// Clusters is how many clusters (of either side) read the file.
	Clusters int `json:"clusters"`
}

// WaveDiff is one wave's changing clusters, sorted by name.
type WaveDiff struct {
	Wave     *int          `json:"wave"`
	Clusters []ClusterDiff `json:"clusters"`
}

// The changes of a cluster and of a file.
const (
	ChangeAdded    = "added"
	ChangeRemoved  = "removed"
	ChangeChanged  = "changed"
	ChangeModified = "modified"
)

// ClusterDiff is one cluster that changes.
type ClusterDiff struct {
	Name string `json:"name"`
	// Change is added, removed or changed.
	Change  string `json:"change"`
	File    string `json:"file"`
	Profile string `json:"profile"`
	Flavour string `json:"flavour"`
	Wave    *int   `json:"wave"`
	// Pinned is the commit the cluster is pinned to on the head side
	// (its file's revision): the change reaches it when `fleet rollout`
	// pins it anew, not at the commit.
	Pinned string `json:"pinned,omitempty"`
	// Values are the effective values that differ (none for an added or
	// removed cluster: `fleet render` shows them).
	Values []ValueChange `json:"values"`
	// Effects are what Cluster API (and Argo CD) will do, most drastic first.
	Effects []Effect     `json:"effects"`
	Addons  AddonChanges `json:"addons"`
}

// ValueChange is one value that differs. A side where the value is
// absent is nil; a YAML null is a Setting whose Value is nil.
type ValueChange struct {
	Path []string `json:"path"`
	Key  string   `json:"key"`
	From *Setting `json:"from"`
	To   *Setting `json:"to"`
	// Cause is the changed file that explains the change: the one that
	// sets the new value, else the one that set the old one, else the
	// cluster's other changed value files (highest precedence first).
	Cause string `json:"cause,omitempty"`
}

// Setting is a value and where it is set.
type Setting struct {
	Value  any    `json:"value"`
	Origin Origin `json:"origin"`
}

// AddonChanges are the addons a cluster gets and loses (the bundle's
// enabled switches, as the cluster's enable_<addon> labels).
type AddonChanges struct {
	Gained []string `json:"gained"`
	Lost   []string `json:"lost"`
}

// Compare diffs two loaded fleets: base before the change, head after it.
func Compare(base, head *Fleet) *Diff {
	d := &differ{base: base, head: head}
	d.files()
	out := &Diff{Fleet: head.Dir, Files: d.fileChanges, Waves: []WaveDiff{}}
	byName := map[string][2]*Cluster{}
	for _, c := range base.Clusters {
		byName[c.Name] = [2]*Cluster{c, nil}
	}
	for _, c := range head.Clusters {
		pair := byName[c.Name]
		pair[1] = c
		byName[c.Name] = pair
	}
	var changed []ClusterDiff
	for _, pair := range byName {
		cd := d.cluster(pair[0], pair[1])
		if cd == nil {
			out.Summary.Unchanged++
			continue
		}
		switch cd.Change {
		case ChangeAdded:
			out.Summary.Added++
		case ChangeRemoved:
			out.Summary.Removed++
		default:
			out.Summary.Changed++
		}
		if slices.ContainsFunc(cd.Effects, func(e Effect) bool { return e.Kind == EffectRefused }) {
			out.Summary.Refused++
		}
		changed = append(changed, *cd)
	}
	out.Summary.Clusters = len(head.Clusters)
	out.Changed = len(changed) > 0
	out.Waves = byWave(changed)
	return out
}

// byWave groups clusters by wave, ascending, clusters without one last.
func byWave(cs []ClusterDiff) []WaveDiff {
	sort.Slice(cs, func(i, j int) bool {
		a, b := cs[i].Wave, cs[j].Wave
		switch {
		case a != nil && b != nil && *a != *b:
			return *a < *b
		case (a == nil) != (b == nil):
			return a != nil
		}
		return cs[i].Name < cs[j].Name
	})
	out := []WaveDiff{}
	for _, c := range cs {
		if n := len(out); n > 0 && sameWave(out[n-1].Wave, c.Wave) {
			out[n-1].Clusters = append(out[n-1].Clusters, c)
			continue
		}
		out = append(out, WaveDiff{Wave: c.Wave, Clusters: []ClusterDiff{c}})
	}
	return out
}

func sameWave(a, b *int) bool { return (a == nil && b == nil) || (a != nil && b != nil && *a == *b) }

// differ holds what every cluster's comparison needs.
type differ struct {
	base, head *Fleet
	// changed are the files whose values differ, fleet.yaml included.
	changed     map[string]bool
	settings    string // fleet.yaml's path when its settings changed
	fileChanges []FileChange
}

// files finds the files whose values differ, and how many clusters read
// each of them.
func (d *differ) files() {
	d.changed = map[string]bool{}
	bf, hf := valueFiles(d.base), valueFiles(d.head)
	kind := map[string]string{}
	for f, bv := range bf {
		hv, ok := hf[f]
		switch {
		case !ok:
			kind[f] = ChangeRemoved
		case !sameValue(bv, hv):
			kind[f] = ChangeModified
		}
	}
	for f := range hf {
		if _, ok := bf[f]; !ok {
			kind[f] = ChangeAdded
		}
	}
	settings := path.Join(d.head.Dir, SettingsFile)
	if !reflect.DeepEqual(d.base.Settings, d.head.Settings) {
		kind[settings] = ChangeModified
		d.settings = settings
	}
	if len(kind) == 0 {
		d.fileChanges = []FileChange{}
		return
	}
	uses := map[string]int{}
	count := func(cs []*Cluster, seen map[string]bool) {
		for _, c := range cs {
			for _, s := range c.Sources {
				if _, ok := kind[s.File]; ok && !seen[c.Name+"\x00"+s.File] {
					seen[c.Name+"\x00"+s.File] = true
					uses[s.File]++
				}
			}
		}
	}
	seen := map[string]bool{}
	count(d.head.Clusters, seen)
	count(d.base.Clusters, seen)
	uses[settings] = max(len(d.head.Clusters), len(d.base.Clusters))
	for f, k := range kind {
		d.changed[f] = true
		d.fileChanges = append(d.fileChanges, FileChange{File: f, Change: k, Clusters: uses[f]})
	}
	sort.Slice(d.fileChanges, func(i, j int) bool { return d.fileChanges[i].File < d.fileChanges[j].File })
}

// valueFiles are a fleet's files by path with their values as Helm reads
// them: the chart's values.yaml, profiles, inventory files and clusters.
func valueFiles(f *Fleet) map[string]*Value {
	out := map[string]*Value{}
	if f.Chart != nil {
		out[f.Chart.File] = f.Chart.Tree
	}
	for _, vf := range f.Profiles {
		out[vf.File] = vf.Tree
	}
	for _, files := range f.Inventory {
		for _, vf := range files {
			out[vf.File] = vf.Tree
		}
	}
	for _, c := range f.Clusters {
		out[c.File] = c.Own
	}
	return out
}

// cluster compares one cluster's sides (either may be nil); nil when
// nothing changes.
func (d *differ) cluster(b, h *Cluster) *ClusterDiff {
	switch {
	case b == nil:
		return d.whole(h, ChangeAdded)
	case h == nil:
		return d.whole(b, ChangeRemoved)
	case b.Effective == h.Effective || !d.touched(b, h):
		return nil // the same merge (a shared LoadCache), or no input changed
	}
	var changes []ValueChange
	diffValues(nil, b.Effective, h.Effective, &changes)
	if len(changes) == 0 {
		return nil
	}
	for i := range changes {
		changes[i].Key = FormatPath(changes[i].Path)
		changes[i].Cause = d.cause(&changes[i], b, h)
	}
	return &ClusterDiff{Name: h.Name, Change: ChangeChanged, File: h.File, Profile: h.Profile, Flavour: flavourOf(h.Effective),
		Wave: h.Wave, Pinned: h.Revision, Values: changes, Effects: effects(b, h, changes), Addons: addonChanges(b.Effective, h.Effective)}
}

// whole is a cluster that is added or removed.
func (d *differ) whole(c *Cluster, change string) *ClusterDiff {
	cd := &ClusterDiff{Name: c.Name, Change: change, File: c.File, Profile: c.Profile, Flavour: flavourOf(c.Effective), Wave: c.Wave,
		Values: []ValueChange{}, Effects: []Effect{lifecycle(c, change)}}
	if change == ChangeAdded {
		cd.Addons = addonChanges(nil, c.Effective)
	} else {
		cd.Addons = addonChanges(c.Effective, nil)
	}
	return cd
}

// touched: a cluster's values can only differ when one of its value
// files, or their list, does. This spares the comparison of every value
// of every cluster a change does not reach.
func (d *differ) touched(b, h *Cluster) bool {
	if len(b.Sources) != len(h.Sources) {
		return true
	}
	for i, s := range h.Sources {
		if s != b.Sources[i] || d.changed[s.File] {
			return true
		}
	}
	return false
}

// cause names the changed file behind a value change.
func (d *differ) cause(vc *ValueChange, b, h *Cluster) string {
	for _, s := range []*Setting{vc.To, vc.From} {
		if s != nil && d.changed[s.Origin.File] {
			return s.Origin.File
		}
	}
	for _, c := range []*Cluster{h, b} {
		for i := len(c.Sources) - 1; i >= 0; i-- {
			if f := c.Sources[i].File; d.changed[f] {
				return f
			}
		}
	}
	return d.settings
}

// diffValues lists the values that differ between a and b: mappings are
// compared key by key, anything else whole.
func diffValues(p []string, a, b *Value, out *[]ValueChange) {
	if a == nil && b == nil {
		return
	}
	if a != nil && b != nil && a.IsMap() && b.IsMap() {
		keys := make([]string, 0, len(a.Map)+len(b.Map))
		for k := range a.Map {
			keys = append(keys, k)
		}
		for k := range b.Map {
			if _, ok := a.Map[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			diffValues(append(p, k), a.Map[k], b.Map[k], out)
		}
		return
	}
	if a != nil && b != nil && sameValue(a, b) {
		return
	}
	*out = append(*out, ValueChange{Path: slices.Clone(p), From: settingOf(a), To: settingOf(b)})
}

func settingOf(v *Value) *Setting {
	if v == nil {
		return nil
	}
	return &Setting{Value: v.Plain(), Origin: v.Origin}
}

// sameValue compares values as the chart's templates see them, wherever
// they are set.
func sameValue(a, b *Value) bool {
	if a == b {
		return true // shared by both sides through a LoadCache
	}
	if a == nil || b == nil {
		return false
	}
	if a.IsMap() != b.IsMap() {
		return false
	}
	if !a.IsMap() {
		return sameLeaf(a.Leaf, b.Leaf)
	}
	if len(a.Map) != len(b.Map) {
		return false
	}
	for k, av := range a.Map {
		if !sameValue(av, b.Map[k]) {
			return false
		}
	}
	return true
}

func sameLeaf(a, b any) bool {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	}
	return reflect.DeepEqual(a, b) // lists
}

// decommissioned: the cluster file carries `decommission: true`.
func decommissioned(v *Value) bool {
	on, ok := v.Get("cluster", "decommission").boolean()
	return ok && on
}

// addonChanges compares the enabled addons of two effective values (nil:
// the cluster is not there).
func addonChanges(b, h *Value) AddonChanges {
	eb, eh := enabledAddons(b), enabledAddons(h)
	out := AddonChanges{Gained: []string{}, Lost: []string{}}
	for a := range eh {
		if !eb[a] {
			out.Gained = append(out.Gained, a)
		}
	}
	for a := range eb {
		if !eh[a] {
			out.Lost = append(out.Lost, a)
		}
	}
	sort.Strings(out.Gained)
	sort.Strings(out.Lost)
	return out
}

// Bundle are the addons the cluster's secret switches on, sorted: its
// profile's bundle as its layers and overrides leave it; none once it is
// decommissioned.
func (c *Cluster) Bundle() []string {
	out := []string{}
	for a := range enabledAddons(c.Effective) {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// enabledAddons are the addons a cluster's secret switches on: none for a
// decommissioned cluster, whose chart switches every one off.
func enabledAddons(v *Value) map[string]bool {
	out := map[string]bool{}
	if decommissioned(v) {
		return out
	}
	for name, a := range v.Get("addons").mapping() {
		if on, ok := a.Get("enabled").boolean(); ok && on {
			out[name] = true
		}
	}
	return out
}
