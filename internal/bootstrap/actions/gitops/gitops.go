// Package gitops hands the catalog to Argo CD: it applies the hub's Argo CD
// cluster secret (gitops-bridge labels and annotations), repository secrets
// for OCI chart registries, holds back the addons not let go yet, then the
// object that makes Argo CD render packages/appset-chart from Git (fleetup's
// catalog Application, or a CNOE fork's bootstrap ApplicationSets), and
// waits until Argo CD applied the ApplicationSets. From then on a commit to
// the catalog reaches the cluster with no fleetup run.
package gitops

import (
	"context"
	"fmt"
	"strings"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/gate"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/manifests"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Action is the gitops step.
type Action struct{}

// New makes the step.
func New() Action { return Action{} }

// Name implements actions.Action.
func (Action) Name() string { return "gitops" }

// Describe implements actions.Action.
func (Action) Describe(p *plan.Plan) string {
	secret := "the hub cluster secret, "
	if !p.HubSecret.Fleetup() {
		secret = "" // the packages tree makes it
	}
	fleet := ""
	if f := p.Fleet; f != nil {
		fleet = fmt.Sprintf("; then ApplicationSet %s: Argo CD renders the fleet's clusters from Git (%s)", f.ApplicationSet, f.Source(p.Config))
	}
	return fmt.Sprintf("apply %shold back the addons, apply %s; Argo CD renders %s from Git (%s); wait until it synced%s",
		secret, objectList(p), plan.Count(len(p.ApplicationSets), "ApplicationSet"), p.GitOps.Source, fleet)
}

func objectList(p *plan.Plan) string {
	var names []string
	for _, m := range p.GitOps.Objects {
		names = append(names, m.Kind+" "+m.Name)
	}
	return strings.Join(names, ", ")
}

// Run implements actions.Action.
func (Action) Run(ctx context.Context, env *actions.Env) (actions.Outcome, error) {
	var out actions.Outcome
	p := env.Plan
	counts := kube.Counts{}
	apply := func(objs []*unstructured.Unstructured) error {
		for _, o := range objs {
			ch, err := env.Kube.ApplyChange(ctx, o)
			if err != nil {
				return fmt.Errorf("gitops: %w", err)
			}
			counts[ch]++
		}
		return nil
	}
	var objs []*unstructured.Unstructured
	// A hub secret the packages tree makes is applied with the bootstrap
	// manifests; fleetup adds none beside it. The enable_<addon> switches
	// belong to the gate's field manager: not set nor cleared here.
	if p.HubSecret.Fleetup() {
		secret := manifests.Labelled(p.ClusterSecret.Object)
		labels := secret.GetLabels()
		for k := range labels {
			if strings.HasPrefix(k, "enable_") {
				delete(labels, k)
			}
		}
		secret.SetLabels(labels)
		objs = append(objs, secret)
	}
	for _, m := range p.RepoSecrets {
		objs = append(objs, manifests.Labelled(m.Object))
	}
	if err := apply(objs); err != nil {
		return out, err
	}
	// Before Argo CD sees the catalog: an addon with no switch would start.
	if _, err := gate.Hold(ctx, env); err != nil {
		return out, fmt.Errorf("gitops: %w", err)
	}
	objs = nil
	for _, m := range p.GitOps.Objects {
		objs = append(objs, manifests.Labelled(m.Object))
	}
	if err := apply(objs); err != nil {
		return out, err
	}
	out.Changed = counts.Changed()
	// On a rerun Argo CD may still hold an older commit of the branch (it
	// polls Git every few minutes): compare the catalog and the hub's
	// addons with Git now, so that nothing below is judged by an old one.
	if err := argocd.Refresh(ctx, env.Kube, p.ArgoNamespace(), hubApplications(p)...); err != nil {
		return out, fmt.Errorf("gitops: %w", err)
	}
	app, err := WaitSynced(ctx, env)
	if err != nil {
		return out, err
	}
	// The fleet after the catalog: its clusters' addons come from the
	// catalog's ApplicationSets.
	fleet := ""
	if f := p.Fleet; f != nil {
		objs = nil
		for _, m := range f.Objects {
			objs = append(objs, manifests.Labelled(m.Object))
		}
		if err := apply(objs); err != nil {
			return out, err
		}
		out.Changed = counts.Changed()
		fleet = fmt.Sprintf("; ApplicationSet %s renders the fleet from Git (%s)", f.ApplicationSet, plan.Count(len(f.Clusters), "cluster"))
	}
	which := "cluster secret, "
	if !p.HubSecret.Fleetup() {
		which = "no cluster secret (the packages tree's " + p.HubSecret.Name + " is used), "
	}
	out.Summary = fmt.Sprintf("%s%d repository secrets, %s: %s; Application %s synced %s from Git%s", which, len(p.RepoSecrets), objectList(p), counts, p.GitOps.Application, short(app.Revision), fleet)
	return out, nil
}

// hubApplications names the catalog's Application and the hub's addon
// Applications.
func hubApplications(p *plan.Plan) []string {
	names := []string{p.GitOps.Application}
	for _, a := range p.Catalog.Installed() {
		names = append(names, actions.ApplicationRef(p, a.Name).GetName())
	}
	return names
}

// WaitSynced waits until the catalog's Application is Synced and Healthy
// on the current spec, within the addon timeout and the Degraded grace.
func WaitSynced(ctx context.Context, env *actions.Env) (argocd.Application, error) {
	p := env.Plan
	ns := p.ArgoNamespace()
	ctx, cancel := context.WithTimeout(ctx, p.Config.Timeouts.Addon.D())
	defer cancel()
	what := "Application " + ns + "/" + p.GitOps.Application + " (the catalog from Git) to be Synced and Healthy"
	app, err := argocd.WaitHealthy(ctx, env.Kube, ns, p.GitOps.Application, what, p.Config.Timeouts.DegradedGrace.D())
	if err != nil {
		return app, fmt.Errorf("gitops: %w", err)
	}
	return app, nil
}

func short(rev string) string {
	if len(rev) > 8 {
		return rev[:8]
	}
	return rev
}
