// Package removereleases uninstalls External Secrets, then Argo CD, with
// the Helm SDK, waiting until their resources are gone. Their CRDs stay
// unless --purge-crds. A release of the same name that fleetup did not
// install is reported and left alone.
package removereleases

import (
	"context"
	"fmt"
	"strings"

	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/helm"
	"github.com/fleetup/fleetup/internal/plan"
	"github.com/fleetup/fleetup/internal/report"
)

// Action is the Helm releases removal step.
type Action struct{ purgeCRDs bool }

// New makes the step; with purgeCRDs Helm removes the charts' CRDs too.
func New(o actions.RemoveOptions) Action { return Action{purgeCRDs: o.PurgeCRDs} }

// Name implements actions.Action.
func (Action) Name() string { return "remove-releases" }

// Describe implements actions.Action.
func (Action) Describe(*plan.Plan) string {
	return "helm uninstall External Secrets, then Argo CD, waiting for their resources"
}

// Run implements actions.Action.
func (a Action) Run(ctx context.Context, env *actions.Env) (actions.Outcome, error) {
	var t actions.Tally
	p := env.Plan
	var done []string
	for i := len(p.Releases) - 1; i >= 0; i-- {
		r := p.Releases[i]
		info, err := env.Helm.Get(ctx, r.Release, r.Namespace)
		if err != nil {
			return t.Outcome(""), fmt.Errorf("remove-releases: %w", err)
		}
		if info == nil {
			continue
		}
		if !info.Owned {
			t.Foreign(fmt.Sprintf("Helm release %s/%s (%s %s): not installed by fleetup", r.Namespace, r.Release, info.Chart, info.Version))
			continue
		}
		env.Report.Addon(report.AddonStatus{Name: r.Addon, State: report.AddonRemoving, Message: "helm uninstall " + r.Release})
		opts := helm.UninstallOptions{KeepCRDs: !a.purgeCRDs, Timeout: p.Config.Timeouts.Helm.D()}
		if err := env.Helm.Uninstall(ctx, r.Release, r.Namespace, opts); err != nil {
			return t.Outcome(""), fmt.Errorf("remove-releases: %w", err)
		}
		t.Changed()
		env.Report.Addon(report.AddonStatus{Name: r.Addon, State: report.AddonRemoved, Message: "Helm release removed"})
		done = append(done, r.Namespace+"/"+r.Release)
	}
	t.Count("Helm releases", len(done))
	summary := fmt.Sprintf("%d Helm releases removed", len(done))
	if len(done) > 0 {
		summary += ": " + strings.Join(done, ", ")
	}
	return t.Outcome(summary), nil
}
