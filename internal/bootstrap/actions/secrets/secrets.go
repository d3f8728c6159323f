// Package secrets writes the platform secrets through the configured
// backend. With the kubernetes backend they are Secrets in a namespace of
// fleetup's, readable by a dedicated ServiceAccount that External Secrets'
// Kubernetes provider uses.
package secrets

import (
	"context"
	"fmt"

	"github.com/fleetup/fleetup/internal/aws"
	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Action is the secrets step.
type Action struct{}

// New makes the step.
func New() Action { return Action{} }

// Name implements actions.Action.
func (Action) Name() string { return "secrets" }

// Describe implements actions.Action.
func (Action) Describe(p *plan.Plan) string {
	return "write " + plan.Count(len(p.Secrets.Items), "secret") + " to " + p.Secrets.Backend + " and the ClusterSecretStore that reads them"
}

// Run implements actions.Action.
func (Action) Run(ctx context.Context, env *actions.Env) (actions.Outcome, error) {
	cfg := env.Plan.Config
	if cfg.Secrets.Backend == config.BackendAWS {
		return secretsManager(ctx, env)
	}
	var out actions.Outcome
	counts := kube.Counts{}
	// The namespace, ServiceAccount and RBAC first; the ClusterSecretStore
	// needs External Secrets' CRDs and is applied with the bootstrap step.
	for _, m := range env.Plan.Secrets.Store {
		if m.Kind == "ClusterSecretStore" {
			continue
		}
		ch, err := env.Kube.ApplyChange(ctx, &unstructured.Unstructured{Object: m.Object})
		if err != nil {
			return out, fmt.Errorf("secrets: %w", err)
		}
		counts[ch]++
	}
	secretCounts := kube.Counts{}
	for _, s := range env.Secrets {
		data := map[string]any{}
		for k, v := range s.Data {
			data[k] = v
		}
		obj := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
			"metadata":   map[string]any{"name": s.KubernetesName, "namespace": cfg.Secrets.Namespace, "labels": plan.ManagedLabels(nil)},
			"stringData": data,
		}}
		ch, err := env.Kube.ApplyChange(ctx, obj)
		if err != nil {
			// The error names the Secret, never its data.
			return out, fmt.Errorf("secrets: write %s/%s failed", cfg.Secrets.Namespace, s.KubernetesName)
		}
		secretCounts[ch]++
	}
	out.Changed = counts.Changed() || secretCounts.Changed()
	out.Summary = fmt.Sprintf("platform secrets in namespace %s: %s", cfg.Secrets.Namespace, secretCounts)
	return out, nil
}

// secretsManager writes the platform secrets to AWS Secrets Manager:
// created, or updated only when their value or tags changed.
func secretsManager(ctx context.Context, env *actions.Env) (actions.Outcome, error) {
	var out actions.Outcome
	if env.AWS == nil {
		return out, fmt.Errorf("secrets: the %s backend needs AWS access", config.BackendAWS)
	}
	counts := map[aws.SecretAction]int{}
	for _, s := range env.AWSSecrets() {
		action, err := env.AWS.Sync(ctx, s)
		if err != nil {
			return out, fmt.Errorf("secrets: %w", err)
		}
		counts[action]++
		if action != aws.SecretUnchanged {
			out.Changed = true
		}
	}
	out.Summary = fmt.Sprintf("AWS Secrets Manager in %s: %d created, %d updated, %d unchanged", env.Plan.Config.Region, counts[aws.SecretCreated], counts[aws.SecretUpdated]+counts[aws.SecretRestored], counts[aws.SecretUnchanged])
	return out, nil
}
