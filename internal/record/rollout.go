package record

import (
	"context"
	"fmt"
	"strings"

	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Rollout is the progress of `fleet rollout` in the hub (a ConfigMap in
// fleetup-system), so a rollout stopped anywhere, on any machine, is
// resumed by the next run. The pins themselves are in Git.
type Rollout struct {
	// Revision is the commit being rolled out.
	Revision string
	// Phase is running, failed or done.
	Phase string
	// Done are the waves finished, by key ("0", "3", "none").
	Done []string
	// Wave is the wave in progress, or the one that failed.
	Wave string
	// Message says why the rollout failed.
	Message string
}

// Rollout phases.
const (
	RolloutRunning = "running"
	RolloutFailed  = "failed"
	RolloutDone    = "done"
)

// RolloutName is the rollout record's ConfigMap.
const RolloutName = "fleet-rollout"

func rolloutObject() *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": RolloutName, "namespace": Namespace, "labels": plan.ManagedLabels(nil)},
	}}
}

// LoadRollout reads the rollout record; nil when there is none.
func LoadRollout(ctx context.Context, c *kube.Client) (*Rollout, error) {
	cm, err := c.Get(ctx, rolloutObject())
	if err != nil {
		return nil, fmt.Errorf("read the rollout record: %w", err)
	}
	if cm == nil {
		return nil, nil
	}
	data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
	r := &Rollout{Revision: data["revision"], Phase: data["phase"], Wave: data["wave"], Message: data["message"]}
	if d := data["done"]; d != "" {
		r.Done = strings.Split(d, ",")
	}
	return r, nil
}

// Save writes the record (and fleetup's namespace).
func (r *Rollout) Save(ctx context.Context, c *kube.Client) error {
	ns := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"name": Namespace, "labels": plan.ManagedLabels(nil)},
	}}
	if _, err := c.Apply(ctx, ns); err != nil {
		return fmt.Errorf("record the rollout: %w", err)
	}
	o := rolloutObject()
	o.Object["data"] = map[string]any{
		"revision": r.Revision, "phase": r.Phase, "wave": r.Wave,
		"message": r.Message, "done": strings.Join(r.Done, ","),
	}
	if _, err := c.Apply(ctx, o); err != nil {
		return fmt.Errorf("record the rollout: %w", err)
	}
	return nil
}

// WaveDone reports whether wave key is finished.
func (r *Rollout) WaveDone(key string) bool {
	for _, d := range r.Done {
		if d == key {
			return true
		}
	}
	return false
}
