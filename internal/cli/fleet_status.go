package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/fleetup/fleetup/internal/capi"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/internal/kube"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// FleetStatusSchema is the version of `fleet status -o json`'s document:
// fields may be added within a version, never renamed or removed.
const FleetStatusSchema = 1

// Cluster states of fleet status.
const (
	StateReady       = "ready"
	StateProgressing = "progressing"
	StateFailed      = "failed"
	StateMissing     = "missing"
	StateOrphaned    = "orphaned"
	StateDeleting    = "deleting"
)

// FleetStatus is `fleetup fleet status`: every cluster of Git joined with
// what the hub runs, judged against what Git says.
type FleetStatus struct {
	Fleet
	// Watch re-evaluates on every change until every cluster is ready.
	Watch bool
	// IsTerminal overrides the terminal check (tests).
	IsTerminal func() bool
	// Now is the clock of the watch lines (tests fix it).
	Now func() time.Time
}

// FleetStatusReport is the document `fleet status -o json` prints.
type FleetStatusReport struct {
	SchemaVersion int    `json:"schemaVersion"`
	Fleet         string `json:"fleet"`
	// Tracked is the revision the fleet's ApplicationSet tracks
	// (config.yaml's repo.revision) and the commit it is in the local
	// clone; Note says why the commit is unknown.
	Tracked TrackedRevision `json:"tracked"`
	// Ready: every cluster is ready (the exit code is 0).
	Ready    bool            `json:"ready"`
	Summary  map[string]int  `json:"summary"`
	Clusters []ClusterStatus `json:"clusters"`
}

// TrackedRevision is the branch Argo CD follows and its commit.
type TrackedRevision struct {
	Revision string `json:"revision"`
	Commit   string `json:"commit,omitempty"`
	Note     string `json:"note,omitempty"`
}

// ClusterStatus is one row: what Git says, what the hub runs, the verdict.
type ClusterStatus struct {
	Name string `json:"name"`
	// State is ready, progressing, failed, missing, orphaned or deleting;
	// Reason says what it waits for or what failed (empty when ready).
	State  string       `json:"state"`
	Reason string       `json:"reason,omitempty"`
	Git    *ClusterGit  `json:"git"`
	Live   ClusterHub   `json:"live"`
	Wave   *int         `json:"wave"`
	Checks StatusChecks `json:"checks"`
}

// ClusterGit is what the fleet's files say of a cluster; nil for a
// cluster only the hub has (orphaned, deleting).
type ClusterGit struct {
	File    string            `json:"file"`
	Profile string            `json:"profile"`
	Layers  map[string]string `json:"layers"`
	Flavour string            `json:"flavour"`
	// KubernetesVersion is the effective kubernetesVersion.
	KubernetesVersion string   `json:"kubernetesVersion,omitempty"`
	Bundle            []string `json:"bundle"`
	// Revision is the commit the cluster should run: its pin (Pinned) or
	// the tracked branch's commit; empty when unknown.
	Revision string `json:"revision,omitempty"`
	Pinned   bool   `json:"pinned"`
}

// ClusterHub is what the hub has of a cluster.
type ClusterHub struct {
	// Registered: an Argo CD cluster secret labelled with the cluster.
	Registered bool   `json:"registered"`
	Secret     string `json:"secret,omitempty"`
	Server     string `json:"server,omitempty"`
	// Application is fleet-<cluster>; nil when it does not exist.
	Application *FleetApp `json:"application"`
	// Addons are the cluster's addon Applications and the bundle's
	// addons that have none yet (state missing); AddonsHealthy counts
	// the healthy ones.
	AddonsHealthy int       `json:"addonsHealthy"`
	Addons        []AppLive `json:"addons"`
	// ClusterAPI is the cluster's Cluster API state; nil for the
	// existing flavour, which has none.
	ClusterAPI *capi.State `json:"clusterAPI"`
}

// FleetApp is the fleet-<cluster> Application.
type FleetApp struct {
	AppLive
	// Revision is the commit Argo CD compared (status.sync.revision, or
	// the one of status.sync.revisions).
	Revision string `json:"revision,omitempty"`
	Deleting bool   `json:"deleting,omitempty"`
}

// StatusChecks are the verdict's parts, each true when as Git says.
type StatusChecks struct {
	Revision   bool `json:"revision"`
	Synced     bool `json:"synced"`
	ClusterAPI bool `json:"clusterAPI"`
	Registered bool `json:"registered"`
	Addons     bool `json:"addons"`
}

