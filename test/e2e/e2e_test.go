// Package e2e runs `fleetup install` end to end against the real test
// environment: kube-apiserver with kwok nodes, the Argo CD controllers and
// External Secrets, a packages repository in Git and a chart repository on
// 127.0.0.1.
package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/cli"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/report"
	"github.com/fleetup/fleetup/test/awsserver"
	"github.com/fleetup/fleetup/test/envtest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

var (
	env *envtest.Env
	// The fleetup binary for subprocess tests, built once.
	binOnce sync.Once
	binPath string
	binErr  error
	// awsSrv is the AWS test server External Secrets reads from.
	awsSrv *awsserver.Server
)

func TestMain(m *testing.M) {
	var err error
	if awsSrv, err = awsserver.New("eu-west-1"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := envtest.Main(m, envtest.Options{Nodes: 3, ArgoCD: true, ESO: true, ESOEnv: awsSrv.Env()}, &env)
	awsSrv.Close()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

var diamond = []string{"argocd", "external-secrets", "base", "left", "right", "top"}

func timeout(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// requireHealthy checks every addon's Application is Synced, Healthy and
// Succeeded, which is also the hand-off for argocd and external-secrets.
func requireHealthy(t *testing.T, p *platform) {
	t.Helper()
	for _, a := range diamond {
		name := argocd.ApplicationName(a, p.Cluster)
		obj, err := env.Client.Dynamic.Resource(kube.Applications).Namespace("argocd").Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("Application %s: %v", name, err)
		}
		if st := argocd.Read(obj); !st.Healthy() {
			t.Errorf("Application %s: %s", name, st.Summary())
		}
	}
}

func TestInstallGated(t *testing.T) {
	env.Need(t)
	// base comes from a Git repository of its own at a tag, as an
	// operator's published manifests do.
	p := newPlatform(t, options{Strategy: "gated", GitBase: true, ChartResource: true})
	rec := &report.Recorder{}
	out, err := p.install(timeout(t, 8*time.Minute), t, func(in *cli.Install) { in.Global.Observe = rec })
	if err != nil {
		t.Fatalf("install: %v", err)
	}
	requireHealthy(t, p)
	for _, want := range []string{"step  preflight", "step  hand-off", "platform installed", "Argo CD: https://argocd." + p.Cluster} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// Gated: top is switched on only after left and right are healthy.
	order := switchOrder(rec)
	if order["top"] < order["left"] || order["top"] < order["right"] || order["left"] < order["base"] {
		t.Errorf("start order violates the graph: %v", order)
	}
	// External Secrets is the real chart: fleetup's Helm release, adopted by
	// its Application with nothing to change, so Argo CD never ran a sync.
	// It must count as healthy all the same (it once hung install).
	eso, err := env.Client.Dynamic.Resource(kube.Applications).Namespace("argocd").Get(context.Background(), argocd.ApplicationName("external-secrets", p.Cluster), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if op, found, _ := unstructured.NestedMap(eso.Object, "status", "operationState"); found {
		t.Errorf("the External Secrets Application ran a sync (%v): the adoption with nothing to change is not what this test covers any more", op["phase"])
	}
	// base's manifests are its tag's, not its branch's.
	settings, err := env.Client.Typed.CoreV1().ConfigMaps(p.NS+"-base").Get(context.Background(), "base-settings", metav1.GetOptions{})
	if err != nil || settings.Data["ready"] != "yes" {
		t.Errorf("base from its Git repository: ConfigMap %v %v, want the tag v0.1.0's (ready: yes)", settings.Data, err)
	}
	// top's additional chart: Argo CD rendered it as a second source of
	// top's Application, its release and values those of the catalog.
	extra, err := env.Client.Typed.CoreV1().ConfigMaps(p.NS+"-top").Get(context.Background(), p.Cluster+"-extra", metav1.GetOptions{})
	if err != nil || extra.Data["domain"] != p.Cluster+".e2e.example.test" {
		t.Errorf("top's additional chart: ConfigMap %v %v, want release %s-extra with domain %s.e2e.example.test", extra.Data, err, p.Cluster, p.Cluster)
	}
	// The CR of right needed base's CRD: it exists now.
	if _, err := env.Client.Dynamic.Resource(kube.GVR(p.Cluster+".e2e.fleetup.dev", "v1", "widgets")).Namespace(p.NS+"-right").Get(context.Background(), "right", metav1.GetOptions{}); err != nil {
		t.Errorf("Widget from right: %v", err)
	}
	// The platform secrets reached External Secrets' store.
	store, err := env.Client.Dynamic.Resource(kube.GVR("external-secrets.io", "v1", "clustersecretstores")).Get(context.Background(), p.Cluster+"-store", metav1.GetOptions{})
	if err != nil || !ready(store) {
		t.Errorf("ClusterSecretStore: %v %s", err, kube.Summary(store))
	}

	// A second run changes nothing and says so.
	before := fleetupObjects(t, p)
	out, err = p.install(timeout(t, 5*time.Minute), t, nil)
	if err != nil {
		t.Fatalf("second install: %v", err)
	}
	if !strings.Contains(out, "nothing changed") {
		t.Errorf("second run does not say nothing changed")
	}
	after := fleetupObjects(t, p)
	for k, v := range before {
		if after[k] != v {
			t.Errorf("second run changed %s: %s -> %s", k, v, after[k])
		}
	}
}

func TestInstallParallel(t *testing.T) {
	env.Need(t)
	p := newPlatform(t, options{Strategy: "parallel"})
	if _, err := p.install(timeout(t, 8*time.Minute), t, nil); err != nil {
		t.Fatalf("install: %v", err)
	}
	requireHealthy(t, p)
	// The end state matches gated: every addon switched on.
	sec, err := env.Client.Typed.CoreV1().Secrets("argocd").Get(context.Background(), "cluster-"+p.Cluster, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range diamond {
		if sec.Labels["enable_"+strings.ReplaceAll(a, "-", "_")] != "true" {
			t.Errorf("%s not switched on: %v", a, sec.Labels)
		}
	}
}

// switchOrder maps each addon to the index of the first report where it
// left "waiting".
func switchOrder(rec *report.Recorder) map[string]int {
	order := map[string]int{}
	for i, a := range rec.Addons() {
		if a.State != report.AddonWaiting {
			if _, seen := order[a.Name]; !seen {
				order[a.Name] = i
			}
		}
	}
	return order
}

func ready(o *unstructured.Unstructured) bool {
	ok, _ := kube.ConditionTrue("Ready")(o)
	return ok
}

// fleetupObjects maps the objects fleetup writes (and no controller
// updates) to their resourceVersions, plus the Helm releases' revisions and
// the fleetup field manager's entries on objects that controllers update.
func fleetupObjects(t *testing.T, p *platform) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	sel := metav1.ListOptions{LabelSelector: "fleetup.dev/managed=true"}
	for _, ns := range []string{"argocd", p.NS + "-secrets", "fleetup-system"} {
		secrets, err := env.Client.Typed.CoreV1().Secrets(ns).List(ctx, sel)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets.Items {
			out["secret "+ns+"/"+s.Name] = s.ResourceVersion
		}
		cms, _ := env.Client.Typed.CoreV1().ConfigMaps(ns).List(ctx, sel)
		for _, c := range cms.Items {
			out["configmap "+ns+"/"+c.Name] = c.ResourceVersion
		}
	}
	helmSecrets, _ := env.Client.Typed.CoreV1().Secrets("").List(ctx, metav1.ListOptions{LabelSelector: "owner=helm"})
	for _, s := range helmSecrets.Items {
		if strings.Contains(s.Name, p.Cluster) {
			out["helm "+s.Namespace+"/"+s.Name] = s.ResourceVersion
		}
	}
	sets, _ := env.Client.Dynamic.Resource(kube.ApplicationSets).Namespace("argocd").List(ctx, sel)
	for _, s := range sets.Items {
		if strings.HasPrefix(s.GetName(), p.Cluster+"-") {
			out["appset fields "+s.GetName()] = fleetupFields(s.GetManagedFields())
		}
	}
	if len(out) < 8 {
		t.Fatalf("found only %d fleetup objects: %v", len(out), out)
	}
	return out
}

func fleetupFields(mf []metav1.ManagedFieldsEntry) string {
	for _, m := range mf {
		if m.Manager == kube.FieldManager && m.Time != nil {
			return m.Time.String() + " " + string(m.FieldsV1.Raw)
		}
	}
	return ""
}
