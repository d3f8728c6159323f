// Package handoff confirms that Argo CD now manages itself, External
// Secrets and the catalog from Git, and says how to reach Argo CD.
package handoff

import (
	"context"
	"fmt"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
)

// Action is the hand-off step.
type Action struct{}

// New makes the step.
func New() Action { return Action{} }

// Name implements actions.Action.
func (Action) Name() string { return "hand-off" }

// Describe implements actions.Action.
func (Action) Describe(*plan.Plan) string {
	return "confirm Argo CD manages itself, External Secrets and the catalog from Git"
}

// Run implements actions.Action. Each Application must exist; it is then
// waited for, within the addon timeout: a 20 s API server outage leaves
// the catalog's ApplicationSets reporting an error until their next
// reconcile, so a Degraded fails it only once it outlasts the grace.
func (Action) Run(ctx context.Context, env *actions.Env) (actions.Outcome, error) {
	var out actions.Outcome
	p := env.Plan
	ns := p.ArgoNamespace()
	ctx, cancel := context.WithTimeout(ctx, p.Config.Timeouts.Addon.D())
	defer cancel()
	grace := p.Config.Timeouts.DegradedGrace.D()
	for _, r := range p.Releases {
		ref := actions.ApplicationRef(p, r.Addon)
		cur, err := env.GetApplication(ctx, r.Addon)
		if err != nil {
			return out, fmt.Errorf("hand-off: %w", err)
		}
		if cur == nil {
			return out, fmt.Errorf("hand-off: Application %s/%s does not exist: Argo CD does not manage %s", ns, ref.GetName(), r.Release)
		}
		what := fmt.Sprintf("Application %s/%s to be Synced and Healthy", ns, ref.GetName())
		if _, err := argocd.WaitHealthy(ctx, env.Kube, ns, ref.GetName(), what, grace); err != nil {
			return out, fmt.Errorf("hand-off: %w", err)
		}
	}
	// The catalog last: a commit must reach the cluster with no fleetup run.
	cur, err := env.Kube.Get(ctx, argocd.ApplicationRef(ns, p.GitOps.Application))
	if err != nil && !kube.IsNoMatch(err) {
		return out, fmt.Errorf("hand-off: %w", err)
	}
	if cur == nil {
		return out, fmt.Errorf("hand-off: Application %s/%s does not exist: Argo CD does not render the catalog from Git", ns, p.GitOps.Application)
	}
	what := fmt.Sprintf("Application %s/%s (the catalog) to be Synced and Healthy", ns, p.GitOps.Application)
	if _, err := argocd.WaitHealthy(ctx, env.Kube, ns, p.GitOps.Application, what, grace); err != nil {
		return out, fmt.Errorf("hand-off: %w", err)
	}
	out.Summary = fmt.Sprintf("Argo CD manages itself, External Secrets and the catalog from %s", p.Config.Repo.URL)
	return out, nil
}

// Summary is what to tell the user at the end: where Argo CD is, where
// every UI's URL is read from the cluster, and how to read Argo CD's
// initial admin password (never the password itself). No kubectl: the
// URLs come from `fleetup urls`, the routes the catalog's platform-gateway
// makes.
func Summary(p *plan.Plan) []string {
	argo := "argocd"
	if a := p.Catalog.ByChart("argo-cd"); a != nil {
		argo = a.Name
	}
	var out []string
	if d := p.Config.Domain; d != "" {
		url := "https://argocd." + d
		if p.Config.PathRouting {
			url = "https://" + d + "/argocd"
		}
		out = append(out, "Argo CD: "+url, "every UI of the platform with its URL: fleetup urls")
	} else {
		out = append(out, "Argo CD and the platform's other UIs: fleetup urls (config.yaml sets no domain: plain HTTP on the Gateway's address, once its load balancer has one)")
	}
	return append(out, "initial admin password: fleetup secrets "+argo+" --show")
}
