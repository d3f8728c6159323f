// Package removeobjects deletes what fleetup applied itself: the hub
// cluster secret, repository secrets, bootstrap manifests, the secret
// store and its RBAC, and the platform secrets of the kubernetes backend.
// Only objects with fleetup's labels are deleted.
package removeobjects

import (
	"fmt"

	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/kube"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Action is the objects removal step.
type Action struct{}

// Name implements actions.Action.
func (Action) Name() string { return "remove-objects" }

// Execute implements actions.Action.
func (Action) Execute(ac *actions.Context) error {
	n := 0
	for _, o := range actions.DirectObjects(ac.Plan) {
		did, err := ac.Delete(ac.Ctx, o, metav1.DeletePropagationBackground)
		if kube.IsNoMatch(err) {
			continue // its CRD is gone, so is it
		}
		if err != nil {
			return fmt.Errorf("remove-objects: %w", err)
		}
		if did {
			n++
		}
	}
	ac.Removal.Count("objects", n)
	ac.Summary = fmt.Sprintf("%d objects deleted", n)
	return nil
}
