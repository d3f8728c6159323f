// Package appsets applies the hub's Argo CD cluster secret (gitops-bridge
// labels and annotations), Argo CD repository secrets for OCI chart
// registries, and the ApplicationSets rendered from packages/appset-chart.
package appsets

import (
	"fmt"
	"strings"

	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/manifests"
	"github.com/fleetup/fleetup/internal/kube"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Action is the applicationsets step.
type Action struct{}

// Name implements actions.Action.
func (Action) Name() string { return "applicationsets" }

// Execute implements actions.Action.
func (Action) Execute(ac *actions.Context) error {
	// The enable_<addon> switches belong to the addons step (its own field
	// manager): applying the secret here must neither set nor clear them.
	secret := manifests.Labelled(ac.Plan.ClusterSecret.Object)
	labels := secret.GetLabels()
	for k := range labels {
		if strings.HasPrefix(k, "enable_") {
			delete(labels, k)
		}
	}
	secret.SetLabels(labels)
	objs := []*unstructured.Unstructured{secret}
	for _, m := range ac.Plan.RepoSecrets {
		objs = append(objs, manifests.Labelled(m.Object))
	}
	for _, m := range ac.Plan.ApplicationSets {
		objs = append(objs, manifests.Labelled(m.Object))
	}
	counts := kube.Counts{}
	for _, o := range objs {
		ch, err := ac.Kube.ApplyChange(ac.Ctx, o)
		if err != nil {
			return fmt.Errorf("applicationsets: %w", err)
		}
		counts[ch]++
	}
	if counts[kube.Created]+counts[kube.Updated] > 0 {
		ac.Changed = true
	}
	ac.Summary = fmt.Sprintf("cluster secret, %d repository secrets, %d ApplicationSets: %s", len(ac.Plan.RepoSecrets), len(ac.Plan.ApplicationSets), counts)
	return nil
}
