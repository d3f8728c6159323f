package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fleetup/fleetup/internal/capi"
	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/internal/fleet/rollout"
	"github.com/fleetup/fleetup/internal/fleet/scaffold"
	"github.com/fleetup/fleetup/internal/gitrepo"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	"github.com/fleetup/fleetup/internal/record"
)

// FleetRollout is `fleetup fleet rollout [REV]`.
type FleetRollout struct {
	Fleet
	// Revision is the commit to roll out; empty: the recorded rollout if
	// one was stopped while running, else HEAD.
	Revision string
	// Push pushes each wave's pin commit (--push).
	Push        bool
	WaveTimeout time.Duration
	// IsTerminal reports whether stdin is a terminal (tests replace it).
	IsTerminal func() bool
}

// Run rolls the revision out wave by wave; see internal/fleet/rollout.
func (fr *FleetRollout) Run(ctx context.Context) error {
	g := fr.Global
	abs, opts, cfg, err := fr.locateConfig(true)
	if err != nil {
		return err
	}
	if cfg == nil {
		return Usage(fmt.Errorf("fleet rollout needs %s: it names the repository Argo CD reads and the hub", g.ConfigFile))
	}
	repo, err := gitrepo.Open(abs)
	if errors.Is(err, gitrepo.ErrNoRepository) {
		return Usage(fmt.Errorf("%w: fleet rollout commits the pins of each wave; run it in a clone of the platform repository", err))
	} else if err != nil {
		return err
	}
	kc, err := fr.hub(ctx)
	if err != nil {
		return fmt.Errorf("fleet rollout: the hub: %w", err)
	}
	rev := fr.Revision
	if rev == "" {
		rev = "HEAD"
		rec, err := record.LoadRollout(ctx, kc)
		if err != nil {
			return err
		}
		if rec != nil && rec.Phase == record.RolloutRunning {
			rev = rec.Revision // stopped while running: resume it
		}
	}
	snap, err := repo.Resolve(ctx, rev)
	if errors.Is(err, gitrepo.ErrUnknownRevision) {
		return Usage(err)
	} else if err != nil {
		return err
	}
	if snap.Unborn {
		return Usage(errors.New("the repository has no commit yet: commit the fleet first"))
	}
	dir := filepath.Base(abs)
	f, err := fleet.Load(ctx, fleet.DirFS(filepath.Dir(abs)), dir, opts)
	if err != nil {
		return err
	}
	// Each cluster renders the revision's chart, profile and layers: they
	// must be valid there, and hold what the clusters name.
	at, err := fleetAt(ctx, repo, snap, abs, opts)
	if err != nil {
		return Usage(fmt.Errorf("the fleet at %s does not load, nothing was pinned:\n%w", rollout.Short(snap.Commit), err))
	}
	if err := clustersAt(f, at, snap.Commit); err != nil {
		return Usage(err)
	}
	subject, _, _ := strings.Cut(snap.Message, "\n")
	waves := rollout.Waves(f)
	if !g.Yes && !stdinTerminal(g, fr.IsTerminal) {
		return Usage(errors.New("no terminal to ask for approval: pass --yes to roll out without asking (nothing was pinned)"))
	}
	if !g.Yes {
		ok, err := ask(g, rolloutSummary(snap.Commit, subject, waves, fr.WaveTimeout))
		if err != nil {
			return err
		}
		if !ok {
			return Usage(errors.New("not approved: nothing was pinned"))
		}
	}
	w := plan.FleetWiring(cfg, fleetNamespace)
	ro := &rollout.Rollout{
		Fleet: f, Revision: snap.Commit, Subject: subject,
		Gate: rollout.Gate{Kube: kc, Namespace: fleetNamespace, AppSet: w.Name, Converged: convergedAt(kc, f, at),
			Bundle: func(c *fleet.Cluster) []string {
				if a := at.Cluster(c.Name); a != nil {
					return a.Bundle()
				}
				return c.Bundle()
			}},
		Commit: &pinWriter{g: g, push: fr.Push, dir: abs},
		Kube:   kc, WaveTimeout: fr.WaveTimeout,
		Log: func(line string) {
			if g.Output != "json" {
				fmt.Fprintln(g.Stdout, g.Redact(line))
			}
		},
	}
	res, err := ro.Run(ctx)
	if g.Output == "json" && res != nil {
		if jerr := writeFleetJSON(&redactingWriter{w: g.Stdout, g: g}, res); jerr != nil && err == nil {
			err = jerr
		}
	}
	if err == nil && g.Output != "json" {
		fmt.Fprintf(g.Stdout, "rolled out %s to %s\n", rollout.Short(snap.Commit), plan.Count(len(f.Clusters), "cluster"))
	}
	return err
}

