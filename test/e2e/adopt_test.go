package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/aws"
	"github.com/fleetup/fleetup/internal/bootstrap"
	"github.com/fleetup/fleetup/internal/bootstrap/actions"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/adopt"
	"github.com/fleetup/fleetup/internal/bootstrap/actions/preflight"
	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/cli"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/helm"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	"github.com/fleetup/fleetup/internal/redact"
	"github.com/fleetup/fleetup/internal/report"
	"github.com/fleetup/fleetup/internal/secrets"
	"github.com/fleetup/fleetup/test/envtest"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// adoptToken is the credential file's token: it must never reach output.
const adoptToken = "ghp_adoptE2EtokenNeverPrinted0123456789"

// TestInstallAdopt: a platform made the way CNOE's install.sh makes one,
// without fleetup (the helm CLI installs Argo CD and External Secrets,
// `kubectl apply`-style creates write the config secrets, the bootstrap and
// store objects, the hub cluster secret and the ApplicationSets, without
// fleetup's labels), running with every addon Healthy. `fleetup install`
// refuses it in preflight, listing exactly what exists without fleetup and
// changing nothing; `--adopt` shows the takeover in the approval prompt,
// then takes it over: every addon Healthy, no Deployment, Application or
// ApplicationSet recreated, the Helm releases upgraded in place, the user's
// own objects untouched, no secret value printed. A rerun changes nothing
// and `fleetup uninstall` removes the platform.
func TestInstallAdopt(t *testing.T) {
	env.Need(t)
	ctx := context.Background()
	p := newPlatform(t, options{GitHubToken: adoptToken})
	pl := p.plan(t)

	// The user's own objects: never touched.
	users := []*corev1.ConfigMap{
		{ObjectMeta: metav1.ObjectMeta{Name: "users-" + p.Cluster, Namespace: "argocd"}, Data: map[string]string{"mine": "yes"}},
	}
	made := installShaped(t, p, pl)
	users = append(users, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "users-notes", Namespace: p.NS + "-left"}, Data: map[string]string{"mine": "yes"}})
	for _, c := range users {
		if _, err := env.Client.Typed.CoreV1().ConfigMaps(c.Namespace).Create(ctx, c, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		env.Client.Typed.CoreV1().ConfigMaps("argocd").Delete(context.Background(), users[0].Name, metav1.DeleteOptions{})
	})
	before := adoptIdentities(t, p, pl)
	userRV := map[string]string{}
	for _, c := range users {
		cur, err := env.Client.Typed.CoreV1().ConfigMaps(c.Namespace).Get(ctx, c.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		userRV[c.Namespace+"/"+c.Name] = cur.ResourceVersion
	}

	// 1. Without --adopt: refused in preflight, each object and release
	// listed, --adopt named, nothing changed.
	out, err := p.install(timeout(t, 3*time.Minute), t, nil)
	var pf *preflight.Failed
	if !errors.As(err, &pf) {
		t.Fatalf("install without --adopt on an install.sh platform: want a preflight failure, got %v", err)
	}
	var listed []string
	for _, pr := range pf.Problems {
		if strings.Contains(pr, " exists and was not ") {
			listed = append(listed, pr[:strings.Index(pr, " exists and was not ")])
		}
	}
	want := append([]string{"Helm release argocd/argocd-" + p.Cluster, "Helm release " + p.NS + "-eso/eso-" + p.Cluster}, made...)
	slices.Sort(listed)
	slices.Sort(want)
	if !slices.Equal(listed, want) {
		t.Errorf("preflight lists as existing without fleetup:\n  %s\nwant exactly:\n  %s", strings.Join(listed, "\n  "), strings.Join(want, "\n  "))
	}
	if msg := err.Error(); !strings.Contains(msg, "`fleetup install --adopt` takes them over") || !strings.Contains(msg, p.NS+"-left") {
		t.Errorf("the refusal does not say that --adopt takes it over, with the namespaces:\n%s", msg)
	}
	adoptRequireUntouched(t, p, pl, "after the refused install")
	adoptRequireSame(t, before, adoptIdentities(t, p, pl), "the refused install")
	adoptNoSecret(t, out)

	// 2. --adopt asks with exactly what it takes over; answering no
	// changes nothing.
	out, err = p.install(timeout(t, 3*time.Minute), t, func(in *cli.Install) {
		in.Adopt = true
		in.Global.Yes = false
		in.Global.Stdin = strings.NewReader("n\n")
		in.IsTerminal = func() bool { return true }
	})
	if !errors.Is(err, bootstrap.ErrNotApproved) {
		t.Fatalf("install --adopt answered no: %v", err)
	}
	prompt := adoptSection(out, "and take over, in place", "Proceed?")
	if prompt == "" {
		t.Fatalf("the approval prompt shows no takeover:\n%s", out)
	}
	for _, w := range want {
		if !strings.Contains(prompt, "    "+strings.TrimPrefix(w, "Helm release ")) && !strings.Contains(prompt, "    "+w) {
			t.Errorf("the prompt does not list %s", w)
		}
	}
	adopted := []string{p.NS + "-eso", p.NS + "-base", p.NS + "-left", p.NS + "-right", p.NS + "-top"}
	nsSection := adoptSection(prompt, "namespaces made for the platform", "\n  Applications")
	for _, ns := range adopted {
		if !strings.Contains(nsSection, "Namespace "+ns+" (made by ") {
			t.Errorf("the prompt does not take over namespace %s:\n%s", ns, nsSection)
		}
	}
	if strings.Contains(nsSection, "Namespace argocd ") || !strings.Contains(adoptSection(prompt, "namespaces that existed before the platform", ""), "Namespace argocd (") {
		t.Errorf("the environment's namespace argocd (not made for the platform) is not shown as left alone:\n%s", prompt)
	}
	for _, a := range diamond {
		if !strings.Contains(adoptSection(prompt, "Applications, left as they are", "namespaces that existed"), "Application argocd/"+argocd.ApplicationName(a, p.Cluster)+" (") {
			t.Errorf("the prompt does not list the Application of %s as left as it is", a)
		}
	}
	adoptRequireUntouched(t, p, pl, "after the refused approval")
	adoptNoSecret(t, out)

	// 3. --adopt --yes takes it over.
	rec := &report.Recorder{}
	out, err = p.install(timeout(t, 8*time.Minute), t, func(in *cli.Install) {
		in.Adopt = true
		in.Global.Observe = rec
	})
	if err != nil {
		t.Fatalf("install --adopt: %v", err)
	}
	adoptNoSecret(t, out)
	requireHealthy(t, p)
	if st := adoptStepSummary(rec, "adopt"); !strings.Contains(st, "took over 2 Helm releases, 5 namespaces, "+plan.Count(len(made), "object")) {
		t.Errorf("adopt step: %q", st)
	}
	adoptRequireSame(t, before, adoptIdentities(t, p, pl), "install --adopt")
	for _, r := range pl.Releases {
		info, err := adoptHelm(t).Get(ctx, r.Release, r.Namespace)
		if err != nil || info == nil || !info.Owned {
			t.Errorf("Helm release %s/%s not fleetup's after --adopt: %+v %v", r.Namespace, r.Release, info, err)
		}
		// Upgraded in place: install.sh's first revision is still there.
		if _, err := env.Client.Typed.CoreV1().Secrets(r.Namespace).Get(ctx, "sh.helm.release.v1."+r.Release+".v1", metav1.GetOptions{}); err != nil {
			t.Errorf("Helm release %s/%s: revision 1 is gone (reinstalled?): %v", r.Namespace, r.Release, err)
		}
	}
	for _, ns := range append(adopted, p.NS+"-secrets") {
		cur, err := env.Client.Typed.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if err != nil || cur.Labels[plan.LabelManaged] != "true" {
			t.Errorf("namespace %s not fleetup's after --adopt: %v %v", ns, err, cur.Labels)
		}
	}
	if cur, err := env.Client.Typed.CoreV1().Namespaces().Get(ctx, "argocd", metav1.GetOptions{}); err != nil || cur.Labels[plan.LabelManaged] != "" {
		t.Errorf("the environment's namespace argocd was taken over: %v %v", err, cur.Labels)
	}
	for _, ref := range adopt.Objects(pl) {
		cur, err := env.Client.Get(ctx, ref.DeepCopy())
		if err != nil || cur == nil {
			t.Errorf("%s: %v", kube.Describe(ref), err)
			continue
		}
		if !actions.Owner.Owns(cur) {
			t.Errorf("%s is not fleetup's after --adopt: %v", kube.Describe(cur), cur.GetLabels())
		}
		if _, ok := cur.GetAnnotations()[adopt.LastApplied]; ok && cur.GetKind() == "Secret" {
			t.Errorf("%s still holds kubectl's last-applied record (its data in clear text)", kube.Describe(cur))
		}
	}
	for _, c := range users {
		cur, err := env.Client.Typed.CoreV1().ConfigMaps(c.Namespace).Get(ctx, c.Name, metav1.GetOptions{})
		if err != nil || cur.ResourceVersion != userRV[c.Namespace+"/"+c.Name] || cur.Labels[plan.LabelManaged] != "" {
			t.Errorf("the user's ConfigMap %s/%s was touched: %v", c.Namespace, c.Name, err)
		}
	}

	// 4. A rerun with --adopt changes nothing.
	objs := fleetupObjects(t, p)
	rec = &report.Recorder{}
	out, err = p.install(timeout(t, 5*time.Minute), t, func(in *cli.Install) {
		in.Adopt = true
		in.Global.Observe = rec
	})
	if err != nil {
		t.Fatalf("second install --adopt: %v", err)
	}
	if !strings.Contains(out, "nothing changed") {
		t.Error("the second install --adopt does not say nothing changed")
	}
	if st := adoptStepSummary(rec, "adopt"); !strings.Contains(st, "nothing to take over") {
		t.Errorf("adopt step of the rerun: %q", st)
	}
	after := fleetupObjects(t, p)
	for k, v := range objs {
		if after[k] != v {
			t.Errorf("the second install --adopt changed %s: %s -> %s", k, v, after[k])
		}
	}
	adoptRequireSame(t, before, adoptIdentities(t, p, pl), "the second install --adopt")

	// 5. uninstall removes the platform; the user's object in a namespace
	// fleetup does not own stays.
	if _, err := p.uninstall(timeout(t, 6*time.Minute), t, nil); err != nil {
		t.Fatalf("uninstall: %v", err)
	}
	requireGone(t, p)
	if _, err := env.Client.Typed.CoreV1().ConfigMaps("argocd").Get(ctx, users[0].Name, metav1.GetOptions{}); err != nil {
		t.Errorf("uninstall removed the user's ConfigMap argocd/%s: %v", users[0].Name, err)
	}

	// 6. --adopt where nothing of the platform exists is a plain install.
	rec = &report.Recorder{}
	out, err = p.install(timeout(t, 8*time.Minute), t, func(in *cli.Install) {
		in.Adopt = true
		in.Global.Observe = rec
	})
	if err != nil {
		t.Fatalf("install --adopt on a cluster without the platform: %v", err)
	}
	if st := adoptStepSummary(rec, "adopt"); !strings.Contains(st, "nothing to take over") || !strings.Contains(out, "platform installed") {
		t.Errorf("install --adopt on a cluster without the platform: adopt step %q", st)
	}
	requireHealthy(t, p)
	if _, err := p.uninstall(timeout(t, 6*time.Minute), t, nil); err != nil {
		t.Fatalf("uninstall: %v", err)
	}
	requireGone(t, p)
}