// Run prints the fleet's status once, or watches it; the exit code is 0
// only when every cluster is ready.
func (fs *FleetStatus) Run(ctx context.Context) error {
	src, err := fs.source(ctx)
	if err != nil {
		return err
	}
	if fs.Watch {
		return fs.watch(ctx, src)
	}
	rep, err := src.evaluate(ctx)
	if err != nil {
		return err
	}
	if err := fs.print(rep); err != nil {
		return err
	}
	return exitFor(rep)
}

// exitFor is nil when every cluster is ready, exit 1 otherwise.
func exitFor(rep *FleetStatusReport) error {
	if rep.Ready {
		return nil
	}
	return &ExitError{Code: ExitFailure}
}

// statusSource evaluates the fleet's status: the fleet from the working
// tree and the hub, read again at every evaluation.
type statusSource struct {
	fs *FleetStatus
	kc *kube.Client
	// loaded is the fleet source loaded, for the first evaluation.
	loaded *loadedFleet
}

// loadedFleet is what loadWithConfig returns.
type loadedFleet struct {
	f   *fleet.Fleet
	dir string
	cfg *config.Config
}

// source loads the fleet (an invalid one is a usage error before the hub
// is asked) and connects to the hub, once.
func (fs *FleetStatus) source(ctx context.Context) (*statusSource, error) {
	f, dir, cfg, err := fs.loadWithConfig(ctx)
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, liveTimeout)
	defer cancel()
	kc, err := fs.hub(cctx)
	if err != nil {
		return nil, fmt.Errorf("fleet status reads the hub: %w", err)
	}
	return &statusSource{fs: fs, kc: kc, loaded: &loadedFleet{f: f, dir: dir, cfg: cfg}}, nil
}

// evaluate reads Git and the hub and judges every cluster.
func (s *statusSource) evaluate(ctx context.Context) (*FleetStatusReport, error) {
	l := s.loaded
	s.loaded = nil
	if l == nil { // the files may have changed since
		f, dir, cfg, err := s.fs.loadWithConfig(ctx)
		if err != nil {
			return nil, err
		}
		l = &loadedFleet{f: f, dir: dir, cfg: cfg}
	}
	f, dir, cfg := l.f, l.dir, l.cfg
	tracked := trackedRevision(ctx, s.fs.root, cfg)
	gits := gitSide(f, tracked, atPins(ctx, filepath.Join(s.fs.root, dir), s.fs.opts, f))
	hub, err := readHub(ctx, s.kc, gits)
	if err != nil {
		return nil, err
	}
	rep := judgeFleet(dir, tracked, gits, hub)
	return rep, nil
}

// hubState is what the hub has for the fleet: Argo CD's view joined to
// the Git clusters, the fleet Applications, the orphans' names and each
// cluster's Cluster API state.
type hubState struct {
	live  map[string]*ClusterLive
	apps  map[string]*FleetApp
	capi  map[string]*capi.State
	extra []string // clusters the hub has and Git does not, sorted
	// orphanSecrets are the cluster secrets of those, by cluster.
	orphanSecrets map[string][]string
}

// readHub lists Argo CD's cluster secrets and Applications once and
// reads each cluster's Cluster API state, a few clusters at a time.
func readHub(ctx context.Context, kc *kube.Client, gits []gitCluster) (*hubState, error) {
	secrets, err := kc.Typed.CoreV1().Secrets(fleetNamespace).List(ctx, metav1.ListOptions{LabelSelector: fleet.ClusterLabel})
	if err != nil {
		return nil, fmt.Errorf("list the Argo CD cluster secrets in %s: %w", fleetNamespace, err)
	}
	apps, err := kc.Dynamic.Resource(kube.Applications).Namespace(fleetNamespace).List(ctx, metav1.ListOptions{})
	switch {
	case notServedList(err):
		apps = nil
	case err != nil:
		return nil, fmt.Errorf("list the Argo CD Applications in %s: %w", fleetNamespace, err)
	}
	h := joinHub(gits, secrets.Items, itemsOf(apps))
	names := append([]string{}, h.extra...)
	flavours := map[string]string{}
	for _, g := range gits {
		names = append(names, g.Name)
		flavours[g.Name] = g.Flavour
	}
	states := make([]*capi.State, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	slots := make(chan struct{}, 8) // a few clusters at a time
	for i, name := range names {
		if flavours[name] == "existing" {
			continue // no Cluster API objects
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			st, err := capi.Read(ctx, kc, name)
			if err != nil {
				errs[i] = fmt.Errorf("cluster %s: %w", name, err)
				return
			}
			states[i] = &st
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for i, name := range names {
		if states[i] != nil {
			h.capi[name] = states[i]
		}
	}
	return h, nil
}
