package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// fleetNamespace holds the workload clusters' Argo CD secrets and
// Applications.
const fleetNamespace = "argocd"

// ClusterLive is what the hub's Argo CD knows of one fleet cluster.
type ClusterLive struct {
	// Registered: a cluster secret labelled with the cluster exists.
	Registered bool   `json:"registered"`
	Secret     string `json:"secret,omitempty"`
	Server     string `json:"server,omitempty"`
	// Application is fleet-<cluster>; nil when it does not exist.
	Application *AppLive `json:"application,omitempty"`
	// Stages is the cluster's stages Application, which creates its addon
	// Applications wave by wave; nil when it does not exist.
	Stages *AppLive `json:"stages,omitempty"`
	// Addons are the Applications deployed to the cluster, and the
	// bundle's addons that have none yet (state "missing").
	Addons []AppLive `json:"addons"`
}

// AppLive is one Application's state, as fleetup judges it.
type AppLive struct {
	Addon  string `json:"addon,omitempty"`
	Name   string `json:"name"`
	State  string `json:"state"`
	Sync   string `json:"sync,omitempty"`
	Health string `json:"health,omitempty"`
	// Wave is the sync wave its stages Application gives it (the addon's
	// dependency level).
	Wave    string `json:"wave,omitempty"`
	Message string `json:"message,omitempty"`
}

// Healthy counts the healthy addons.
func (l *ClusterLive) Healthy() int {
	n := 0
	for _, a := range l.Addons {
		if a.State == "healthy" {
			n++
		}
	}
	return n
}

// ReadLive joins the hub's state to the fleet: for each cluster (name to
// its bundle, the addons switched on) its Argo CD cluster secret in ns
// (labelled fleetup.dev/cluster) and the Applications whose destination
// is that cluster's name or server.
func ReadLive(ctx context.Context, kc *kube.Client, ns string, bundles map[string][]string) (map[string]*ClusterLive, error) {
	secrets, err := kc.Typed.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{LabelSelector: catalog.LabelSecretType + "=cluster," + fleet.ClusterLabel})
	if err != nil {
		return nil, fmt.Errorf("list the Argo CD cluster secrets in %s: %w", ns, err)
	}
	apps, err := kc.Dynamic.Resource(kube.Applications).Namespace(ns).List(ctx, metav1.ListOptions{})
	if apierrors.IsNotFound(err) || kube.IsNoMatch(err) {
		apps = &unstructured.UnstructuredList{} // no Argo CD: nothing deployed
	} else if err != nil {
		return nil, fmt.Errorf("list the Argo CD Applications in %s: %w", ns, err)
	}
	return joinLive(ns, secrets.Items, apps.Items, bundles), nil
}

// joinLive matches cluster secrets and Applications to the clusters.
func joinLive(ns string, secrets []corev1.Secret, apps []unstructured.Unstructured, bundles map[string][]string) map[string]*ClusterLive {
	out := make(map[string]*ClusterLive, len(bundles))
	for name := range bundles {
		out[name] = &ClusterLive{Addons: []AppLive{}}
	}
	// The destination names and servers of each cluster; only these two
	// keys of the secret are read, never its credentials.
	names, servers := map[string]string{}, map[string]string{}
	for _, s := range secrets {
		cluster := s.Labels[fleet.ClusterLabel]
		l := out[cluster]
		if l == nil || s.Labels[catalog.LabelSecretType] != "cluster" {
			continue // a cluster no longer in the fleet
		}
		l.Registered, l.Secret, l.Server = true, ns+"/"+s.Name, string(s.Data["server"])
		if n := string(s.Data["name"]); n != "" {
			names[n] = cluster
		}
		if l.Server != "" {
			servers[l.Server] = cluster
		}
	}
	for i := range apps {
		app := &apps[i]
		if c, ok := strings.CutPrefix(app.GetName(), fleet.AppPrefix); ok && out[c] != nil {
			a := appLive(app, "")
			out[c].Application = &a
		}
		if c := stagesOf(app, out); c != "" {
			a := appLive(app, "")
			out[c].Stages = &a
			continue
		}
		dest, _, _ := unstructured.NestedStringMap(app.Object, "spec", "destination")
		cluster := names[dest["name"]]
		if cluster == "" {
			cluster = servers[dest["server"]]
		}
		if cluster == "" {
			continue
		}
		addon := strings.TrimSuffix(app.GetName(), "-"+cluster)
		out[cluster].Addons = append(out[cluster].Addons, appLive(app, addon))
	}
	for cluster, l := range out {
		if !l.Registered {
			continue
		}
		have := map[string]bool{}
		for _, a := range l.Addons {
			have[a.Addon] = true
		}
		missing := "no Application deploys it to the cluster yet"
		if l.Stages != nil {
			missing = "not created yet: its stages Application creates it once the addons it depends on are healthy"
		}
		for _, addon := range bundles[cluster] {
			if !have[addon] {
				l.Addons = append(l.Addons, AppLive{Addon: addon, Name: argocd.ApplicationName(addon, cluster), State: "missing", Message: missing})
			}
		}
		sort.Slice(l.Addons, func(i, j int) bool { return l.Addons[i].Addon < l.Addons[j].Addon })
	}
	return out
}

func appLive(obj *unstructured.Unstructured, addon string) AppLive {
	a := argocd.Read(obj)
	v := a.Verdict()
	return AppLive{Addon: addon, Name: obj.GetName(), State: string(v.State), Sync: a.Sync, Health: a.Health,
		Wave: obj.GetAnnotations()[syncWave], Message: argocd.OneLine(v.Message, 200)}
}

// syncWave is Argo CD's annotation ordering an Application's resources.
const syncWave = "argocd.argoproj.io/sync-wave"

// stagesOf names the fleet cluster whose stages Application app is (the
// appset chart's `<appsetPrefix>fleetup-stages-<cluster>`, labelled
// fleetup.dev/stages); empty when it is none.
func stagesOf(app *unstructured.Unstructured, clusters map[string]*ClusterLive) string {
	if app.GetLabels()[plan.StagesLabel] != "true" {
		return ""
	}
	for c := range clusters {
		if strings.HasSuffix(app.GetName(), plan.StagesApp+"-"+c) {
			return c
		}
	}
	return ""
}
