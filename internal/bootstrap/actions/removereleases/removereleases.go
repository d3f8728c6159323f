// Package removereleases uninstalls External Secrets, then Argo CD, with
// the Helm SDK, waiting until their resources are gone. Their CRDs stay
// unless --purge-crds. A release of the same name that fleetup did not
// install is reported and left alone.
package removereleases

import (
	"fmt"
	"strings"

	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/helm"
)

// Action is the Helm releases removal step.
type Action struct{}

// Name implements actions.Action.
func (Action) Name() string { return "remove-releases" }

// Execute implements actions.Action.
func (Action) Execute(ac *actions.Context) error {
	p := ac.Plan
	var done []string
	for i := len(p.Releases) - 1; i >= 0; i-- {
		r := p.Releases[i]
		info, err := ac.Helm.Get(ac.Ctx, r.Release, r.Namespace)
		if err != nil {
			return fmt.Errorf("remove-releases: %w", err)
		}
		if info == nil {
			continue
		}
		if !info.Owned {
			ac.Removal.NoteForeign(fmt.Sprintf("Helm release %s/%s (%s %s): not installed by fleetup", r.Namespace, r.Release, info.Chart, info.Version))
			continue
		}
		ac.Report.Addon(actions.AddonStatus{Name: r.Addon, State: actions.AddonRemoving, Message: "helm uninstall " + r.Release})
		opts := helm.UninstallOptions{KeepCRDs: !ac.Removal.PurgeCRDs, Timeout: p.Config.Timeouts.Helm.D()}
		if err := ac.Helm.Uninstall(ac.Ctx, r.Release, r.Namespace, opts); err != nil {
			return fmt.Errorf("remove-releases: %w", err)
		}
		ac.Changed = true
		ac.Report.Addon(actions.AddonStatus{Name: r.Addon, State: actions.AddonRemoved, Message: "Helm release removed"})
		done = append(done, r.Namespace+"/"+r.Release)
	}
	ac.Removal.Count("Helm releases", len(done))
	ac.Summary = fmt.Sprintf("%d Helm releases removed", len(done))
	if len(done) > 0 {
		ac.Summary += ": " + strings.Join(done, ", ")
	}
	return nil
}
