package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/capi"
	"github.com/fleetup/fleetup/internal/cli"
	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/record"
	"github.com/fleetup/fleetup/test/envtest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// rolloutFleet is three in-memory clusters across two profiles and three
// waves; the canary environment is the third wave's alone. The second
// cluster deletes a node label of its environment with a null override.
func rolloutFleet(p *platform, names [3]string) map[string]string {
	envFile := func(name string) string {
		return fmt.Sprintf("fleet/inventory/environment/%s.yaml", name)
	}
	registration := fmt.Sprintf("registration:\n  store:\n    server: %s\n  labels:\n    %s: %s\n", env.Server, flowLabel, p.Cluster)
	shipped, _ := os.ReadFile(filepath.Join(fleetRepo, "fleet", "inventory", "provider", "in-memory.yaml"))
	return map[string]string{
		"fleet/fleet.yaml":                        "layers: [environment, provider]\nchart: packages/fleet-cluster\n",
		"fleet/profiles/alpha.yaml":               "kubernetesVersion: \"v1.33\"\n",
		"fleet/profiles/beta.yaml":                "kubernetesVersion: \"v1.33\"\ntags: {team: beta}\n",
		envFile("e2e"):                            registration + "nodePools:\n  workers:\n    labels: {tier: general, team: e2e}\n",
		envFile("canary"):                         "# the canary sites\n" + registration,
		"fleet/inventory/provider/in-memory.yaml": string(shipped),
		"fleet/clusters/" + names[0] + ".yaml":    fmt.Sprintf("name: %s\nprofile: alpha\nenvironment: e2e\nprovider: in-memory\nwave: 0\n", names[0]),
		// null deletes a label the environment sets, as Helm's value
		// files do: Argo CD renders the overrides as the last of them.
		"fleet/clusters/" + names[1] + ".yaml": fmt.Sprintf("name: %s\nprofile: beta\nenvironment: e2e\nprovider: in-memory\nwave: 1\n"+
			"overrides:\n  nodePools:\n    workers:\n      labels:\n        team: null\n", names[1]),
	}
}

// workerNodeLabels are the node labels kubeadm gives the workers of
// cluster (the kubelet argument of the KubeadmConfigTemplate its workers
// MachineDeployment uses), sorted.
func workerNodeLabels(ctx context.Context, t testing.TB, cluster string) string {
	t.Helper()
	get := func(gvr schema.GroupVersionResource, name string) *unstructured.Unstructured {
		u, err := env.Client.Dynamic.Resource(gvr).Namespace(cluster).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("%s %s/%s: %v", gvr.Resource, cluster, name, err)
		}
		return u
	}
	md := get(kube.GVR("cluster.x-k8s.io", "v1beta2", "machinedeployments"), cluster+"-workers")
	ref, _, _ := unstructured.NestedString(md.Object, "spec", "template", "spec", "bootstrap", "configRef", "name")
	tmpl := get(kube.GVR("bootstrap.cluster.x-k8s.io", "v1beta2", "kubeadmconfigtemplates"), ref)
	args, _, _ := unstructured.NestedSlice(tmpl.Object, "spec", "template", "spec", "joinConfiguration", "nodeRegistration", "kubeletExtraArgs")
	for _, a := range args {
		if m, _ := a.(map[string]any); m["name"] == "node-labels" {
			labels := strings.Split(fmt.Sprint(m["value"]), ",")
			sort.Strings(labels)
			return strings.Join(labels, ",")
		}
	}
	return ""
}

// kcpVersion is a cluster's KubeadmControlPlane spec.version.
func kcpVersion(ctx context.Context, t testing.TB, cluster string) string {
	t.Helper()
	u, err := env.Client.Get(ctx, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "controlplane.cluster.x-k8s.io/v1beta2", "kind": "KubeadmControlPlane",
		"metadata": map[string]any{"namespace": cluster, "name": cluster + "-control-plane"}}})
	if err != nil || u == nil {
		t.Fatalf("KubeadmControlPlane of %s: %v", cluster, err)
	}
	v, _, _ := unstructured.NestedString(u.Object, "spec", "version")
	return v
}

