// Package secrets writes the platform secrets through the configured
// backend. With the kubernetes backend they are Secrets in a namespace of
// fleetup's, readable by a dedicated ServiceAccount that External Secrets'
// Kubernetes provider uses.
package secrets

import (
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

// Name implements actions.Action.
func (Action) Name() string { return "secrets" }

// Execute implements actions.Action.
func (Action) Execute(ac *actions.Context) error {
	cfg := ac.Plan.Config
	if cfg.Secrets.Backend == config.BackendAWS {
		return secretsManager(ac)
	}
	counts := kube.Counts{}
	// The namespace, ServiceAccount and RBAC first; the ClusterSecretStore
	// needs External Secrets' CRDs and is applied with the bootstrap step.
	for _, m := range ac.Plan.Secrets.Store {
		if m.Kind == "ClusterSecretStore" {
			continue
		}
		ch, err := ac.Kube.ApplyChange(ac.Ctx, &unstructured.Unstructured{Object: m.Object})
		if err != nil {
			return fmt.Errorf("secrets: %w", err)
		}
		counts[ch]++
	}
	secretCounts := kube.Counts{}
	for _, s := range ac.Secrets {
		data := map[string]any{}
		for k, v := range s.Data {
			data[k] = v
		}
		obj := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
			"metadata":   map[string]any{"name": s.KubernetesName, "namespace": cfg.Secrets.Namespace, "labels": plan.ManagedLabels(nil)},
			"stringData": data,
		}}
		ch, err := ac.Kube.ApplyChange(ac.Ctx, obj)
		if err != nil {
			// The error names the Secret, never its data.
			return fmt.Errorf("secrets: write %s/%s failed", cfg.Secrets.Namespace, s.KubernetesName)
		}
		secretCounts[ch]++
	}
	if counts[kube.Created]+counts[kube.Updated]+secretCounts[kube.Created]+secretCounts[kube.Updated] > 0 {
		ac.Changed = true
	}
	ac.Summary = fmt.Sprintf("platform secrets in namespace %s: %s", cfg.Secrets.Namespace, secretCounts)
	return nil
}

// secretsManager writes the platform secrets to AWS Secrets Manager:
// created, or updated only when their value or tags changed.
func secretsManager(ac *actions.Context) error {
	if ac.AWS == nil {
		return fmt.Errorf("secrets: the %s backend needs AWS access", config.BackendAWS)
	}
	counts := map[aws.SecretAction]int{}
	for _, s := range ac.AWSSecrets() {
		action, err := ac.AWS.Sync(ac.Ctx, s)
		if err != nil {
			return fmt.Errorf("secrets: %w", err)
		}
		counts[action]++
		if action != aws.SecretUnchanged {
			ac.Changed = true
		}
	}
	ac.Summary = fmt.Sprintf("AWS Secrets Manager in %s: %d created, %d updated, %d unchanged", ac.Plan.Config.Region, counts[aws.SecretCreated], counts[aws.SecretUpdated]+counts[aws.SecretRestored], counts[aws.SecretUnchanged])
	return nil
}