// installShaped makes p's platform the way CNOE's install.sh does, with no
// fleetup: the config secrets (create-config-secrets.sh), `helm upgrade
// --install --create-namespace --wait` of each release with the helm CLI,
// then `kubectl apply` of the bootstrap and store objects, the hub cluster
// secret and the ApplicationSets, none with fleetup's labels. It waits
// until every addon's Application is Healthy and returns the objects it
// applied (kind namespace/name).
func installShaped(t *testing.T, p *platform, pl *plan.Plan) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	var made []string
	apply := func(obj map[string]any) {
		made = append(made, kubectlApply(ctx, t, obj))
	}
	// create-config-secrets.sh: the secrets namespace, its reader and the
	// config secrets (values from config.yaml and private/).
	for _, m := range pl.Secrets.Store {
		if m.Kind != "ClusterSecretStore" {
			apply(m.Object)
		}
	}
	if pl.Config.Secrets.Backend == config.BackendAWS {
		clients, err := aws.New(ctx, aws.Options{Region: pl.Config.Region})
		if err != nil {
			t.Fatal(err)
		}
		secs, err := plan.AWSSecrets(pl.Config, &redact.Redactor{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secs {
			if _, err := clients.Sync(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
	} else {
		values, err := secrets.Desired(pl.Config, &redact.Redactor{})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range values {
			data := map[string]any{}
			for k, val := range secrets.Flatten(v.Value) {
				data[k] = val
			}
			apply(map[string]any{"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
				"metadata": map[string]any{"name": v.KubernetesName, "namespace": pl.Config.Secrets.Namespace}, "stringData": data})
		}
	}
	// helm upgrade --install of Argo CD and External Secrets.
	for _, r := range pl.Releases {
		helmCLI(ctx, t, r)
	}
	for _, m := range pl.Bootstrap {
		apply(m.Object)
	}
	for _, m := range pl.Secrets.Store {
		if m.Kind == "ClusterSecretStore" {
			apply(m.Object)
		}
	}
	if pl.ClusterSecret.Object != nil {
		apply(pl.ClusterSecret.Object)
	}
	for _, m := range pl.RepoSecrets {
		apply(m.Object)
	}
	// The bootstrap ApplicationSets: a CNOE fork's (packages/bootstrap/
	// values.yaml), whose Application renders the catalog's from Git; for
	// a catalog without them, the catalog's own, applied directly.
	sets := pl.ApplicationSets
	var names []string
	for _, a := range pl.Catalog.Installed() {
		names = append(names, argocd.ApplicationName(a.Name, p.Cluster))
	}
	if pl.GitOps.Shape == plan.ShapeCNOE {
		sets = pl.GitOps.Objects
		names = append(names, pl.GitOps.Application)
	}
	for _, m := range sets {
		apply(m.Object)
	}
	for _, name := range names {
		_, err := env.Client.WaitFor(ctx, kube.Applications, "argocd", name, "Application "+name+" Healthy", func(u *unstructured.Unstructured) (bool, error) {
			return u != nil && argocd.Read(u).Healthy(), nil
		})
		if err != nil {
			adoptDumpApps(t, p)
			t.Fatalf("the install.sh-shaped platform: %v", err)
		}
	}
	return made
}

// kubectlApply creates obj as `kubectl apply` does: kubectl's field
// manager and last-applied record, none of fleetup's labels.
func kubectlApply(ctx context.Context, t *testing.T, obj map[string]any) string {
	t.Helper()
	u := (&unstructured.Unstructured{Object: obj}).DeepCopy()
	strip := func(fields ...string) {
		labels, found, _ := unstructured.NestedStringMap(u.Object, fields...)
		if !found {
			return
		}
		delete(labels, plan.LabelManaged)
		delete(labels, plan.LabelManagedBy)
		if err := unstructured.SetNestedStringMap(u.Object, labels, fields...); err != nil {
			t.Fatal(err)
		}
	}
	strip("metadata", "labels")
	strip("spec", "template", "metadata", "labels")
	last, err := json.Marshal(u.Object)
	if err != nil {
		t.Fatal(err)
	}
	ann := u.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[adopt.LastApplied] = string(last)
	u.SetAnnotations(ann)
	ri, _, err := env.Client.Resource(u)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ri.Create(ctx, u, metav1.CreateOptions{FieldManager: "kubectl-client-side-apply"}); err != nil {
		t.Fatalf("kubectl apply %s: %v", kube.Describe(u), err)
	}
	return kube.Describe(u)
}

// helmCLI installs a release as install.sh does, with the environment's
// helm CLI.
func helmCLI(ctx context.Context, t *testing.T, r plan.Release) {
	t.Helper()
	bins, err := envtest.FindBinaries()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	values, err := yaml.Marshal(r.RawValues)
	if err != nil {
		t.Fatal(err)
	}
	vf := filepath.Join(dir, "values.yaml")
	if err := os.WriteFile(vf, values, 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"upgrade", "--install", r.Release}
	switch r.Source.Kind {
	case catalog.SourceHelmRepo:
		args = append(args, r.Source.Chart, "--repo", r.Source.URL, "--version", r.Source.Version)
	case catalog.SourceOCI:
		args = append(args, strings.TrimSuffix(r.Source.URL, "/")+"/"+r.Source.Chart, "--version", r.Source.Version, "--plain-http")
	default:
		t.Fatalf("release %s: a chart from Git is not in this test's catalog", r.Release)
	}
	args = append(args, "--namespace", r.Namespace, "--create-namespace", "--values", vf, "--wait", "--timeout", "3m", "--kubeconfig", env.Kubeconfig)
	cmd := exec.CommandContext(ctx, bins.Helm, args...)
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+filepath.Join(dir, "cache"), "HELM_CONFIG_HOME="+filepath.Join(dir, "config"), "HELM_DATA_HOME="+filepath.Join(dir, "data"))
	out, err := cmd.CombinedOutput()
	t.Logf("helm %s:\n%s", strings.Join(args[:3], " "), out)
	if err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// adoptHelm is a Helm SDK client on the environment, to read releases.
func adoptHelm(t *testing.T) *helm.Releaser {
	return &helm.Releaser{Config: env.Client.Config, CacheDir: t.TempDir()}
}

// adoptIdentities are the UIDs of what must not be recreated: the addons'
// Deployments, the plan's Applications (the addons' and the catalog's) and
// ApplicationSets (the addons' and the bootstrap's).
func adoptIdentities(t *testing.T, p *platform, pl *plan.Plan) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	deps, err := env.Client.Dynamic.Resource(kube.Deployments).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range deps.Items {
		if strings.HasPrefix(d.GetNamespace(), p.NS) || strings.Contains(d.GetName(), p.Cluster) {
			out["Deployment "+d.GetNamespace()+"/"+d.GetName()] = string(d.GetUID())
		}
	}
	// argo-cd's stub, External Secrets' controller and an addon at least.
	if len(out) < 3 {
		t.Fatalf("found only %d Deployments: %v", len(out), out)
	}
	var refs []*unstructured.Unstructured
	for _, a := range pl.Catalog.Installed() {
		refs = append(refs, actions.ApplicationRef(pl, a.Name))
	}
	if pl.GitOps.Shape == plan.ShapeCNOE {
		refs = append(refs, argocd.ApplicationRef(pl.ArgoNamespace(), pl.GitOps.Application))
	}
	for _, m := range append(append([]helm.Manifest{}, pl.ApplicationSets...), pl.GitOps.Objects...) {
		if m.Kind == "ApplicationSet" {
			refs = append(refs, actions.Ref(m.APIVersion, m.Kind, pl.ArgoNamespace(), m.Name))
		}
	}
	for _, r := range refs {
		cur, err := env.Client.Get(ctx, r)
		if err != nil || cur == nil {
			t.Fatalf("%s: %v", kube.Describe(r), err)
		}
		out[kube.Describe(r)] = string(cur.GetUID())
	}
	return out
}

// adoptRequireSame checks nothing of before was recreated or removed.
func adoptRequireSame(t *testing.T, before, after map[string]string, what string) {
	t.Helper()
	for k, uid := range before {
		switch {
		case after[k] == "":
			t.Errorf("%s removed %s", what, k)
		case after[k] != uid:
			t.Errorf("%s recreated %s (uid %s -> %s)", what, k, uid, after[k])
		}
	}
}

// adoptRequireUntouched checks fleetup wrote nothing: no object of the plan
// carries its label or a field of its managers, the Helm releases are not
// its, no namespace is labelled, no install record.
func adoptRequireUntouched(t *testing.T, p *platform, pl *plan.Plan, when string) {
	t.Helper()
	ctx := context.Background()
	touched := func(o metav1.Object) bool {
		if o.GetLabels()[plan.LabelManaged] != "" {
			return true
		}
		for _, m := range o.GetManagedFields() {
			if strings.HasPrefix(m.Manager, kube.FieldManager) {
				return true
			}
		}
		return false
	}
	for _, ref := range adopt.Objects(pl) {
		cur, err := env.Client.Get(ctx, ref.DeepCopy())
		if err != nil {
			t.Fatal(err)
		}
		if cur != nil && touched(cur) {
			t.Errorf("%s: fleetup wrote %s", when, kube.Describe(cur))
		}
	}
	for _, ns := range append(actions.OwnedNamespaces(pl), "argocd") {
		cur, err := env.Client.Typed.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if err == nil && touched(cur) {
			t.Errorf("%s: fleetup wrote namespace %s", when, ns)
		}
	}
	for _, r := range pl.Releases {
		info, err := adoptHelm(t).Get(ctx, r.Release, r.Namespace)
		if err != nil || info == nil || info.Owned || info.Status != "deployed" {
			t.Errorf("%s: Helm release %s/%s: %+v %v", when, r.Namespace, r.Release, info, err)
		}
	}
	if _, err := env.Client.Typed.CoreV1().ConfigMaps("fleetup-system").Get(ctx, "install-"+p.Cluster, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("%s: an install record exists: %v", when, err)
	}
}

// adoptNoSecret checks the credential never reached output.
func adoptNoSecret(t *testing.T, out string) {
	t.Helper()
	if strings.Contains(out, adoptToken) {
		t.Error("a secret value reached fleetup's output")
	}
}

// adoptSection is the text of s from the line holding start to the one holding
// end (the rest of s when end is "" or absent); "" without start.
func adoptSection(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i:]
	if end != "" {
		if j := strings.Index(s[len(start):], end); j >= 0 {
			return s[:len(start)+j]
		}
	}
	return s
}

// adoptStepSummary is the last message a step reported.
func adoptStepSummary(rec *report.Recorder, step string) string {
	msg := ""
	for _, s := range rec.Steps() {
		if s.Name == step && s.Message != "" {
			msg = s.Message
		}
	}
	return msg
}

func adoptDumpApps(t *testing.T, p *platform) {
	t.Helper()
	list, err := env.Client.Dynamic.Resource(kube.Applications).Namespace("argocd").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		return
	}
	for _, o := range list.Items {
		if strings.Contains(o.GetName(), p.Cluster) {
			t.Logf("Application %s: %s", o.GetName(), argocd.Read(&o).Summary())
		}
	}
}

