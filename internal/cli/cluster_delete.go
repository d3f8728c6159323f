package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/internal/fleet/scaffold"
	"github.com/fleetup/fleetup/internal/gitrepo"
	"github.com/fleetup/fleetup/internal/kube"
)

// DefaultDeleteTimeout bounds each of cluster delete's waits.
const DefaultDeleteTimeout = 20 * time.Minute

// ClusterDelete is `fleetup cluster delete NAME`: in two commits, so that
// the cluster's addons leave it while Argo CD can still reach it, before
// it is deregistered and Cluster API deletes it.
type ClusterDelete struct {
	Fleet
	Git  GitOptions
	Name string
	// NoWait commits the next step and returns instead of waiting for the
	// hub (--no-wait).
	NoWait bool
	// Timeout bounds each wait (--timeout).
	Timeout time.Duration
	// IsTerminal reports whether stdin is a terminal (tests replace it).
	IsTerminal func() bool
}

// gitState is where a delete stands in Git, read from the working tree
// and HEAD: a rerun continues from it.
type gitState struct {
	// OnDisk: the cluster file is in the working tree; Marked: with
	// `decommission: true`; Broken: it does not load, so no marker can be
	// rendered.
	OnDisk, Marked, Broken bool
	// InHead: HEAD has the file (a removal not committed yet otherwise).
	InHead bool
}

// deleteStep is what a run of cluster delete starts with.
type deleteStep int

const (
	// stepMark writes and commits the marker, waits for the addons to
	// leave, then goes on with stepRemove.
	stepMark deleteStep = iota
	// stepRemove removes the file and commits the removal (once the
	// addons are gone when the marker is there and the hub is read), then
	// waits for the hub to forget the cluster.
	stepRemove
	// stepWait: Git is done; the hub still has to forget the cluster.
	stepWait
)

// nextStep decides where a run starts. hub: the hub was reached. Without
// it, and without --no-commit, the file goes in one commit as it always
// did (nothing can be waited for); a file that does not load cannot carry
// the marker either.
func nextStep(s gitState, hub, noCommit bool) deleteStep {
	switch {
	case !s.OnDisk && !s.InHead:
		return stepWait
	case !s.OnDisk, !s.InHead, s.Marked, s.Broken:
		// A file never committed is only removed: Argo CD never saw it.
		return stepRemove
	case !hub && !noCommit:
		return stepRemove
	}
	return stepMark
}

// Run deletes the cluster, resuming where an earlier run stopped.
func (cd *ClusterDelete) Run(ctx context.Context) error {
	g := cd.Global
	if cd.Timeout <= 0 {
		cd.Timeout = DefaultDeleteTimeout
	}
	abs, opts, cfg, err := cd.locateConfig(true)
	if err != nil {
		return err
	}
	dir := filepath.Base(abs)
	shown := path.Join(dir, "clusters", cd.Name+".yaml")
	file := filepath.Join(abs, "clusters", cd.Name+".yaml")
	st, remain, err := cd.readGit(ctx, abs, shown, file, opts)
	if err != nil {
		return err
	}
	if !st.OnDisk && !st.InHead && cd.Git.NoCommit {
		return Usage(unknownCluster(cd.Name, dir, clusterFiles(filepath.Join(abs, "clusters"))))
	}
	var fw *fleetWrite
	if st.OnDisk || st.InHead {
		if !g.Yes && !stdinTerminal(g, cd.IsTerminal) {
			return Usage(errors.New("no terminal to ask for approval: pass --yes to delete without asking (nothing was changed)"))
		}
		if fw, err = prepareWrite(g, cd.Git, abs, []string{file}); err != nil {
			return err
		}
	}
	var kc *kube.Client
	if !cd.Git.NoCommit {
		kc, err = cd.connect(ctx)
		if err != nil && (st.OnDisk || st.InHead) {
			fmt.Fprintln(g.Stderr, g.Redact(fmt.Sprintf("warning: the hub cannot be reached (%s): %s is removed in one commit, with no wait; once Argo CD syncs it, the cluster's addon Applications go with its registration and may leave the addons running on the cluster (run the command where the hub is reachable to remove them first)", fleetFirstLine(err), shown)))
		}
	}
	step := nextStep(st, kc != nil, cd.Git.NoCommit)
	d := &deletion{cd: cd, kc: kc, cfg: cfg, fw: fw, dir: dir, shown: shown, file: file,
		dest: &destinations{names: map[string]bool{}, servers: map[string]bool{}}}
	if step == stepWait {
		if kc == nil {
			return Usage(unknownCluster(cd.Name, dir, clusterFiles(filepath.Join(abs, "clusters"))))
		}
		left, err := readLeft(ctx, kc, cd.Name, d.dest)
		if err != nil {
			return err
		}
		if left.gone() {
			return Usage(fmt.Errorf("%s; nothing of it is on the hub either", unknownCluster(cd.Name, dir, clusterFiles(filepath.Join(abs, "clusters")))))
		}
		g.noteLine(fmt.Sprintf("%s is already removed in Git; the hub still holds %s", shown, left))
	} else if !g.Yes {
		if ok, err := ask(g, d.question(step, st, remain)); err != nil {
			return err
		} else if !ok {
			return Usage(errors.New("not approved: nothing was changed"))
		}
	}
	return d.run(ctx, step, st)
}

