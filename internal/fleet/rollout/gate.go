package rollout

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	"github.com/fleetup/fleetup/internal/report"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Converged judges a cluster's Cluster API objects: done when they run
// what the cluster's Application applied; otherwise why not, in Cluster
// API's words. An error is a failure to read, not a verdict.
type Converged func(ctx context.Context, cluster string) (ok bool, reason string, err error)

// Gate decides when a cluster runs a revision, healthy. Its waits watch
// the objects: no polling interval.
type Gate struct {
	Kube *kube.Client
	// Namespace is Argo CD's; AppSet the fleet's ApplicationSet there.
	Namespace, AppSet string
	// Converged judges Cluster API; nil for none (the existing flavour).
	Converged Converged
	// Bundle is a cluster's addons at the revision rolled out; nil: as
	// the cluster's values (the work tree) have them.
	Bundle func(c *fleet.Cluster) []string
}

// ClusterError is a cluster that failed its gate: the step and the
// condition, as the component reported it.
type ClusterError struct {
	Cluster, Step, Reason string
}

func (e *ClusterError) Error() string {
	return fmt.Sprintf("cluster %s: %s: %s", e.Cluster, e.Step, e.Reason)
}

// Kick asks Argo CD to read Git again now: the fleet's ApplicationSet
// (its Git generator polls every few minutes) for the new pins, and each
// cluster's Application for its new revision.
func (g Gate) Kick(ctx context.Context, clusters []*fleet.Cluster) error {
	if err := argocd.RefreshApplicationSets(ctx, g.Kube, g.Namespace, g.AppSet); err != nil {
		return err
	}
	var names []string
	for _, c := range clusters {
		names = append(names, fleet.AppName(c.Name))
	}
	return argocd.Refresh(ctx, g.Kube, g.Namespace, names...)
}

// Wait returns when cluster c runs rev: its Application fleet-<c> targets
// rev, was compared at rev and is Synced and Healthy; Cluster API has
// converged; every Application deployed to it is healthy. A failed sync
// (a change Cluster API's webhooks refuse, say) fails at once.
func (g Gate) Wait(ctx context.Context, c *fleet.Cluster, rev string) error {
	name := fleet.AppName(c.Name)
	what := fmt.Sprintf("Application %s/%s to apply %s", g.Namespace, name, Short(rev))
	terminated := false
	_, err := g.Kube.WaitFor(ctx, kube.Applications, g.Namespace, name, what, func(u *unstructured.Unstructured) (bool, error) {
		if u == nil {
			return false, nil
		}
		if !targets(u, rev) {
			return false, nil // the ApplicationSet has not pinned it yet
		}
		last := argocd.Read(u)
		if last.OpPhase == "Running" && last.OpRetries > 0 && !syncedAt(last, rev) && !terminated {
			// Retrying a revision this rollout replaces (refused, say):
			// stop it so that automated sync takes rev now.
			terminated = true
			return false, argocd.TerminateOperation(ctx, g.Kube, g.Namespace, name)
		}
		if msg, ok := last.Refused(); ok && syncedAt(last, rev) {
			return false, &ClusterError{Cluster: c.Name, Step: "Application " + name + " sync refused", Reason: msg}
		}
		v := last.Verdict()
		if v.State == report.AddonFailed {
			return false, &ClusterError{Cluster: c.Name, Step: "Application " + name, Reason: v.Message}
		}
		return v.State == report.AddonHealthy && appliedAt(last.Revision, rev), nil
	})
	if err != nil {
		return gateError(c.Name, "Application "+name, err)
	}
	if g.Converged != nil {
		if err := g.waitConverged(ctx, c.Name); err != nil {
			return err
		}
	}
	return g.waitDeployed(ctx, c)
}