// TestInstallAdoptCNOEFork: the CNOE-shaped fork of testdata/cnoe-fork
// installed as install.sh does (config secrets in AWS Secrets Manager, the
// helm CLI, kubectl-style objects, the bootstrap ApplicationSets
// addons-appset and addons-appset-pr, whose Application renders the
// catalog's ApplicationSets from Git), then taken over: refused without
// --adopt, adopted with none of the addons' Deployments, Applications or
// ApplicationSets recreated, a rerun changing nothing, and uninstall
// removing the platform.
func TestInstallAdoptCNOEFork(t *testing.T) {
	env.Need(t)
	useAWS(t)
	ctx := context.Background()
	p := newCNOEFork(t)
	pl := p.plan(t)
	if pl.GitOps.Shape != plan.ShapeCNOE {
		t.Fatalf("the fork's hand-off: shape %q", pl.GitOps.Shape)
	}
	made := installShaped(t, p, pl)
	before := adoptIdentities(t, p, pl)

	_, err := p.install(timeout(t, 3*time.Minute), t, nil)
	var pf *preflight.Failed
	if !errors.As(err, &pf) {
		t.Fatalf("install without --adopt: want a preflight failure, got %v", err)
	}
	var listed []string
	for _, pr := range pf.Problems {
		if i := strings.Index(pr, " exists and was not "); i > 0 {
			listed = append(listed, pr[:i])
		}
	}
	want := append([]string{}, made...)
	for _, r := range pl.Releases {
		want = append(want, "Helm release "+r.Namespace+"/"+r.Release)
	}
	slices.Sort(listed)
	slices.Sort(want)
	if !slices.Equal(listed, want) {
		t.Errorf("preflight lists as existing without fleetup:\n  %s\nwant exactly:\n  %s", strings.Join(listed, "\n  "), strings.Join(want, "\n  "))
	}
	adoptRequireUntouched(t, p, pl, "after the refused install")

	rec := &report.Recorder{}
	if _, err := p.install(timeout(t, 8*time.Minute), t, func(in *cli.Install) {
		in.Adopt = true
		in.Global.Observe = rec
	}); err != nil {
		t.Fatalf("install --adopt: %v", err)
	}
	if st := adoptStepSummary(rec, "adopt"); !strings.Contains(st, "took over 2 Helm releases") || !strings.Contains(st, plan.Count(len(made), "object")) {
		t.Errorf("adopt step: %q", st)
	}
	adoptRequireSame(t, before, adoptIdentities(t, p, pl), "install --adopt")
	for _, r := range pl.Releases {
		if info, err := adoptHelm(t).Get(ctx, r.Release, r.Namespace); err != nil || info == nil || !info.Owned {
			t.Errorf("Helm release %s/%s not fleetup's after --adopt: %+v %v", r.Namespace, r.Release, info, err)
		}
	}
	for _, ref := range adopt.Objects(pl) {
		cur, err := env.Client.Get(ctx, ref.DeepCopy())
		if err != nil || cur == nil || !(actions.PlanOwner{Plan: pl}).Owns(cur) {
			t.Errorf("%s is not fleetup's after --adopt: %v", kube.Describe(ref), err)
		}
	}

	out, err := p.install(timeout(t, 5*time.Minute), t, func(in *cli.Install) { in.Adopt = true })
	if err != nil {
		t.Fatalf("second install --adopt: %v", err)
	}
	if !strings.Contains(out, "nothing changed") {
		t.Error("the second install --adopt does not say nothing changed")
	}
	adoptRequireSame(t, before, adoptIdentities(t, p, pl), "the second install --adopt")

	if _, err := p.uninstall(timeout(t, 6*time.Minute), t, nil); err != nil {
		t.Fatalf("uninstall: %v", err)
	}
	for k := range before {
		if strings.HasPrefix(k, "Deployment ") {
			continue
		}
		kind, name, _ := strings.Cut(k, " ")
		ns, name, _ := strings.Cut(name, "/")
		gvr := kube.Applications
		if kind == "ApplicationSet" {
			gvr = kube.ApplicationSets
		}
		if _, err := env.Client.Dynamic.Resource(gvr).Namespace(ns).Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("uninstall left %s: %v", k, err)
		}
	}
	for _, ref := range adopt.Objects(pl) {
		if cur, err := env.Client.Get(ctx, ref.DeepCopy()); err != nil || cur != nil {
			t.Errorf("uninstall left %s: %v", kube.Describe(ref), err)
		}
	}
	helmSecrets, err := env.Client.Typed.CoreV1().Secrets("").List(ctx, metav1.ListOptions{LabelSelector: "owner=helm"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range helmSecrets.Items {
		if strings.Contains(s.Name, p.Cluster) {
			t.Errorf("Helm release left behind: %s/%s", s.Namespace, s.Name)
		}
	}
	nss, err := env.Client.Typed.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nss.Items {
		if strings.HasPrefix(n.Name, p.NS+"-") && n.DeletionTimestamp == nil {
			t.Errorf("namespace %s left behind", n.Name)
		}
	}
}
