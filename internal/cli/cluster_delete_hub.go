package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// DecommissionLabel marks the cluster secret of a cluster whose file has
// `decommission: true` (packages/fleet-cluster); the catalog's stages
// ApplicationSet leaves such a cluster out.
const DecommissionLabel = "fleetup.dev/decommission"

// hubLeft is what the hub still holds of a cluster being deleted.
type hubLeft struct {
	// Secret is the Argo CD cluster secret, "" when there is none.
	Secret string
	// Decommissioned: the secret carries DecommissionLabel, so Argo CD
	// saw the marker commit.
	Decommissioned bool
	// Stages is the cluster's stages Application, "" when gone.
	Stages string
	// Addons are the Applications deploying to the cluster.
	Addons []string
	// Application is fleet-<cluster>, "" when gone.
	Application string
	// Objects are the registration and Cluster API objects left, as
	// "Kind namespace/name".
	Objects []string
}

// addonsGone: the cluster has no addon left and Argo CD has seen the
// marker (or the cluster was never registered: nothing reached it).
func (h *hubLeft) addonsGone() bool {
	return h.Secret == "" || (h.Decommissioned && h.Stages == "" && len(h.Addons) == 0)
}

// gone: nothing of the cluster is left on the hub.
func (h *hubLeft) gone() bool {
	return h.Secret == "" && h.Stages == "" && len(h.Addons) == 0 && h.Application == "" && len(h.Objects) == 0
}

// String lists what is left, for progress lines and timeouts.
func (h *hubLeft) String() string {
	parts := h.addonParts()
	if h.Application != "" {
		parts = append(parts, "Application "+h.Application)
	}
	parts = append(parts, h.Objects...)
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, "; ")
}

// addonsLeft is String for the first wait: what stands between the
// cluster and addonsGone.
func (h *hubLeft) addonsLeft() string {
	if parts := h.addonParts(); len(parts) > 0 {
		return strings.Join(parts, "; ")
	}
	return "nothing"
}

func (h *hubLeft) addonParts() []string {
	var parts []string
	if h.Secret != "" {
		s := "cluster secret " + h.Secret
		if !h.Decommissioned {
			s += " (without " + DecommissionLabel + " yet)"
		}
		parts = append(parts, s)
	}
	if h.Stages != "" {
		parts = append(parts, "stages Application "+h.Stages)
	}
	if len(h.Addons) > 0 {
		parts = append(parts, fmt.Sprintf("addon Applications %s", strings.Join(h.Addons, ", ")))
	}
	return parts
}

// destinations remembers how Argo CD names the cluster (its secret's name
// and server), so that addon Applications are still found once the
// secret is gone.
type destinations struct{ names, servers map[string]bool }

// leftOf judges the hub's cluster secrets and Applications in Argo CD's
// namespace for one cluster; objects are the other objects found.
func leftOf(cluster string, secrets []corev1.Secret, apps []unstructured.Unstructured, dest *destinations, objects []string) *hubLeft {
	h := &hubLeft{Objects: objects}
	for _, s := range secrets {
		if s.Labels[fleet.ClusterLabel] != cluster || s.Labels[catalog.LabelSecretType] != "cluster" {
			continue
		}
		h.Secret = fleetNamespace + "/" + s.Name
		h.Decommissioned = s.Labels[DecommissionLabel] == "true"
		// Only these two keys are read, never the credentials.
		if n := string(s.Data["name"]); n != "" {
			dest.names[n] = true
		}
		if srv := string(s.Data["server"]); srv != "" {
			dest.servers[srv] = true
		}
	}
	for i := range apps {
		app := &apps[i]
		if app.GetName() == fleet.AppName(cluster) {
			h.Application = app.GetName()
			continue
		}
		if app.GetLabels()[plan.StagesLabel] == "true" && strings.HasSuffix(app.GetName(), plan.StagesApp+"-"+cluster) {
			h.Stages = app.GetName()
			continue
		}
		d, _, _ := unstructured.NestedStringMap(app.Object, "spec", "destination")
		if (d["name"] != "" && dest.names[d["name"]]) || (d["server"] != "" && dest.servers[d["server"]]) {
			h.Addons = append(h.Addons, app.GetName())
		}
	}
	sort.Strings(h.Addons)
	return h
}

// leftover is an object the chart or Cluster API makes for a cluster.
type leftover struct {
	gvr             schema.GroupVersionResource
	kind, ns, name  string
	ownedByCAPIOnly bool
}

// leftovers are the objects of a cluster besides its Applications and
// cluster secret: the registration (packages/fleet-cluster's
// ExternalSecret, SecretStore and reader ServiceAccount) and Cluster
// API's Cluster and kubeconfig Secret in the cluster's namespace. The
// kubeconfig Secret counts only when Cluster API owns it: an existing
// cluster's is the user's.
func leftovers(cluster string) []leftover {
	eso := func(res string) schema.GroupVersionResource { return kube.GVR("external-secrets.io", "v1", res) }
	return []leftover{
		{gvr: eso("externalsecrets"), kind: "ExternalSecret", ns: fleetNamespace, name: fleet.AppName(cluster)},
		{gvr: eso("secretstores"), kind: "SecretStore", ns: fleetNamespace, name: fleet.AppName(cluster)},
		{gvr: kube.GVR("", "v1", "serviceaccounts"), kind: "ServiceAccount", ns: fleetNamespace, name: fleet.AppName(cluster) + "-kubeconfig-reader"},
		{gvr: kube.GVR("cluster.x-k8s.io", "v1beta2", "clusters"), kind: "Cluster", ns: cluster, name: cluster},
		{gvr: kube.Secrets, kind: "Secret", ns: cluster, name: cluster + "-kubeconfig", ownedByCAPIOnly: true},
	}
}