// waitDeployed waits for each Application deployed to the cluster (its
// addons, as its cluster secret names it) to be healthy, and for each
// addon of its bundle to have one: the catalog makes them one level of
// the dependency graph after the other, so right after a change some are
// not there yet.
func (g Gate) waitDeployed(ctx context.Context, c *fleet.Cluster) error {
	cluster := c.Name
	secrets, err := g.Kube.Typed.CoreV1().Secrets(g.Namespace).List(ctx, metav1.ListOptions{LabelSelector: catalog.LabelSecretType + "=cluster," + fleet.ClusterLabel + "=" + cluster})
	if err != nil {
		return fmt.Errorf("cluster %s: list its Argo CD cluster secret: %w", cluster, err)
	}
	if len(secrets.Items) == 0 {
		return &ClusterError{Cluster: cluster, Step: "registration", Reason: "no Argo CD cluster secret labelled " + fleet.ClusterLabel + "=" + cluster + " after its Application is healthy"}
	}
	sec := secrets.Items[0]
	apps, err := g.Kube.Dynamic.Resource(kube.Applications).Namespace(g.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("cluster %s: list the Applications: %w", cluster, err)
	}
	wanted, names := g.wanted(c, sec.Labels, apps.Items)
	for i := range apps.Items {
		a := &apps.Items[i]
		dn, _, _ := unstructured.NestedString(a.Object, "spec", "destination", "name")
		ds, _, _ := unstructured.NestedString(a.Object, "spec", "destination", "server")
		if wanted[a.GetName()] || (dn == "" || dn != string(sec.Data["name"])) && (ds == "" || ds != string(sec.Data["server"])) {
			continue
		}
		names = append(names, a.GetName())
	}
	for _, name := range names {
		what := fmt.Sprintf("Application %s/%s on cluster %s to be healthy", g.Namespace, name, cluster)
		_, err := g.Kube.WaitFor(ctx, kube.Applications, g.Namespace, name, what, func(u *unstructured.Unstructured) (bool, error) {
			if u == nil {
				// Not made yet for an addon of the bundle; removed (not
				// the cluster's any more) for any other.
				return !wanted[name], nil
			}
			v := argocd.Read(u).Verdict()
			if v.State == report.AddonFailed {
				return false, &ClusterError{Cluster: cluster, Step: "Application " + name, Reason: v.Message}
			}
			return v.State == report.AddonHealthy, nil
		})
		if err != nil {
			return gateError(cluster, "Application "+name, err)
		}
	}
	return nil
}

// wanted are the Applications of the cluster's bundle, waited for even
// before they exist, by the name the catalog gives them: the addons of
// the bundle at the revision that its cluster secret switches on (an
// addon the catalog has not been told of yet is not waited for), and,
// when the cluster has a stages Application, only those it renders (the
// catalog's selectors may leave an addon out).
func (g Gate) wanted(c *fleet.Cluster, labels map[string]string, apps []unstructured.Unstructured) (map[string]bool, []string) {
	bundle := c.Bundle()
	if g.Bundle != nil {
		bundle = g.Bundle(c)
	}
	var staged map[string]bool
	for i := range apps {
		a := &apps[i]
		if a.GetLabels()[plan.StagesLabel] != "true" || !strings.HasSuffix(a.GetName(), plan.StagesApp+"-"+c.Name) {
			continue
		}
		staged = map[string]bool{}
		res, _, _ := unstructured.NestedSlice(a.Object, "status", "resources")
		for _, r := range res {
			if m, _ := r.(map[string]any); m["kind"] == "Application" {
				name, _ := m["name"].(string)
				staged[name] = true
			}
		}
	}
	wanted := map[string]bool{}
	var names []string
	for _, addon := range bundle {
		name := argocd.ApplicationName(addon, c.Name)
		if labels[catalog.EnableLabel(addon)] != "true" || staged != nil && !staged[name] {
			continue
		}
		wanted[name] = true
		names = append(names, name)
	}
	return wanted, names
}

// targets reports whether every source of the Application is at rev.
func targets(u *unstructured.Unstructured, rev string) bool {
	srcs, _, _ := unstructured.NestedSlice(u.Object, "spec", "sources")
	if len(srcs) == 0 {
		r, _, _ := unstructured.NestedString(u.Object, "spec", "source", "targetRevision")
		return r == rev
	}
	for _, s := range srcs {
		m, _ := s.(map[string]any)
		if r, _ := m["targetRevision"].(string); r != rev {
			return false
		}
	}
	return true
}

// syncedAt reports whether the Application's last operation was for rev:
// an operation on an earlier revision may still be retrying.
func syncedAt(a argocd.Application, rev string) bool {
	if a.OpTarget != "" {
		return appliedAt(a.OpTarget, rev)
	}
	return appliedAt(a.OpRevision, rev)
}

// appliedAt reports whether the revision Argo CD compared (one per source,
// comma-separated) is rev for every source.
func appliedAt(applied, rev string) bool {
	if applied == "" {
		return false
	}
	for _, r := range strings.Split(applied, ",") {
		if r != rev {
			return false
		}
	}
	return true
}

// gateError keeps a ClusterError as it is and names the cluster and step
// of any other (a deadline: the last state seen is in the WaitError).
func gateError(cluster, step string, err error) error {
	var ce *ClusterError
	if errors.As(err, &ce) {
		return ce
	}
	return &ClusterError{Cluster: cluster, Step: step, Reason: err.Error()}
}

// Short is a commit as messages show it: its first 8 hex digits.
func Short(rev string) string {
	if len(rev) > 8 {
		return rev[:8]
	}
	return rev
}
