package routes

import (
	"context"
	"fmt"

	"github.com/fleetup/fleetup/internal/kube"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The Gateway API resources read, at the version every supported release
// of the API serves.
var (
	GatewaysResource   = kube.GVR("gateway.networking.k8s.io", "v1", "gateways")
	HTTPRoutesResource = kube.GVR("gateway.networking.k8s.io", "v1", "httproutes")
)

// Found is what the cluster has: whether it serves the Gateway API at
// all, its Gateways, and the UIs routed through them.
type Found struct {
	GatewayAPI bool      `json:"gatewayAPI"`
	Gateways   []Gateway `json:"gateways"`
	UIs        []UI      `json:"uis"`
}

// Read lists every Gateway and HTTPRoute of the cluster. A cluster without
// the Gateway API's CRDs is not an error: Found.GatewayAPI says so.
func Read(ctx context.Context, kc *kube.Client) (Found, error) {
	found := Found{Gateways: []Gateway{}, UIs: []UI{}}
	gws, err := listAll(ctx, kc, GatewaysResource)
	if apierrors.IsNotFound(err) || kube.IsNoMatch(err) {
		return found, nil
	}
	if err != nil {
		return found, fmt.Errorf("list Gateways: %w", err)
	}
	found.GatewayAPI = true
	found.Gateways = Gateways(gws)
	if len(found.Gateways) == 0 {
		return found, nil
	}
	rs, err := listAll(ctx, kc, HTTPRoutesResource)
	if err != nil && !apierrors.IsNotFound(err) {
		return found, fmt.Errorf("list HTTPRoutes: %w", err)
	}
	if uis := UIs(found.Gateways, rs); uis != nil {
		found.UIs = uis
	}
	return found, nil
}

// listAll lists a resource in every namespace, page by page.
func listAll(ctx context.Context, kc *kube.Client, gvr schema.GroupVersionResource) ([]map[string]any, error) {
	var out []map[string]any
	opts := metav1.ListOptions{Limit: 500}
	for {
		l, err := kc.Dynamic.Resource(gvr).List(ctx, opts)
		if err != nil {
			return nil, err
		}
		for _, it := range l.Items {
			out = append(out, it.Object)
		}
		if opts.Continue = l.GetContinue(); opts.Continue == "" {
			return out, nil
		}
	}
}
