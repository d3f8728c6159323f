package actions

import (
	"context"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ApplicationRef identifies an addon's Application on the plan's hub.
func ApplicationRef(p *plan.Plan, addon string) *unstructured.Unstructured {
	return argocd.ApplicationRef(p.ArgoNamespace(), argocd.ApplicationName(addon, p.Config.ClusterName))
}

// Ref is an object identity, for Get and delete.
func Ref(apiVersion, kind, namespace, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace(namespace)
	u.SetName(name)
	return u
}

// GetApplication reads an addon's Application from the cluster; nil when it
// does not exist (or Argo CD's CRDs are not installed yet).
func (env *Env) GetApplication(ctx context.Context, addon string) (*unstructured.Unstructured, error) {
	cur, err := env.Kube.Get(ctx, ApplicationRef(env.Plan, addon))
	if kube.IsNoMatch(err) {
		return nil, nil
	}
	return cur, err
}
