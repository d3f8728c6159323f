package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/capi"
	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/internal/fleet/rollout"
	"github.com/fleetup/fleetup/internal/gitrepo"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/report"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// gitCluster is a cluster as the fleet's files say it.
type gitCluster struct {
	Name string
	Wave *int
	ClusterGit
}

// trackedRevision resolves the revision the fleet's ApplicationSet tracks
// (config.yaml's repo.revision, HEAD without a config) in the local clone
// holding the fleet: the commit an unpinned cluster should run.
func trackedRevision(ctx context.Context, root string, cfg *config.Config) TrackedRevision {
	t := TrackedRevision{Revision: "HEAD"}
	if cfg != nil && cfg.Repo.Revision != "" {
		t.Revision = cfg.Repo.Revision
	}
	repo, err := gitrepo.Open(root)
	if err != nil {
		t.Note = "the revision is not checked: " + fleetFirstLine(err)
		return t
	}
	snap, err := repo.Resolve(ctx, t.Revision)
	switch {
	case err != nil:
		t.Note = "the revision is not checked: " + fleetFirstLine(err)
	case snap.Unborn:
		t.Note = "the revision is not checked: the repository has no commits yet"
	default:
		t.Commit = snap.Commit
	}
	return t
}

// gitSide is every cluster of the fleet with what it should run: the
// commit its file pins (`revision`, which `fleet rollout` writes and the
// fleet's ApplicationSet renders it at) with its values there (pinned,
// from atPins), else the tracked one. In rollout order: by wave, the
// clusters without one last.
func gitSide(f *fleet.Fleet, tracked TrackedRevision, pinned map[string]*fleet.Cluster) []gitCluster {
	out := make([]gitCluster, 0, len(f.Clusters))
	for _, w := range rollout.Waves(f) {
		for _, c := range w.Clusters {
			v := viewOf(c)
			if at := pinned[c.Name]; at != nil {
				v = viewOf(at)
			}
			g := gitCluster{Name: c.Name, Wave: c.Wave, ClusterGit: ClusterGit{File: c.File, Profile: c.Profile, Layers: c.Layers,
				Flavour: v.Flavour, KubernetesVersion: v.Version, Bundle: v.Bundle, Revision: tracked.Commit}}
			if c.Revision != "" {
				g.Revision, g.Pinned = c.Revision, true
			}
			out = append(out, g)
		}
	}
	return out
}

// notServedList: Argo CD's Application CRD is not installed.
func notServedList(err error) bool {
	return kube.IsNoMatch(err) || apierrors.IsNotFound(err)
}

func itemsOf(l *unstructured.UnstructuredList) []unstructured.Unstructured {
	if l == nil {
		return nil
	}
	return l.Items
}

// joinHub matches Argo CD's cluster secrets and Applications to the Git
// clusters (as cluster list does) and finds the fleet Applications and
// the clusters only the hub has.
func joinHub(gits []gitCluster, secrets []corev1.Secret, apps []unstructured.Unstructured) *hubState {
	bundles := make(map[string][]string, len(gits))
	for _, g := range gits {
		bundles[g.Name] = g.Bundle
	}
	inGit := func(name string) bool { _, ok := bundles[name]; return ok }
	h := &hubState{live: joinLive(fleetNamespace, secrets, apps, bundles), apps: map[string]*FleetApp{}, capi: map[string]*capi.State{}, orphanSecrets: map[string][]string{}}
	extra := map[string]bool{}
	for i := range apps {
		app := &apps[i]
		c, ok := strings.CutPrefix(app.GetName(), fleet.AppPrefix)
		if !ok || app.GetLabels()[fleet.ClusterLabel] != c {
			continue // an addon's Application, or not the fleet's
		}
		a := argocd.Read(app)
		fa := &FleetApp{AppLive: appLive(app, ""), Revision: oneRevision(a.Revision), Deleting: a.Deleting}
		// The whole message: a webhook's refusal names the field last.
		fa.Message = argocd.OneLine(a.Verdict().Message, 1000)
		if msg, refused := a.Refused(); refused && fa.State != string(report.AddonFailed) {
			// Argo CD retries a refused sync for ever: it is failed,
			// with the API server's words, not in progress.
			fa.State, fa.Message = string(report.AddonFailed), "sync refused: "+msg
		}
		h.apps[c] = fa
		if !inGit(c) {
			extra[c] = true
		}
	}
	for _, s := range secrets {
		if c := s.Labels[fleet.ClusterLabel]; c != "" && s.Labels[catalog.LabelSecretType] == "cluster" && !inGit(c) {
			extra[c] = true
			h.orphanSecrets[c] = append(h.orphanSecrets[c], fleetNamespace+"/"+s.Name)
		}
	}
	for c := range extra {
		h.extra = append(h.extra, c)
	}
	sort.Strings(h.extra)
	return h
}

