// Package helmrelease installs or upgrades one of the two charts fleetup
// installs itself (Argo CD, External Secrets) with the Helm SDK, unless Argo
// CD already manages it: after the hand-off fleetup leaves it to Argo CD.
package helmrelease

import (
	"context"
	"fmt"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/helm"
	"github.com/fleetup/fleetup/internal/plan"
)

// Action installs the release of the addon whose chart is Chart.
type Action struct{ chart, title string }

// New makes the step for one of the plan's releases, by chart name;
// title names the software in the plan ("Argo CD").
func New(chart, title string) Action { return Action{chart: chart, title: title} }

// Name implements actions.Action.
func (a Action) Name() string { return a.chart }

// Describe implements actions.Action.
func (a Action) Describe(*plan.Plan) string {
	return "Helm install or upgrade of " + a.title + ", wait for its workloads"
}

// Run implements actions.Action.
func (a Action) Run(ctx context.Context, env *actions.Env) (actions.Outcome, error) {
	var out actions.Outcome
	for _, r := range env.Plan.Releases {
		if r.Chart != a.chart {
			continue
		}
		app := argocd.ApplicationName(r.Addon, env.Plan.Config.ClusterName)
		managed, err := handedOff(ctx, env, r.Addon)
		if err != nil {
			return out, err
		}
		if managed {
			out.Skipped = true
			out.Summary = fmt.Sprintf("Argo CD manages %s (Application %s is Synced and Healthy); left to it", r.Release, app)
			return out, nil
		}
		res, err := env.Helm.Apply(ctx, helm.Spec{
			Name: r.Release, Namespace: r.Namespace, Source: r.Source, RepoRoot: env.Plan.Catalog.RepoRoot,
			Values: r.RawValues, Timeout: env.Plan.Config.Timeouts.Helm.D(),
		})
		if err != nil {
			return out, err
		}
		out.Changed = res.Action != helm.Unchanged
		out.Summary = fmt.Sprintf("release %s/%s %s: chart %s %s, revision %d, workloads ready", r.Namespace, r.Release, res.Action, r.Chart, res.ChartVersion, res.Revision)
		return out, nil
	}
	return out, fmt.Errorf("no Helm release for chart %s in the plan", a.chart)
}

// handedOff reports whether Argo CD manages the addon now: its Application
// is healthy by fleetup's one definition.
func handedOff(ctx context.Context, env *actions.Env, addon string) (bool, error) {
	cur, err := env.GetApplication(ctx, addon)
	if err != nil || cur == nil {
		return false, err
	}
	return argocd.Read(cur).Healthy(), nil
}
