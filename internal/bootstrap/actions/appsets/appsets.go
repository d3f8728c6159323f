// Package appsets applies the hub's Argo CD cluster secret (gitops-bridge
// labels and annotations), Argo CD repository secrets for OCI chart
// registries, and the ApplicationSets rendered from packages/appset-chart.
package appsets

import (
	"context"
	"fmt"
	"strings"

	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/manifests"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Action is the applicationsets step.
type Action struct{}

// New makes the step.
func New() Action { return Action{} }

// Name implements actions.Action.
func (Action) Name() string { return "applicationsets" }

// Describe implements actions.Action.
func (Action) Describe(p *plan.Plan) string {
	if !p.HubSecret.Fleetup() {
		return "apply " + plan.Count(len(p.ApplicationSets), "ApplicationSet") + " (the hub cluster secret " + p.HubSecret.Name + " comes from the packages tree)"
	}
	return "apply the hub cluster secret and " + plan.Count(len(p.ApplicationSets), "ApplicationSet")
}

// Run implements actions.Action.
func (Action) Run(ctx context.Context, env *actions.Env) (actions.Outcome, error) {
	var out actions.Outcome
	// The enable_<addon> switches belong to the addons step (its own field
	// manager): applying the secret here must neither set nor clear them.
	var objs []*unstructured.Unstructured
	// A hub secret the packages tree makes is applied with the bootstrap
	// manifests; fleetup adds none beside it.
	if env.Plan.HubSecret.Fleetup() {
		secret := manifests.Labelled(env.Plan.ClusterSecret.Object)
		labels := secret.GetLabels()
		for k := range labels {
			if strings.HasPrefix(k, "enable_") {
				delete(labels, k)
			}
		}
		secret.SetLabels(labels)
		objs = append(objs, secret)
	}
	for _, m := range env.Plan.RepoSecrets {
		objs = append(objs, manifests.Labelled(m.Object))
	}
	for _, m := range env.Plan.ApplicationSets {
		objs = append(objs, manifests.Labelled(m.Object))
	}
	counts := kube.Counts{}
	for _, o := range objs {
		ch, err := env.Kube.ApplyChange(ctx, o)
		if err != nil {
			return out, fmt.Errorf("applicationsets: %w", err)
		}
		counts[ch]++
	}
	out.Changed = counts.Changed()
	which := "cluster secret"
	if !env.Plan.HubSecret.Fleetup() {
		which = "no cluster secret (the packages tree's " + env.Plan.HubSecret.Name + " is used)"
	}
	out.Summary = fmt.Sprintf("%s, %d repository secrets, %d ApplicationSets: %s", which, len(env.Plan.RepoSecrets), len(env.Plan.ApplicationSets), counts)
	return out, nil
}
