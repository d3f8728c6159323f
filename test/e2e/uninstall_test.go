package e2e

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/bootstrap"
	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/cli"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/record"
	"github.com/fleetup/fleetup/internal/report"
	"github.com/fleetup/fleetup/internal/status"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// uninstall runs `fleetup uninstall --yes` in-process with the given flags.
func (p *platform) uninstall(ctx context.Context, t testing.TB, set func(*cli.Uninstall)) (string, error) {
	t.Helper()
	out := &syncBuffer{}
	g := &cli.Global{ConfigFile: p.Config, Kubeconfig: env.Kubeconfig, Output: "text", LogFormat: "text", Yes: true, Stdin: strings.NewReader(""), Stdout: out, Stderr: out}
	un := &cli.Uninstall{Global: g, FinalizerTimeout: 5 * time.Second}
	if set != nil {
		set(un)
	}
	err := un.Run(ctx)
	t.Logf("fleetup uninstall (%s):\n%s", p.Cluster, out.String())
	return out.String(), err
}

// claim creates a PVC as a StatefulSet of the addon would.
func claim(t *testing.T, ns, name string, labels map[string]string) {
	t.Helper()
	pvc := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
		},
	}
	if _, err := env.Client.Typed.CoreV1().PersistentVolumeClaims(ns).Create(context.Background(), pvc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// ownBy makes the PVC name a dependent of an object of ns.
func ownBy(t *testing.T, ns, name, apiVersion, kind, owner string) {
	t.Helper()
	ctx := context.Background()
	gv, _ := schema.ParseGroupVersion(apiVersion)
	o, err := env.Client.Get(ctx, actions.Ref(apiVersion, kind, ns, owner))
	if err != nil || o == nil {
		t.Fatalf("owner %s %s/%s: %v", kind, ns, owner, err)
	}
	patch := fmt.Sprintf(`{"metadata":{"ownerReferences":[{"apiVersion":%q,"kind":%q,"name":%q,"uid":%q}]}}`, gv.String(), kind, owner, o.GetUID())
	if _, err := env.Client.Typed.CoreV1().PersistentVolumeClaims(ns).Patch(ctx, name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

func exists(t testing.TB, err error) bool {
	t.Helper()
	if apierrors.IsNotFound(err) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

// requireGone checks nothing of the platform is left: no object with
// fleetup's labels, no Helm release, no namespace fleetup created, no
// Application or ApplicationSet, no install record; objects named in keep
// are allowed.
func requireGone(t testing.TB, p *platform, keep ...string) {
	t.Helper()
	ctx := context.Background()
	sel := metav1.ListOptions{LabelSelector: "fleetup.dev/managed=true"}
	mine := func(ns, name string) bool {
		return strings.HasPrefix(ns, p.NS) || strings.Contains(name, p.Cluster)
	}
	for _, gvr := range []schema.GroupVersionResource{
		kube.GVR("", "v1", "secrets"), kube.GVR("", "v1", "configmaps"), kube.GVR("", "v1", "serviceaccounts"),
		kube.GVR("", "v1", "namespaces"), kube.GVR("rbac.authorization.k8s.io", "v1", "roles"),
		kube.GVR("rbac.authorization.k8s.io", "v1", "rolebindings"), kube.Applications, kube.ApplicationSets,
		kube.GVR("external-secrets.io", "v1", "clustersecretstores"),
	} {
		list, err := env.Client.Dynamic.Resource(gvr).List(ctx, sel)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range list.Items {
			if mine(o.GetNamespace(), o.GetName()) && !slices.Contains(keep, o.GetName()) {
				t.Errorf("left behind with fleetup's labels: %s", kube.Describe(&o))
			}
		}
	}
	helm, err := env.Client.Typed.CoreV1().Secrets("").List(ctx, metav1.ListOptions{LabelSelector: "owner=helm"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range helm.Items {
		if strings.Contains(s.Name, p.Cluster) {
			t.Errorf("Helm release left behind: %s/%s", s.Namespace, s.Name)
		}
	}
	for _, suffix := range []string{"eso", "base", "left", "top", "secrets"} {
		_, err := env.Client.Typed.CoreV1().Namespaces().Get(ctx, p.NS+"-"+suffix, metav1.GetOptions{})
		if exists(t, err) {
			t.Errorf("namespace %s-%s left behind", p.NS, suffix)
		}
	}
	for _, a := range diamond {
		_, err := env.Client.Dynamic.Resource(kube.Applications).Namespace("argocd").Get(ctx, a+"-"+p.Cluster, metav1.GetOptions{})
		if exists(t, err) {
			t.Errorf("Application %s-%s left behind", a, p.Cluster)
		}
	}
}

// widget is a custom resource of the base addon's CRD.
func widget(p *platform, ns, name string, finalizers ...string) *unstructured.Unstructured {
	w := &unstructured.Unstructured{}
	w.SetAPIVersion(p.Cluster + ".e2e.fleetup.dev/v1")
	w.SetKind("Widget")
	w.SetNamespace(ns)
	w.SetName(name)
	w.SetFinalizers(finalizers)
	return w
}

// TestUninstallPurgeCRDs: install, then uninstall --purge-crds removes
// everything of fleetup's in reverse order, keeps a namespace that existed
// before, reports a custom resource whose finalizer blocks and keeps it
// (and its CRD) without --force, removes it with --force and lists the
// finalizer; a third run finds nothing to remove.
func TestUninstallPurgeCRDs(t *testing.T) {
	env.Need(t)
	// No crdGroups: after the first run, only the install record knows the
	// widgets CRD (its Application is gone), and --force must purge it.
	p := newPlatform(t, options{NoCRDGroups: true})
	ctx := context.Background()
	// right's namespace exists before the install: not fleetup's.
	foreign := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: p.NS + "-right"}}
	if _, err := env.Client.Typed.CoreV1().Namespaces().Create(ctx, foreign, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		env.Client.Typed.CoreV1().Namespaces().Delete(context.Background(), foreign.Name, metav1.DeleteOptions{})
	})
	if _, err := p.install(timeout(t, 8*time.Minute), t, nil); err != nil {
		t.Fatalf("install: %v", err)
	}
	claim(t, p.NS+"-left", "data-left-0", map[string]string{"app": "left"})
	// A Widget no controller will finalize, in the flow's own namespace.
	hold := "e2e.fleetup.dev/hold"
	stuck := widget(p, p.NS, "stuck", hold)
	if _, err := env.Client.Apply(ctx, stuck); err != nil {
		t.Fatal(err)
	}
	crd := "widgets." + p.Cluster + ".e2e.fleetup.dev"

	rec := &report.Recorder{}
	out, err := p.uninstall(timeout(t, 5*time.Minute), t, func(u *cli.Uninstall) { u.PurgeCRDs = true; u.Global.Observe = rec })
	var se *bootstrap.StuckError
	if !errors.As(err, &se) {
		t.Fatalf("uninstall without --force: want a stuck finalizer error, got %v", err)
	}
	for _, want := range []string{"Widget " + p.NS + "/stuck", hold, "--force", "left alone: Namespace " + p.NS + "-right"} {
		if !strings.Contains(out+err.Error(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// Reverse dependency order: top before left and right, those before base.
	order := removalOrder(rec)
	if !(order["top"] < order["left"] && order["top"] < order["right"] && order["left"] < order["base"] && order["right"] < order["base"]) {
		t.Errorf("removal order violates the graph: %v", order)
	}
	if cur, _ := env.Client.Get(ctx, stuck); cur == nil {
		t.Error("the Widget with a blocking finalizer was removed without --force")
	}
	if _, err := env.Client.Dynamic.Resource(kube.CRDs).Get(ctx, crd, metav1.GetOptions{}); !exists(t, err) {
		t.Error("its CRD was deleted while a Widget is blocked")
	}
	if _, err := env.Client.Typed.CoreV1().PersistentVolumeClaims(p.NS+"-left").Get(ctx, "data-left-0", metav1.GetOptions{}); exists(t, err) {
		t.Error("the addon's PVC was kept without --keep-pvcs")
	}
	// The record stays while something is stuck.
	recName := record.ProgressName(p.Cluster)
	if _, err := env.Client.Typed.CoreV1().ConfigMaps(record.Namespace).Get(ctx, recName, metav1.GetOptions{}); !exists(t, err) {
		t.Error("the install record was removed although a Widget is stuck")
	}
	requireGone(t, p, recName)
	if _, err := env.Client.Typed.CoreV1().Namespaces().Get(ctx, foreign.Name, metav1.GetOptions{}); !exists(t, err) {
		t.Error("the namespace that existed before the install was deleted")
	}

	out, err = p.uninstall(timeout(t, 5*time.Minute), t, func(u *cli.Uninstall) { u.PurgeCRDs, u.Force = true, true })
	if err != nil {
		t.Fatalf("uninstall --force: %v", err)
	}
	if !strings.Contains(out, "finalizer removed (--force): Widget "+p.NS+"/stuck (finalizers ["+hold+"])") {
		t.Error("--force did not list the finalizer it removed")
	}
	if cur, _ := env.Client.Get(ctx, stuck); cur != nil {
		t.Error("the Widget survived --force")
	}
	if _, err := env.Client.Dynamic.Resource(kube.CRDs).Get(ctx, crd, metav1.GetOptions{}); exists(t, err) {
		t.Error("the CRD survived --purge-crds --force")
	}

	out, err = p.uninstall(timeout(t, time.Minute), t, nil)
	if err != nil || !strings.Contains(out, "nothing to remove") {
		t.Errorf("third uninstall: %v\n%s", err, out)
	}
}

// removalOrder maps each addon to the index of the report saying it was
// removed.
func removalOrder(rec *report.Recorder) map[string]int {
	order := map[string]int{}
	for i, a := range rec.Addons() {
		if a.State == report.AddonRemoved {
			order[a.Name] = i
		}
	}
	return order
}

// TestUninstallKilledThenRerun: SIGKILL in the middle of removing the
// addons leaves the platform uninstalling (status says so, in the
// documented schema); a rerun finishes, and --keep-pvcs keeps the claim
// and the namespace holding it.
func TestUninstallKilledThenRerun(t *testing.T) {
	env.Need(t)
	bin := fleetupBinary(t)
	p := newPlatform(t, options{})
	if _, err := p.install(timeout(t, 8*time.Minute), t, nil); err != nil {
		t.Fatalf("install: %v", err)
	}
	claim(t, p.NS+"-left", "data-left-0", map[string]string{"app": "left"})
	// Owned by left's Deployment, as an operator's database owns its
	// claims (CloudNativePG's Cluster): the garbage collector would take it
	// with the Deployment.
	ownBy(t, p.NS+"-left", "data-left-0", "apps/v1", "Deployment", "left")

	if !killAt(t, bin, p, " removed: ", "uninstall", "--keep-pvcs") {
		t.Fatal("uninstall finished before an addon was removed")
	}
	st, code := p.status(t)
	if st.Phase != status.PhaseUninstalling || code != 1 {
		t.Errorf("status after the kill: phase %s, exit %d; want uninstalling, 1", st.Phase, code)
	}
	removed := 0
	for _, a := range st.Addons {
		if a.State == "removed" {
			removed++
		}
	}
	if removed == 0 || removed == len(st.Addons) {
		t.Errorf("status after the kill: %d of %d addons removed", removed, len(st.Addons))
	}

	out, err := p.uninstall(timeout(t, 5*time.Minute), t, func(u *cli.Uninstall) { u.KeepPVCs = true })
	if err != nil {
		t.Fatalf("rerun: %v", err)
	}
	if !strings.Contains(out, "PersistentVolumeClaims kept (--keep-pvcs): "+p.NS+"-left/data-left-0") {
		t.Error("the kept PVC is not reported")
	}
	ctx := context.Background()
	kept, err := env.Client.Typed.CoreV1().PersistentVolumeClaims(p.NS+"-left").Get(ctx, "data-left-0", metav1.GetOptions{})
	if !exists(t, err) {
		t.Fatal("--keep-pvcs deleted the PVC")
	}
	// Kept for good: no owner left for the garbage collector to follow,
	// and not on its way out.
	if len(kept.OwnerReferences) != 0 || kept.DeletionTimestamp != nil {
		t.Errorf("kept PVC: owner references %v, deletion timestamp %v; want none", kept.OwnerReferences, kept.DeletionTimestamp)
	}
	st, _ = p.status(t)
	if st.Phase != status.PhaseNotInstalled {
		t.Errorf("status after uninstall: %s", st.Phase)
	}
	// Everything else is gone; left's namespace stays for its claim.
	env.Client.Typed.CoreV1().Namespaces().Delete(ctx, p.NS+"-left", metav1.DeleteOptions{})
	env.Client.Typed.CoreV1().PersistentVolumeClaims(p.NS+"-left").Delete(ctx, "data-left-0", metav1.DeleteOptions{})
	if err := env.Client.WaitGone(timeout(t, time.Minute), &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": p.NS + "-left"}}}); err != nil {
		t.Fatal(err)
	}
	requireGone(t, p)

	// Installing again right away works (namespaces may still terminate).
	if _, err := p.install(timeout(t, 8*time.Minute), t, nil); err != nil {
		t.Fatalf("install after uninstall: %v", err)
	}
	requireHealthy(t, p)
}

// TestUninstallNothingToRemove: on a cluster without the platform it says
// so and succeeds.
func TestUninstallNothingToRemove(t *testing.T) {
	env.Need(t)
	p := newPlatform(t, options{})
	out, err := p.uninstall(timeout(t, time.Minute), t, nil)
	if err != nil || !strings.Contains(out, "nothing to remove") {
		t.Errorf("uninstall: %v\n%s", err, out)
	}
}