// oneRevision is the commit of a multi-source Application's revisions
// ("a,a": the chart and the value files from the same commit), or them
// all when they differ.
func oneRevision(revs string) string {
	parts := strings.Split(revs, ",")
	for _, p := range parts[1:] {
		if p != parts[0] {
			return revs
		}
	}
	return parts[0]
}

// judgeFleet judges every cluster, in the order of gits, then the
// clusters only the hub has, and sums up.
func judgeFleet(dir string, tracked TrackedRevision, gits []gitCluster, h *hubState) *FleetStatusReport {
	rep := &FleetStatusReport{SchemaVersion: FleetStatusSchema, Fleet: dir, Tracked: tracked, Summary: map[string]int{}, Clusters: []ClusterStatus{}}
	for _, g := range gits {
		rep.Clusters = append(rep.Clusters, judgeCluster(g, h.live[g.Name], h.apps[g.Name], h.capi[g.Name]))
	}
	for _, name := range h.extra {
		rep.Clusters = append(rep.Clusters, judgeOrphan(dir, name, h))
	}
	rep.Ready = true
	for _, c := range rep.Clusters {
		rep.Summary[c.State]++
		rep.Ready = rep.Ready && c.State == StateReady
	}
	return rep
}

// judgeCluster compares what the hub runs for a Git cluster with what Git
// says: the fleet Application applied the cluster's revision and is
// synced and healthy, Cluster API converged at the Kubernetes version,
// Argo CD has the cluster registered, every addon of its bundle healthy.
func judgeCluster(g gitCluster, live *ClusterLive, app *FleetApp, st *capi.State) ClusterStatus {
	if live == nil {
		live = &ClusterLive{Addons: []AppLive{}}
	}
	gc := g.ClusterGit
	cs := ClusterStatus{Name: g.Name, Wave: g.Wave, Git: &gc,
		Live: ClusterHub{Registered: live.Registered, Secret: live.Secret, Server: live.Server, Application: app,
			AddonsHealthy: live.Healthy(), Addons: live.Addons, ClusterAPI: st}}
	appName := fleet.AppName(g.Name)
	var capiOK bool
	var capiReason string
	if st == nil { // existing: no Cluster API objects
		capiOK = true
	} else {
		capiOK, capiReason = st.Converged(g.KubernetesVersion)
	}
	cs.Checks = StatusChecks{
		Revision:   app != nil && (g.Revision == "" || sameCommit(app.Revision, g.Revision)),
		Synced:     app != nil && app.State == string(report.AddonHealthy),
		ClusterAPI: capiOK,
		Registered: live.Registered,
		Addons:     live.Healthy() == len(live.Addons),
	}
	if app == nil && !live.Registered && (st == nil || !st.Found) {
		cs.State, cs.Reason = StateMissing, fmt.Sprintf("nothing on the hub: no Application %s, no cluster secret, no Cluster API Cluster (Argo CD makes them once the cluster file is in the branch it tracks)", appName)
		return cs
	}
	if r := failure(appName, app, st, live); r != "" {
		cs.State, cs.Reason = StateFailed, r
		return cs
	}
	cs.State = StateProgressing
	switch {
	case app == nil:
		cs.Reason = "no Application " + appName + " yet"
	case !cs.Checks.Revision:
		cs.Reason = fmt.Sprintf("Application %s has %s, not %s yet", appName, revisionOrNone(app.Revision), shortRev(g.Revision))
	case !cs.Checks.Synced:
		cs.Reason = fmt.Sprintf("Application %s: %s: %s", appName, app.State, app.Message)
	case !capiOK:
		cs.Reason = capiReason
	case !live.Registered:
		cs.Reason = fmt.Sprintf("not registered in Argo CD yet: no cluster secret labelled %s=%s in %s", fleet.ClusterLabel, g.Name, fleetNamespace)
	case !cs.Checks.Addons:
		a := firstUnhealthy(live.Addons)
		cs.Reason = fmt.Sprintf("addons %d/%d healthy; %s (%s): %s", live.Healthy(), len(live.Addons), a.Addon, a.Name, a.State)
		if a.Message != "" {
			cs.Reason += ": " + a.Message
		}
	default:
		cs.State = StateReady
	}
	return cs
}

