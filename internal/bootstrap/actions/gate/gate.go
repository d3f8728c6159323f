// Package gate reads and writes the enable_<addon> switches on the hub
// cluster secret. fleetup's ApplicationSets select the hub unless an
// addon's switch is "false": install holds addons back with "false" and
// lets each go with "true" once its dependencies are healthy. An addon
// committed to Git after the hand-off has no switch and rolls out at once.
package gate

import (
	"context"
	"fmt"

	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/plan"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Manager is the field manager that owns the enable_<addon> labels.
const Manager = "fleetup-gate"

// secret is the hub secret the plan switches: fleetup's own or the one the
// packages tree makes.
func secret(p *plan.Plan) *unstructured.Unstructured {
	return actions.Ref("v1", "Secret", p.HubSecret.Namespace, p.HubSecret.Name)
}

// Read says which installed addons are let go already: switch "true", or
// no switch and an Application (it rolled out without one: committed after
// a hand-off). A resumed run goes on from there.
func Read(ctx context.Context, env *actions.Env) (map[string]bool, error) {
	on := map[string]bool{}
	cur, err := env.Kube.Get(ctx, secret(env.Plan))
	if err != nil {
		return nil, fmt.Errorf("read cluster secret: %w", err)
	}
	var labels map[string]string
	if cur != nil {
		labels = cur.GetLabels()
	}
	for _, ad := range env.Plan.Catalog.Installed() {
		v, ok := labels[ad.LabelName()]
		switch {
		case v == "true":
			on[ad.Name] = true
		case !ok:
			app, err := env.GetApplication(ctx, ad.Name)
			if err != nil {
				return nil, fmt.Errorf("read Application of %s: %w", ad.Name, err)
			}
			on[ad.Name] = app != nil
		}
	}
	return on, nil
}

// Write sets every installed addon's switch: "true" where on, "false"
// (held back) elsewhere.
func Write(ctx context.Context, env *actions.Env, on map[string]bool) error {
	if len(env.Plan.Gating.Switched) == 0 {
		return nil // the catalog's chart reads no switch: nothing to hold
	}
	u := secret(env.Plan)
	labels := map[string]string{}
	for _, ad := range env.Plan.Catalog.Installed() {
		labels[ad.LabelName()] = "false"
		if on[ad.Name] {
			labels[ad.LabelName()] = "true"
		}
	}
	u.SetLabels(labels)
	if _, err := env.Kube.ApplyAs(ctx, u, Manager); err != nil {
		return fmt.Errorf("set addon switches: %w", err)
	}
	return nil
}

// Hold writes the switches before Argo CD gets the catalog: addons not let
// go yet are held back (strategy gated), or every addon goes (parallel).
// It returns the switches as written.
func Hold(ctx context.Context, env *actions.Env) (map[string]bool, error) {
	on, err := Read(ctx, env)
	if err != nil {
		return nil, err
	}
	if env.Plan.Config.Strategy == config.StrategyParallel {
		for _, ad := range env.Plan.Catalog.Installed() {
			on[ad.Name] = true
		}
	}
	return on, Write(ctx, env, on)
}