// convergedAt judges a cluster's Cluster API objects against the
// Kubernetes version its values give at the revision (the working tree's
// for a cluster the revision does not have); a cluster of the existing
// flavour has none.
func convergedAt(kc *kube.Client, f, at *fleet.Fleet) rollout.Converged {
	return func(ctx context.Context, cluster string) (bool, string, error) {
		c := at.Cluster(cluster)
		if c == nil {
			c = f.Cluster(cluster)
		}
		if c == nil {
			return false, "", fmt.Errorf("cluster %s is not in the fleet", cluster)
		}
		v := viewOf(c)
		if v.Flavour == string(fleet.FlavourExisting) {
			return true, "", nil
		}
		st, err := capi.Read(ctx, kc, cluster)
		if err != nil {
			return false, "", err
		}
		ok, reason := st.Converged(v.Version)
		return ok, reason, nil
	}
}

// clustersAt checks that each cluster's profile and layer files exist at
// the revision: a cluster pinned there renders them.
func clustersAt(f, at *fleet.Fleet, commit string) error {
	var probs []string
	for _, c := range f.Clusters {
		if at.Profiles[c.Profile] == nil {
			probs = append(probs, fmt.Sprintf("cluster %s: profile %s does not exist at %s", c.Name, c.Profile, rollout.Short(commit)))
		}
	}
	if len(probs) > 0 {
		return fmt.Errorf("%s; commit it first (nothing was pinned)", strings.Join(probs, "; "))
	}
	return nil
}

func rolloutSummary(commit, subject string, waves []rollout.Wave, timeout time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Roll out %s %s, wave by wave: each wave's clusters are pinned to it (a commit per wave) and the next wave starts when they all run it, healthy (at most %v a wave).\n", rollout.Short(commit), subject, timeout)
	for _, w := range waves {
		var names []string
		for _, c := range w.Clusters {
			names = append(names, c.Name)
		}
		fmt.Fprintf(&b, "  %s: %s\n", w.Label(), strings.Join(names, ", "))
	}
	return b.String()
}

// pinWriter commits pins as the other fleet writes do.
type pinWriter struct {
	g    *Global
	push bool
	dir  string // the fleet directory, absolute
}

// Pin implements rollout.Committer.
// A cluster file must be HEAD's but for its pin: the commit takes the
// whole file, and another change in it would go out unannounced.
func (pw *pinWriter) Pin(ctx context.Context, clusters []*fleet.Cluster, rev, message string) (string, error) {
	repo, err := gitrepo.Open(pw.dir)
	if err != nil {
		return "", err
	}
	head, err := repo.Resolve(ctx, "HEAD")
	if err != nil {
		return "", err
	}
	var files []string
	var changes []scaffold.Change
	for _, c := range clusters {
		file := filepath.Join(filepath.Dir(pw.dir), filepath.FromSlash(c.File))
		data, err := os.ReadFile(file)
		if err != nil {
			return "", err
		}
		pinned, err := rollout.Pin(data, rev)
		if err != nil {
			return "", fmt.Errorf("%s: %w", c.File, err)
		}
		rel, err := repo.Rel(file)
		if err != nil {
			return "", err
		}
		committed, err := fs.ReadFile(head.FS, rel)
		if err != nil {
			return "", fmt.Errorf("%s is not committed: commit it first (nothing was pinned)", c.File)
		}
		if was, err := rollout.Pin(committed, rev); err != nil || !bytes.Equal(was, pinned) {
			return "", fmt.Errorf("%s has uncommitted changes besides its pin: commit or discard them first (nothing was pinned)", c.File)
		}
		files = append(files, file)
		changes = append(changes, scaffold.Change{File: file, Data: pinned})
	}
	fw, err := prepareWrite(pw.g, GitOptions{Push: pw.push}, pw.dir, files)
	if err != nil {
		return "", err
	}
	res := &WriteResult{}
	if err := fw.apply(ctx, res, changes, message); err != nil {
		return "", err
	}
	if res.Commit == nil {
		return "", nil // the pins were committed already (a rerun)
	}
	return res.Commit.Hash, nil
}