// fleetAppRevision is the revision cluster's Application reads its chart
// at: the cluster's pin.
func fleetAppRevision(ctx context.Context, t testing.TB, cluster string) string {
	t.Helper()
	u, err := env.Client.Get(ctx, argocd.ApplicationRef("argocd", fleet.AppPrefix+cluster))
	if err != nil || u == nil {
		t.Fatalf("the Application of %s: %v", cluster, err)
	}
	srcs, _, _ := unstructured.NestedSlice(u.Object, "spec", "sources")
	if len(srcs) == 0 {
		return ""
	}
	rev, _ := srcs[0].(map[string]any)["targetRevision"].(string)
	return rev
}

// rollout runs `fleet rollout --yes` in process; onLine sees each line.
func rollout(ctx context.Context, t testing.TB, p *platform, onLine func(string)) (string, error) {
	t.Helper()
	out := &syncBuffer{}
	g := &cli.Global{ConfigFile: p.Config, Kubeconfig: env.Kubeconfig, Output: "text", Yes: true, Stdin: strings.NewReader(""), Stdout: lineWriter{out, onLine}, Stderr: out}
	err := (&cli.FleetRollout{Fleet: cli.Fleet{Global: g}, WaveTimeout: 6 * time.Minute}).Run(ctx)
	t.Logf("fleetup fleet rollout:\n%s", out.String())
	return out.String(), err
}

// fleetStatus runs `fleet status -o json` in process: the report and
// whether it exited 0.
func fleetStatus(ctx context.Context, t testing.TB, p *platform) (cli.FleetStatusReport, bool) {
	t.Helper()
	out := &syncBuffer{}
	g := &cli.Global{ConfigFile: p.Config, Kubeconfig: env.Kubeconfig, Output: "json", Stdin: strings.NewReader(""), Stdout: out, Stderr: io.Discard}
	err := (&cli.FleetStatus{Fleet: cli.Fleet{Global: g}}).Run(ctx)
	var rep cli.FleetStatusReport
	if jerr := json.Unmarshal([]byte(out.String()), &rep); jerr != nil {
		t.Fatalf("fleet status -o json: %v (%v):\n%s", jerr, err, out)
	}
	return rep, err == nil
}

// controlPlaneMachines are the names of cluster's control plane
// Machines with their spec.version.
func controlPlaneMachines(ctx context.Context, t testing.TB, cluster string) map[string]string {
	t.Helper()
	list, err := env.Client.Dynamic.Resource(kube.GVR("cluster.x-k8s.io", "v1beta2", "machines")).Namespace(cluster).List(ctx,
		metav1.ListOptions{LabelSelector: "cluster.x-k8s.io/control-plane"})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range list.Items {
		out[m.GetName()], _, _ = unstructured.NestedString(m.Object, "spec", "version")
	}
	return out
}

// followToReady runs `fleet status --watch -o json` until it ends, which
// it does when every cluster is as Git says: name is seen in at least one
// other state first, and ready last.
func followToReady(ctx context.Context, t *testing.T, p *platform, name string) {
	t.Helper()
	out := &syncBuffer{}
	g := quiet(p)
	g.Output, g.Stdout = "json", out
	err := (&cli.FleetStatus{Fleet: cli.Fleet{Global: g}, Watch: true}).Run(ctx)
	var states []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var rep cli.FleetStatusReport
		if jerr := json.Unmarshal([]byte(line), &rep); jerr != nil {
			t.Fatalf("fleet status --watch -o json printed %q: %v", line, jerr)
		}
		if st := statusOf(rep, name).State; len(states) == 0 || states[len(states)-1] != st {
			states = append(states, st)
		}
	}
	t.Logf("fleet status --watch: %s went %s", name, strings.Join(states, " → "))
	if err != nil {
		t.Fatalf("fleet status --watch: %v", err)
	}
	if len(states) < 2 || states[len(states)-1] != "ready" {
		t.Errorf("fleet status --watch: %s went %v, want other states, then ready", name, states)
	}
}

