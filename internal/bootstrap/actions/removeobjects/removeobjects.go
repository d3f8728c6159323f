// Package removeobjects deletes what fleetup applied itself: the hub
// cluster secret, repository secrets, bootstrap manifests, the secret
// store and its RBAC, and the platform secrets of the kubernetes backend.
// Only objects with fleetup's labels are deleted.
package removeobjects

import (
	"context"
	"fmt"

	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Action is the objects removal step.
type Action struct{}

// New makes the step.
func New() Action { return Action{} }

// Name implements actions.Action.
func (Action) Name() string { return "remove-objects" }

// Describe implements actions.Action.
func (Action) Describe(*plan.Plan) string {
	return "delete the cluster secret, repository secrets, bootstrap manifests, the secret store and the platform secrets fleetup applied"
}

// Run implements actions.Action.
func (Action) Run(ctx context.Context, env *actions.Env) (actions.Outcome, error) {
	var t actions.Tally
	n := 0
	for _, o := range actions.DirectObjects(env.Plan) {
		did, err := env.Delete(ctx, &t, o, metav1.DeletePropagationBackground)
		if kube.IsNoMatch(err) {
			continue // its CRD is gone, so is it
		}
		if err != nil {
			return t.Outcome(""), fmt.Errorf("remove-objects: %w", err)
		}
		if did {
			n++
		}
	}
	t.Count("objects", n)
	return t.Outcome(fmt.Sprintf("%d objects deleted", n)), nil
}