// failure is what failed, rather than is in progress: the fleet
// Application's sync or health (Argo CD also says when a webhook refused
// an object), what Cluster API reports failed, an addon failed.
func failure(appName string, app *FleetApp, st *capi.State, live *ClusterLive) string {
	if app != nil && (app.State == string(report.AddonFailed) || app.State == string(report.AddonDegraded)) {
		return fmt.Sprintf("Application %s: %s: %s", appName, app.State, app.Message)
	}
	if st != nil {
		if ps := st.Problems(); len(ps) > 0 {
			return ps[0]
		}
	}
	for _, a := range live.Addons {
		if a.State == string(report.AddonFailed) || a.State == string(report.AddonDegraded) {
			return fmt.Sprintf("addon %s (%s): %s: %s", a.Addon, a.Name, a.State, a.Message)
		}
	}
	return ""
}

func firstUnhealthy(addons []AppLive) AppLive {
	for _, a := range addons {
		if a.State != string(report.AddonHealthy) {
			return a
		}
	}
	return AppLive{}
}

// judgeOrphan is a cluster the hub has and Git does not: its Application
// or Cluster being deleted (deleting), or left behind (orphaned).
func judgeOrphan(dir, name string, h *hubState) ClusterStatus {
	app, st := h.apps[name], h.capi[name]
	cs := ClusterStatus{Name: name, Live: ClusterHub{Application: app, Addons: []AppLive{}, ClusterAPI: st}}
	var what []string
	if app != nil {
		what = append(what, "Application "+app.Name)
	}
	if st != nil && st.Found {
		what = append(what, st.Ref())
	}
	cs.State = StateOrphaned
	cs.Reason = fmt.Sprintf("not in Git (no %s/clusters/%s.yaml)", dir, name)
	switch {
	case app != nil && app.Deleting:
		cs.State, cs.Reason = StateDeleting, cs.Reason+": Argo CD is deleting Application "+app.Name+" and the cluster's objects"
	case st != nil && st.Found && st.Deleting:
		cs.State, cs.Reason = StateDeleting, cs.Reason+": Cluster API is deleting "+st.Ref()
	case len(what) > 0:
		cs.Reason += ": " + strings.Join(what, " and ") + " remain"
	default:
		cs.Reason += ": only its Argo CD cluster secret remains"
	}
	if ss := h.orphanSecrets[name]; len(ss) > 0 {
		cs.Live.Registered, cs.Live.Secret = true, strings.Join(ss, ",")
	}
	return cs
}

// sameCommit: every revision Argo CD compared (full hashes) is the
// commit want, full or abbreviated to 7 or more digits.
func sameCommit(applied, want string) bool {
	if applied == "" || len(want) < 7 {
		return false
	}
	for _, a := range strings.Split(applied, ",") {
		if !strings.HasPrefix(a, want) {
			return false
		}
	}
	return true
}

func shortRev(r string) string {
	if len(r) == 40 && !strings.Contains(r, ",") {
		return r[:12]
	}
	return r
}

func revisionOrNone(r string) string {
	if r == "" {
		return "applied no revision"
	}
	return "applied " + shortRev(r)
}