// quiet is the in-process CLI's Global of p, its output dropped.
func quiet(p *platform) *cli.Global {
	return &cli.Global{ConfigFile: p.Config, Kubeconfig: env.Kubeconfig, Output: "text", Yes: true, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard}
}

// checkUpgradeDiff: `fleet diff -o json` on the uncommitted upgrade of
// the alpha profile names exactly its two clusters, each with a
// control-plane upgrade, pinned (the rollout takes it to them), and the
// canary's change refused.
func checkUpgradeDiff(ctx context.Context, t *testing.T, p *platform, names [3]string) {
	t.Helper()
	out := &syncBuffer{}
	g := quiet(p)
	g.Output, g.Stdout = "json", out
	if err := (&cli.FleetDiff{Fleet: cli.Fleet{Global: g}}).Run(ctx); err != nil {
		t.Fatalf("fleet diff: %v", err)
	}
	var d fleet.Diff
	if err := json.Unmarshal([]byte(out.String()), &d); err != nil {
		t.Fatalf("fleet diff -o json: %v\n%s", err, out)
	}
	if d.Summary.Changed != 2 || d.Summary.Refused != 1 || d.Summary.Added+d.Summary.Removed != 0 {
		t.Errorf("fleet diff summary %+v, want 2 changed, 1 refused", d.Summary)
	}
	effects := map[string][]string{}
	for _, w := range d.Waves {
		for _, c := range w.Clusters {
			for _, e := range c.Effects {
				effects[c.Name] = append(effects[c.Name], e.Kind)
			}
			if c.Pinned == "" {
				t.Errorf("fleet diff: %s is not shown pinned", c.Name)
			}
		}
	}
	if len(effects) != 2 || !slices.Contains(effects[names[0]], fleet.EffectControlPlaneUpgrade) ||
		!slices.Contains(effects[names[2]], fleet.EffectRefused) || slices.Contains(effects[names[0]], fleet.EffectRefused) {
		t.Errorf("fleet diff effects %v: want %s with a control-plane upgrade, %s refused, nothing of %s", effects, names[0], names[2], names[1])
	}
}

// statusOf is one cluster's row.
func statusOf(rep cli.FleetStatusReport, name string) cli.ClusterStatus {
	for _, c := range rep.Clusters {
		if c.Name == name {
			return c
		}
	}
	return cli.ClusterStatus{State: "absent from fleet status"}
}

// lineWriter hands each write (a line) to a callback too.
type lineWriter struct {
	w  *syncBuffer
	on func(string)
}

func (l lineWriter) Write(b []byte) (int, error) {
	if l.on != nil {
		l.on(string(b))
	}
	return l.w.Write(b)
}