// readGit reads the cluster file's state and checks what can refuse
// before anything is written: the fleet without the cluster must load.
// remain is the number of clusters left after the delete.
func (cd *ClusterDelete) readGit(ctx context.Context, abs, shown, file string, opts fleet.Options) (gitState, int, error) {
	var st gitState
	if _, err := os.Stat(file); err == nil {
		st.OnDisk = true
	} else if !errors.Is(err, fs.ErrNotExist) {
		return st, 0, err
	}
	inHead, err := inHead(ctx, abs, filepath.Join("clusters", cd.Name+".yaml"))
	switch {
	case errors.Is(err, gitrepo.ErrNotRepository) && cd.Git.NoCommit:
		// The user commits, somewhere fleetup does not see: a file on
		// disk is taken as committed.
		inHead = true
	case errors.Is(err, gitrepo.ErrNotRepository):
		// prepareWrite says what to do.
	case err != nil:
		return st, 0, err
	}
	st.InHead = inHead
	if !st.OnDisk {
		return st, 0, nil
	}
	base := os.DirFS(filepath.Dir(abs))
	dir := filepath.Base(abs)
	next, err := fleet.Load(ctx, &scaffold.Overlay{Base: base, Removed: map[string]bool{shown: true}}, dir, opts)
	if err != nil {
		return st, 0, fmt.Errorf("the fleet without cluster %s would still have problems, fix them first (nothing was changed):\n%w", cd.Name, err)
	}
	var c *fleet.Cluster
	if cur, err := fleet.Load(ctx, base, dir, opts); err == nil {
		c = cur.Cluster(cd.Name)
	}
	if c != nil {
		st.Marked = c.Decommission
		if c.Revision != "" && !c.Decommission {
			// Argo CD renders a pinned cluster's chart at its pin.
			cd.note(fmt.Sprintf("cluster %s is pinned to %s: Argo CD renders its chart at that commit, whose packages/fleet-cluster must know decommission (fleetup's does since the marker exists); otherwise remove the pin first", cd.Name, c.Revision))
		}
	} else {
		st.Broken = true
		cd.note(fmt.Sprintf("%s does not load, so its addons cannot be switched off first: it is removed in one commit", shown))
	}
	return st, len(next.Clusters), nil
}

