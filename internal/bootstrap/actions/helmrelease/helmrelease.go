// Package helmrelease installs or upgrades one of the two charts fleetup
// installs itself (Argo CD, External Secrets) with the Helm SDK, unless Argo
// CD already manages it: after the hand-off fleetup leaves it to Argo CD.
package helmrelease

import (
	"fmt"

	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/helm"
)

// Action installs the release of the addon whose chart is Chart.
type Action struct{ Chart string }

// Name implements actions.Action.
func (a Action) Name() string { return a.Chart }

// Execute implements actions.Action.
func (a Action) Execute(ac *actions.Context) error {
	for _, r := range ac.Plan.Releases {
		if r.Chart != a.Chart {
			continue
		}
		app := actions.ApplicationName(r.Addon, ac.Plan.Config.ClusterName)
		managed, err := handedOff(ac, r.Addon)
		if err != nil {
			return err
		}
		if managed {
			ac.Report.Step(a.Name(), actions.StepSkipped, fmt.Sprintf("Argo CD manages %s (Application %s is Synced and Healthy); left to it", r.Release, app))
			return nil
		}
		res, err := ac.Helm.Apply(ac.Ctx, helm.Spec{
			Name: r.Release, Namespace: r.Namespace, Source: r.Source, RepoRoot: ac.Plan.Catalog.RepoRoot,
			Values: r.RawValues, Timeout: ac.Plan.Config.Timeouts.Helm.D(),
		})
		if err != nil {
			return err
		}
		if res.Action != helm.Unchanged {
			ac.Changed = true
		}
		ac.Summary = fmt.Sprintf("release %s/%s %s: chart %s %s, revision %d, workloads ready", r.Namespace, r.Release, res.Action, r.Chart, res.ChartVersion, res.Revision)
		return nil
	}
	return fmt.Errorf("no Helm release for chart %s in the plan", a.Chart)
}

// handedOff reports whether the addon's Application exists and is Synced
// and Healthy, i.e. Argo CD manages the release now.
func handedOff(ac *actions.Context, addon string) (bool, error) {
	cur, err := ac.GetApplication(addon)
	if err != nil || cur == nil {
		return false, err
	}
	st := actions.ReadApplication(cur)
	return st.Sync == "Synced" && st.Health == "Healthy", nil
}