// TestFleetRollout: three in-memory clusters, made by the real Cluster
// API controllers from two profiles, in three waves; the third made by
// `cluster create` after install, followed by fleet status and registered
// by External Secrets with its inventory labels. A first rollout pins
// them all; a profile upgrade committed afterwards reaches none of them
// until `fleet rollout` takes it wave by wave: the wave 0 cluster is
// upgraded while the wave 2 cluster stays as it was; in wave 2 Cluster
// API refuses the canary's version (a minor version skipped) and the
// rollout stops naming the cluster and Cluster API's message. After the
// fix is committed, the next rollout finishes, and every cluster runs
// what Git says.
func TestFleetRollout(t *testing.T) {
	env.NeedClusterAPI(t)
	if err := env.ClusterAPI(timeout(t, 5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	p := newPlatform(t, options{})
	names := [3]string{"r0-" + p.Cluster, "r1-" + p.Cluster, "r2-" + p.Cluster}
	withFleetFiles(t, p, rolloutFleet(p, names), "three in-memory clusters in three waves")
	if _, err := p.install(timeout(t, 8*time.Minute), t, nil); err != nil {
		t.Fatalf("install: %v", err)
	}
	ctx := timeout(t, 25*time.Minute)
	begin := time.Now()
	// The third cluster is made as a user makes one: `cluster create`.
	// Written first without a commit: Git has it, Argo CD cannot see it,
	// and fleet status says it is missing; the same command then commits
	// it.
	args := []string{"cluster", "create", names[2], "--profile", "alpha", "--environment", "canary", "--provider", "in-memory", "--wave", "2", "--config", p.Config}
	created, err := exec.CommandContext(ctx, fleetupBinary(t), append(args, "--no-commit")...).CombinedOutput()
	if err != nil {
		t.Fatalf("cluster create --no-commit: %v\n%s", err, created)
	}
	if rep, ok := fleetStatus(ctx, t, p); ok || statusOf(rep, names[2]).State != "missing" || !strings.Contains(statusOf(rep, names[2]).Reason, "nothing on the hub") {
		t.Errorf("fleet status before the cluster file is committed: exit 0 %v, %s %s: %s", ok, names[2], statusOf(rep, names[2]).State, statusOf(rep, names[2]).Reason)
	}
	created, err = exec.CommandContext(ctx, fleetupBinary(t), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("cluster create: %v\n%s", err, created)
	}
	refreshFleet(t, p)
	if rep, ok := fleetStatus(ctx, t, p); ok || statusOf(rep, names[2]).State == "ready" {
		t.Errorf("fleet status right after cluster create: exit 0 %v, %s %s", ok, names[2], statusOf(rep, names[2]).State)
	}
	followToReady(ctx, t, p, names[2])
	for _, n := range names {
		waitApplication(t, ctx, fleet.AppName(n), n+" provisioned: its Application Synced and Healthy", func(u *unstructured.Unstructured) (bool, error) {
			return u != nil && argocd.Read(u).Healthy(), nil
		})
	}
	t.Logf("three in-memory clusters healthy %v after install", time.Since(begin).Round(time.Second))
	// What `fleet render` renders for each cluster is what Argo CD applied,
	// the Cluster API objects included.
	for _, n := range names {
		sameAsArgoCD(t, ctx, p, n)
	}
	for n, want := range map[string]string{names[0]: "team=e2e,tier=general", names[1]: "tier=general"} {
		if got := workerNodeLabels(ctx, t, n); got != want {
			t.Errorf("%s's workers get node labels %q, want %q", n, got, want)
		}
	}
	// Registered through External Secrets from Cluster API's kubeconfig,
	// labelled with its profile, layers and wave.
	var secret *corev1.Secret
	for secret == nil {
		if secret, err = clusterSecret(ctx, names[2]); err != nil {
			t.Fatal(err)
		}
		if secret == nil {
			select {
			case <-ctx.Done():
				t.Fatalf("%s is not registered in Argo CD", names[2])
			case <-time.After(time.Second):
			}
		}
	}
	for k, v := range map[string]string{"argocd.argoproj.io/secret-type": "cluster", "fleetup.dev/profile": "alpha",
		"fleetup.dev/environment": "canary", "fleetup.dev/provider": "in-memory", "fleetup.dev/wave": "2"} {
		if secret.Labels[k] != v {
			t.Errorf("%s's cluster secret label %s = %q, want %q", names[2], k, secret.Labels[k], v)
		}
	}
	if !strings.HasPrefix(string(secret.Data["server"]), "https://127.0.0.1:") {
		t.Errorf("%s's cluster secret server %q is not its in-memory API server", names[2], secret.Data["server"])
	}

	// The first rollout pins every cluster at HEAD.
	if _, err := rollout(ctx, t, p, nil); err != nil {
		t.Fatalf("first rollout: %v", err)
	}
	for _, n := range names {
		data, _ := os.ReadFile(filepath.Join(p.RepoDir, "fleet", "clusters", n+".yaml"))
		if !strings.Contains(string(data), "\nrevision: ") {
			t.Fatalf("%s is not pinned:\n%s", n, data)
		}
	}

	// The upgrade, with the canary's version one minor too far.
	before := controlPlaneMachines(ctx, t, names[0])
	writeFile(t, filepath.Join(p.RepoDir, "fleet", "profiles", "alpha.yaml"), "kubernetesVersion: \"v1.34\"\n")
	canary := filepath.Join(p.RepoDir, "fleet", "inventory", "environment", "canary.yaml")
	data, _ := os.ReadFile(canary)
	writeFile(t, canary, string(data)+"kubernetesVersion: \"v1.35\"\n")
	// Before the commit, fleet diff names the alpha clusters alone, both
	// with a control-plane upgrade and the canary's refused, and fleet
	// validate refuses the canary's skipped minor version.
	checkUpgradeDiff(ctx, t, p, names)
	if err := (&cli.FleetValidate{Fleet: cli.Fleet{Global: quiet(p)}}).Run(ctx); err == nil || !strings.Contains(err.Error(), "cannot update Kubernetes version") {
		t.Errorf("fleet validate before committing a skipped minor version: %v, want Cluster API's refusal", err)
	}
	envtest.Commit(t, p.RepoDir, "alpha: Kubernetes 1.34")
	refreshFleet(t, p)
	// Committed, not rolled out: every cluster runs its pin, as Git says.
	rep, ok := fleetStatus(ctx, t, p)
	for _, n := range names {
		if c := statusOf(rep, n); !ok || c.State != "ready" || c.Git == nil || !c.Git.Pinned || c.Git.KubernetesVersion != "v1.33" {
			t.Errorf("fleet status after the upgrade commit: exit 0 %v, %s %s (%s), git %+v", ok, n, c.State, c.Reason, c.Git)
		}
	}

	upgrade := envtest.Head(t, p.RepoDir)
	var mu sync.Mutex
	var checked []string
	var during []string
	onLine := func(line string) {
		// While wave 0 waits, fleet status shows r0 on its way to the
		// upgrade and the later waves as they were.
		if strings.HasPrefix(line, "wave 0: waiting for") {
			rep, ok := fleetStatus(ctx, t, p)
			during = append(during, fmt.Sprintf("exit 0 %v, r0 %s %s, r1 %s, r2 %s", ok, statusOf(rep, names[0]).State,
				statusOf(rep, names[0]).Git.KubernetesVersion, statusOf(rep, names[1]).State, statusOf(rep, names[2]).State))
		}
		// When wave 0 is done, r0 has converged at the new version (the
		// Cluster API gate), and r2 of wave 2 is not yet pinned to the
		// upgrade: its Application still reads the revision before it.
		if strings.HasPrefix(line, "wave 0: ") && strings.Contains(line, "healthy, after") {
			mu.Lock()
			defer mu.Unlock()
			st, err := capi.Read(ctx, env.Client, names[0])
			converged, why := false, fmt.Sprint(err)
			if err == nil {
				converged, why = st.Converged("v1.34")
			}
			r2pinned := fleetAppRevision(ctx, t, names[2]) == upgrade
			checked = append(checked, fmt.Sprintf("wave 0 done: r0 %s converged %v, r2 %s pinned %v", kcpVersion(ctx, t, names[0]), converged, kcpVersion(ctx, t, names[2]), r2pinned))
			if !converged {
				t.Logf("r0 at wave 0's end: %s", why)
			}
		}
	}
	out, err := rollout(ctx, t, p, onLine)
	if err == nil {
		t.Fatal("the rollout with a refused canary succeeded")
	}
	for _, want := range []string{"wave 2 failed", "cluster " + names[2], "cannot update Kubernetes version"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("rollout error does not say %q: %v", want, err)
		}
	}
	_ = out
	mu.Lock()
	if want := "wave 0 done: r0 v1.34.0 converged true, r2 v1.33.0 pinned false"; len(checked) != 1 || checked[0] != want {
		t.Errorf("when wave 0 was done: %v, want %q", checked, want)
	}
	mu.Unlock()
	if want := "exit 0 false, r0 progressing v1.34, r1 ready, r2 ready"; len(during) != 1 || during[0] != want {
		t.Errorf("fleet status while wave 0 waited: %v, want %q", during, want)
	}
	for n, want := range map[string]string{names[0]: "v1.34.0", names[1]: "v1.33.0", names[2]: "v1.33.0"} {
		if got := kcpVersion(ctx, t, n); got != want {
			t.Errorf("after the failed wave, %s runs %s, want %s", n, got, want)
		}
	}
	// fleet status names the refused cluster with Cluster API's words,
	// and exits 1.
	rep, ok = fleetStatus(ctx, t, p)
	if r2 := statusOf(rep, names[2]); ok || r2.State != "failed" || !strings.Contains(r2.Reason, "cannot update Kubernetes version") {
		t.Errorf("fleet status after the failed wave: exit 0 %v, %s %s: %s", ok, names[2], r2.State, r2.Reason)
	}

	// The fix: the canary takes the profile's version.
	writeFile(t, canary, string(data))
	envtest.Commit(t, p.RepoDir, "canary: the profile's version")
	if _, err := rollout(ctx, t, p, nil); err != nil {
		t.Fatalf("rollout after the fix: %v", err)
	}
	for n, want := range map[string]string{names[0]: "v1.34", names[1]: "v1.33", names[2]: "v1.34"} {
		st, err := capi.Read(ctx, env.Client, n)
		if err != nil {
			t.Fatal(err)
		}
		if ok, why := st.Converged(want); !ok {
			t.Errorf("after the rollout, %s has not converged at %s: %s", n, want, why)
		}
	}

	// Cluster API rolled r0's control plane: new machines at the new
	// version replaced the old ones.
	after := controlPlaneMachines(ctx, t, names[0])
	for m, v := range after {
		if _, old := before[m]; old || v != "v1.34.0" {
			t.Errorf("after the upgrade, control plane machine %s of %s runs %s (there before: %v), want a new machine at v1.34.0", m, names[0], v, old)
		}
	}
	if len(after) == 0 {
		t.Errorf("%s has no control plane machine after the upgrade", names[0])
	}

	// Killed (SIGKILL) once wave 1 is pinned, the rollout of a beta change
	// is resumed by the next run, with no revision given: wave 0 is kept.
	beta := filepath.Join(p.RepoDir, "fleet", "profiles", "beta.yaml")
	writeFile(t, beta, "kubernetesVersion: \"v1.33\"\ntags: {team: beta, tier: two}\n")
	envtest.Commit(t, p.RepoDir, "beta: a tier tag")
	// Interrupted first (Ctrl-C) while wave 0 waits: the rollout stays
	// resumable, its record running at this revision.
	head := envtest.Head(t, p.RepoDir)
	sent, interrupted := signalWhen(t, fleetupBinary(t), p, func(l string) bool { return strings.Contains(l, "wave 0: waiting for") }, syscall.SIGINT, "fleet", "rollout")
	t.Logf("fleetup fleet rollout, interrupted:\n%s", interrupted)
	if !sent {
		t.Fatal("the rollout ended before wave 0 waited")
	}
	if rec, err := record.LoadRollout(ctx, env.Client); err != nil || rec == nil || rec.Phase != record.RolloutRunning || rec.Revision != head {
		t.Errorf("after Ctrl-C the rollout record is %+v (%v); want running at %s", rec, err, head)
	}
	if !strings.Contains(interrupted, "wave 0 interrupted") || !strings.Contains(interrupted, "`fleetup fleet rollout` resumes it") || strings.Contains(interrupted, "wave 0 failed") {
		t.Error("the interrupted rollout does not say it was interrupted and how to resume it")
	}
	if !killAt(t, fleetupBinary(t), p, "wave 1: waiting for", "fleet", "rollout") {
		t.Fatal("the rollout ended before wave 1")
	}
	args = []string{"fleet", "rollout", "--yes", "--config", p.Config, "--kubeconfig", env.Kubeconfig}
	again, err := exec.CommandContext(ctx, fleetupBinary(t), args...).CombinedOutput()
	t.Logf("fleetup fleet rollout after SIGKILL:\n%s", again)
	if err != nil {
		t.Fatalf("rollout after SIGKILL: %v", err)
	}
	for _, want := range []string{"resuming the rollout of", "wave 0: " + names[0] + " done before", "wave 2: pinned " + names[2]} {
		if !strings.Contains(string(again), want) {
			t.Errorf("the resumed rollout does not say %q", want)
		}
	}
	if strings.Contains(string(again), "wave 1: pinned") {
		t.Error("the resumed rollout pinned wave 1 again")
	}
	// Every cluster as Git says: fleet status exits 0.
	if rep, ok := fleetStatus(ctx, t, p); !ok {
		for _, c := range rep.Clusters {
			t.Errorf("fleet status: %s %s: %s", c.Name, c.State, c.Reason)
		}
	}

	// Deleting an in-memory cluster: Cluster API takes it down in its own
	// order (workers, control plane, infrastructure), and nothing of it
	// is left on the hub.
	deleted := time.Now()
	deregistered := make(chan error, 1)
	go func() {
		// When the Cluster starts going, Argo CD no longer knows the
		// cluster: its addons and registration went first.
		_, err := env.Client.WaitFor(ctx, kube.GVR("cluster.x-k8s.io", "v1beta2", "clusters"), names[1], names[1], "Cluster "+names[1]+" deleting",
			func(u *unstructured.Unstructured) (bool, error) {
				return u == nil || u.GetDeletionTimestamp() != nil, nil
			})
		if err == nil {
			var s *corev1.Secret
			if s, err = clusterSecret(ctx, names[1]); err == nil && s != nil {
				err = fmt.Errorf("the Cluster was being deleted while its Argo CD cluster secret %s was still there", s.Name)
			}
		}
		deregistered <- err
	}()
	deleteCluster(t, p, names[1])
	if err := <-deregistered; err != nil {
		t.Error(err)
	}
	t.Logf("cluster delete of an in-memory cluster took %v", time.Since(deleted).Round(time.Second))
	checkCAPIGone(t, names[1])
	// Gone from Git and from the hub: fleet status has no row for it, and
	// the two clusters left are as Git says.
	rep, ok = fleetStatus(ctx, t, p)
	if !ok || len(rep.Clusters) != 2 || statusOf(rep, names[1]).State != "absent from fleet status" {
		t.Errorf("fleet status after cluster delete: exit 0 %v, %d clusters, %s %s", ok, len(rep.Clusters), names[1], statusOf(rep, names[1]).State)
	}
	t.Logf("done %v after install", time.Since(begin).Round(time.Second))
}

// checkCAPIGone: no Cluster API object of cluster is left in its
// namespace, templates included, and no Secret Cluster API made.
func checkCAPIGone(t *testing.T, cluster string) {
	t.Helper()
	ctx := timeout(t, time.Minute)
	if s, err := clusterSecret(ctx, cluster); err != nil || s != nil {
		t.Errorf("the cluster secret of %s is left (%v)", cluster, err)
	}
	for _, r := range []schema.GroupVersionResource{
		kube.GVR("cluster.x-k8s.io", "v1beta2", "clusters"),
		kube.GVR("cluster.x-k8s.io", "v1beta2", "machinedeployments"),
		kube.GVR("cluster.x-k8s.io", "v1beta2", "machinesets"),
		kube.GVR("cluster.x-k8s.io", "v1beta2", "machines"),
		kube.GVR("controlplane.cluster.x-k8s.io", "v1beta2", "kubeadmcontrolplanes"),
		kube.GVR("bootstrap.cluster.x-k8s.io", "v1beta2", "kubeadmconfigtemplates"),
		kube.GVR("bootstrap.cluster.x-k8s.io", "v1beta2", "kubeadmconfigs"),
		kube.GVR("infrastructure.cluster.x-k8s.io", "v1beta2", "devclusters"),
		kube.GVR("infrastructure.cluster.x-k8s.io", "v1beta2", "devmachinetemplates"),
		kube.GVR("infrastructure.cluster.x-k8s.io", "v1beta2", "devmachines"),
	} {
		list, err := env.Client.Dynamic.Resource(r).Namespace(cluster).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Errorf("list %s in %s: %v", r.Resource, cluster, err)
			continue
		}
		for _, o := range list.Items {
			t.Errorf("%s %s/%s is left after cluster delete (deleting since %v, finalizers %v)", o.GetKind(), cluster, o.GetName(), o.GetDeletionTimestamp(), o.GetFinalizers())
		}
	}
	secrets, err := env.Client.Typed.CoreV1().Secrets(cluster).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets.Items {
		t.Errorf("Secret %s/%s is left after cluster delete", cluster, s.Name)
	}
}