// inHead reports whether the repository holding the fleet directory abs
// has rel (relative to abs) at HEAD.
func inHead(ctx context.Context, abs, rel string) (bool, error) {
	repo, err := gitrepo.Open(abs)
	if err != nil {
		return false, err
	}
	fleetRel, err := repo.Rel(abs)
	if err != nil {
		return false, err
	}
	snap, err := repo.Resolve(ctx, "HEAD")
	if err != nil {
		return false, err
	}
	if snap.Unborn {
		return false, nil
	}
	_, err = fs.Stat(snap.FS, path.Join(fleetRel, filepath.ToSlash(rel)))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// connect reaches the hub as `cluster get` does, within liveTimeout.
func (cd *ClusterDelete) connect(ctx context.Context) (*kube.Client, error) {
	ctx, cancel := context.WithTimeout(ctx, liveTimeout)
	defer cancel()
	kc, err := cd.hub(ctx)
	if err != nil {
		return nil, err
	}
	// Reading what the command reads proves the connection.
	if _, err := readLeft(ctx, kc, cd.Name, &destinations{names: map[string]bool{}, servers: map[string]bool{}}); err != nil {
		return nil, err
	}
	return kc, nil
}

// deletion is one run's state.
type deletion struct {
	cd               *ClusterDelete
	kc               *kube.Client // nil: the hub is not read
	cfg              *config.Config
	fw               *fleetWrite
	dir, shown, file string
	dest             *destinations
	res              *WriteResult
}

// question is what approval is asked for.
func (d *deletion) question(step deleteStep, st gitState, remain int) string {
	name := d.cd.Name
	switch {
	case step == stepMark && d.cd.Git.NoCommit:
		return fmt.Sprintf("Delete cluster %s, first step: write decommission: true into %s (not committed).\n"+
			"Once it is committed and Argo CD has removed the cluster's addons, run the command again to remove the file.\n", name, d.shown)
	case step == stepMark:
		return fmt.Sprintf("Delete cluster %s, in two commits:\n"+
			"  1. fleet: decommission cluster %s: Argo CD removes the cluster's addons while it can still reach it;\n"+
			"  2. fleet: delete cluster %s, once they are gone: Argo CD deregisters the cluster, then deletes its Cluster API objects, and Cluster API the cluster (%d clusters remain).\n", name, name, name, remain)
	case st.Marked && d.kc != nil:
		return fmt.Sprintf("Delete cluster %s (decommissioned already): once its addons are gone, remove %s and commit the removal.\n"+
			"Argo CD then deregisters the cluster, deletes its Cluster API objects, and Cluster API the cluster (%d clusters remain).\n", name, d.shown, remain)
	}
	return fmt.Sprintf("Delete cluster %s: remove %s and commit the removal.\n"+
		"Once Argo CD syncs that commit it deletes the cluster's Cluster API objects, and Cluster API the cluster (%d clusters remain).\n", name, d.shown, remain)
}

// run goes from step to the end, or to where --no-commit and --no-wait
// stop.
func (d *deletion) run(ctx context.Context, step deleteStep, st gitState) error {
	cd, g := d.cd, d.cd.Global
	d.res = &WriteResult{Command: "cluster delete", Fleet: d.dir, Written: []string{}, Removed: []string{}, Unchanged: []string{}}
	if step == stepMark {
		if err := d.mark(ctx); err != nil {
			return err
		}
		if cd.Git.NoCommit {
			return d.finish("commit and push it; once Argo CD has removed the cluster's addons, run the command again to remove the file")
		}
		if cd.NoWait {
			return d.finish("Argo CD now removes the cluster's addons; run the command again to remove the file once they are gone")
		}
		if err := d.waitAddons(ctx); err != nil {
			return err
		}
	}
	if step <= stepRemove {
		if step == stepRemove {
			// A run killed after its marker commit may not have asked
			// Argo CD to read Git.
			d.refresh(ctx)
		}
		if st.Marked && d.kc != nil {
			if cd.NoWait {
				left, err := readLeft(ctx, d.kc, cd.Name, d.dest)
				if err != nil {
					return err
				}
				if !left.addonsGone() {
					return fmt.Errorf("the addons of cluster %s are still leaving it (left %s): %s was not removed; run the command again once they are gone, or without --no-wait to wait for them", cd.Name, left.addonsLeft(), d.shown)
				}
			} else if err := d.waitAddons(ctx); err != nil {
				return err
			}
		}
		if err := d.remove(ctx); err != nil {
			return err
		}
		if cd.Git.NoCommit || d.kc == nil {
			return d.finish("")
		}
		if cd.NoWait {
			return d.finish("Argo CD now deregisters the cluster and deletes it")
		}
	}
	if step == stepWait {
		d.refresh(ctx)
	}
	begin := time.Now()
	if _, err := waitLeft(ctx, d.kc, cd.Name, d.dest, cd.Timeout, fmt.Sprintf("cluster %s to leave the hub", cd.Name),
		(*hubLeft).gone, (*hubLeft).String, d.progress("waiting for the hub to delete cluster "+cd.Name)); err != nil {
		return fmt.Errorf("%w (the command can be run again to go on waiting)", err)
	}
	g.noteLine(fmt.Sprintf("cluster %s is deleted: nothing of it is left on the hub (after %s)", cd.Name, time.Since(begin).Round(time.Second)))
	return d.finish("")
}

// markerLine matches a top-level decommission key of a cluster file.
var markerLine = regexp.MustCompile(`(?m)^decommission:.*$`)

// mark writes decommission: true into the cluster file and commits it;
// a marker written but never committed is committed now.
func (d *deletion) mark(ctx context.Context) error {
	data, err := os.ReadFile(d.file)
	if err != nil {
		return err
	}
	next := withMarker(data)
	var changes []scaffold.Change
	if string(next) != string(data) {
		changes = append(changes, scaffold.Change{File: d.file, Data: next})
		d.res.Written = append(d.res.Written, d.shown)
	} else {
		d.res.Unchanged = append(d.res.Unchanged, d.shown)
	}
	return d.commit(ctx, changes, fmt.Sprintf("fleet: decommission cluster %s\n\n"+
		"Its addons leave it first, while Argo CD can still reach it;\n"+
		"`fleetup cluster delete %s` then removes the file.\n", d.cd.Name, d.cd.Name))
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// withMarker is a cluster file with decommission: true, its comments and
// other keys kept.
func withMarker(data []byte) []byte {
	if markerLine.Match(data) {
		return markerLine.ReplaceAll(data, []byte("decommission: true"))
	}
	out := append([]byte{}, data...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	return append(out, "# Written by `fleetup cluster delete`: the cluster's addons leave it, then this file goes.\ndecommission: true\n"...)
}

// remove removes the cluster file and commits the removal; a removal
// never committed is committed now.
func (d *deletion) remove(ctx context.Context) error {
	var changes []scaffold.Change
	if _, err := os.Stat(d.file); err == nil {
		changes = append(changes, scaffold.Change{File: d.file, Remove: true})
	}
	d.res.Removed = append(d.res.Removed, d.shown)
	return d.commit(ctx, changes, fmt.Sprintf("fleet: delete cluster %s\n", d.cd.Name))
}

// commit applies one step's changes, prints it (text), and asks Argo CD
// to read Git now.
func (d *deletion) commit(ctx context.Context, changes []scaffold.Change, message string) error {
	g := d.cd.Global
	res := &WriteResult{Command: d.res.Command, Fleet: d.res.Fleet, Written: []string{}, Removed: []string{}, Unchanged: []string{}}
	if err := d.fw.apply(ctx, res, changes, message); err != nil {
		return err
	}
	if res.Commit != nil {
		d.res.Commits = append(d.res.Commits, res.Commit)
		d.res.Commit = res.Commit
	}
	if res.Push != nil {
		d.res.Push = res.Push
	}
	if g.Output != "json" {
		for _, c := range changes {
			verb := "wrote"
			if c.Remove {
				verb = "removed"
			}
			fmt.Fprintf(g.Stdout, "%s %s\n", verb, d.shown)
		}
		switch {
		case len(changes) > 0 || d.cd.Git.NoCommit:
		case res.Commit != nil:
			fmt.Fprintf(g.Stdout, "already written, not yet committed: %s\n", d.shown)
		default:
			fmt.Fprintf(g.Stdout, "already committed: %s\n", firstLine(message))
		}
		if err := res.printCommit(g); err != nil {
			return err
		}
	}
	// Asked after every step, a rerun's too: a run killed before it
	// asked would otherwise leave Argo CD to its poll.
	d.refresh(ctx)
	return nil
}

// refresh asks the fleet's ApplicationSet to read Git now, when the hub
// is read.
func (d *deletion) refresh(ctx context.Context) {
	if d.kc == nil || d.cd.Git.NoCommit {
		return
	}
	if err := refreshFleet(ctx, d.kc, d.cfg); err != nil {
		d.cd.note(fleetFirstLine(err) + ": Argo CD reads Git at its next poll")
	}
}

// waitAddons waits until the cluster's addons are gone.
func (d *deletion) waitAddons(ctx context.Context) error {
	begin := time.Now()
	_, err := waitLeft(ctx, d.kc, d.cd.Name, d.dest, d.cd.Timeout, fmt.Sprintf("the addons of cluster %s to leave it", d.cd.Name),
		(*hubLeft).addonsGone, (*hubLeft).addonsLeft, d.progress("waiting for the addons of cluster "+d.cd.Name+" to leave it"))
	if err != nil {
		return fmt.Errorf("%w; %s was not removed (run the command again to go on)", err, d.shown)
	}
	d.cd.Global.noteLine(fmt.Sprintf("the addons of cluster %s are gone (after %s)", d.cd.Name, time.Since(begin).Round(time.Second)))
	return nil
}

// progress prints a wait's state as it changes.
func (d *deletion) progress(what string) func(string) {
	return func(left string) { d.cd.Global.noteLine(fmt.Sprintf("%s: left %s", what, left)) }
}

// finish prints the result (JSON: the whole run) and a last note.
func (d *deletion) finish(next string) error {
	g := d.cd.Global
	if next != "" {
		g.noteLine(next)
	}
	if g.Output != "json" {
		return nil
	}
	return d.res.print(g)
}