// ownedByCAPI: a Cluster API Cluster owns obj.
func ownedByCAPI(obj *unstructured.Unstructured) bool {
	for _, o := range obj.GetOwnerReferences() {
		if o.Kind == "Cluster" && strings.HasPrefix(o.APIVersion, "cluster.x-k8s.io/") {
			return true
		}
	}
	return false
}

// readLeft reads what the hub still holds of cluster.
func readLeft(ctx context.Context, kc *kube.Client, cluster string, dest *destinations) (*hubLeft, error) {
	secrets, err := kc.Typed.CoreV1().Secrets(fleetNamespace).List(ctx, metav1.ListOptions{LabelSelector: catalog.LabelSecretType + "=cluster," + fleet.ClusterLabel + "=" + cluster})
	if err != nil {
		return nil, fmt.Errorf("list the Argo CD cluster secrets in %s: %w", fleetNamespace, err)
	}
	var apps []unstructured.Unstructured
	list, err := kc.Dynamic.Resource(kube.Applications).Namespace(fleetNamespace).List(ctx, metav1.ListOptions{})
	switch {
	case err == nil:
		apps = list.Items
	case apierrors.IsNotFound(err) || kube.IsNoMatch(err): // no Argo CD
	default:
		return nil, fmt.Errorf("list the Argo CD Applications in %s: %w", fleetNamespace, err)
	}
	var objects []string
	for _, l := range leftovers(cluster) {
		obj, err := kc.Dynamic.Resource(l.gvr).Namespace(l.ns).Get(ctx, l.name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err) || kube.IsNoMatch(err):
			continue // absent, or its kind is not served: none of it
		case err != nil:
			return nil, fmt.Errorf("get %s %s/%s: %w", l.kind, l.ns, l.name, err)
		case l.ownedByCAPIOnly && !ownedByCAPI(obj):
			continue
		}
		objects = append(objects, fmt.Sprintf("%s %s/%s", l.kind, l.ns, l.name))
	}
	return leftOf(cluster, secrets.Items, apps, dest, objects), nil
}

// waitLeft watches the hub until done holds for what is left of cluster,
// or timeout. Any change to an Application or to the cluster's secret
// triggers a read; a read every few seconds covers the other objects and
// watches that break (an API server restart), and a failed read is
// retried until the timeout. progress gets each new state as describe
// puts it.
func waitLeft(ctx context.Context, kc *kube.Client, cluster string, dest *destinations, timeout time.Duration, what string, done func(*hubLeft) bool, describe func(*hubLeft) string, progress func(string)) (*hubLeft, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	changed := make(chan struct{}, 1)
	go watchChanges(ctx, kc, kube.Applications, "", changed)
	go watchChanges(ctx, kc, kube.Secrets, fleet.ClusterLabel+"="+cluster, changed)
	var last *hubLeft
	var lastErr error
	shown := ""
	for {
		h, err := readLeft(ctx, kc, cluster, dest)
		if err == nil {
			last, lastErr = h, nil
			if done(h) {
				return h, nil
			}
			if s := describe(h); s != shown {
				shown = s
				progress(s)
			}
		} else if ctx.Err() == nil {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			msg := fmt.Sprintf("%s: not done after %s", what, timeout)
			if last != nil {
				msg += "; left: " + describe(last)
			}
			if lastErr != nil {
				msg += "; last read: " + fleetFirstLine(lastErr)
			}
			return last, errors.New(msg)
		case <-changed:
		case <-time.After(3 * time.Second):
		}
	}
}

// watchChanges signals changed on every event of a watch of gvr in Argo
// CD's namespace, opening it again whenever it ends, until ctx ends.
func watchChanges(ctx context.Context, kc *kube.Client, gvr schema.GroupVersionResource, selector string, changed chan<- struct{}) {
	for ctx.Err() == nil {
		w, err := kc.Dynamic.Resource(gvr).Namespace(fleetNamespace).Watch(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(2 * time.Second):
			}
			continue
		}
		for range w.ResultChan() {
			select {
			case changed <- struct{}{}:
			default: // a read is due already
			}
		}
		w.Stop()
	}
}

// refreshFleet asks the fleet's ApplicationSet to read Git now, as a Git
// webhook would, instead of at its next poll (3 minutes). Best effort:
// without it Argo CD gets there at its poll.
func refreshFleet(ctx context.Context, kc *kube.Client, cfg *config.Config) error {
	if cfg == nil {
		return errors.New("config.yaml does not load: the fleet's ApplicationSet is not known")
	}
	name := plan.FleetWiring(cfg, fleetNamespace).Name
	patch := []byte(`{"metadata":{"annotations":{"argocd.argoproj.io/application-set-refresh":"true"}}}`)
	if _, err := kc.Dynamic.Resource(kube.ApplicationSets).Namespace(fleetNamespace).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("ask ApplicationSet %s/%s to read Git: %w", fleetNamespace, name, err)
	}
	return nil
}
