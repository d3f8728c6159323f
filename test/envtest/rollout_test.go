package envtest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/fleet"
	"github.com/fleetup/fleetup/internal/fleet/rollout"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/record"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
)

// The rollout's gate and waves on the real API server. Argo CD's part is
// played by the test in a namespace the environment's Argo CD does not
// watch: the Applications, their status as Argo CD writes it, the
// cluster secrets. Git's part (the pin commits) is a recorder.

// Modes of a played Application.
const (
	modeHealthy     = "healthy"
	modeProgressing = "progressing"
	modeRefused     = "refused"
	modeSyncFailed  = "sync-failed"
)

const refusal = `one or more objects failed to apply, reason: admission webhook "validation.kubeadmcontrolplane.controlplane.cluster.x-k8s.io" denied the request: KubeadmControlPlane.controlplane.cluster.x-k8s.io "c2-control-plane" is invalid: spec.version: Forbidden: cannot update Kubernetes version from v1.33.0 to v1.35.0`

// rolloutFleetFS is a fleet as users write it: three clusters of the
// existing flavour in waves 0, 1 and 2.
func rolloutFleetFS() fstest.MapFS {
	files := fstest.MapFS{
		"fleet/fleet.yaml":                      {Data: []byte("layers: [environment]\n")},
		"fleet/profiles/edge.yaml":              {Data: []byte("kubernetesVersion: \"v1.34\"\naddons:\n  cache: {enabled: true}\n")},
		"fleet/inventory/environment/prod.yaml": {Data: []byte("provider:\n  flavour: existing\n  kubeconfigSecret: kubeconfig\n")},
	}
	for i := 0; i < 3; i++ {
		files[fmt.Sprintf("fleet/clusters/c%d.yaml", i)] = &fstest.MapFile{Data: []byte(fmt.Sprintf("name: c%d\nprofile: edge\nenvironment: prod\nwave: %d\n", i, i))}
	}
	return files
}

func loadRolloutFleet(t *testing.T) *fleet.Fleet {
	t.Helper()
	f, err := fleet.Load(context.Background(), rolloutFleetFS(), "fleet", fleet.Options{Addons: []string{"cache"}})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// playedHub plays Argo CD in ns: the mode of each cluster's fleet-<c>
// Application and of its cache addon, judged again at every refresh
// fleetup asks for.
type playedHub struct {
	t  *testing.T
	ns string

	mu    sync.Mutex
	modes map[string]string // Application name → mode
	// committed is each cluster's pin in Git; pins the clusters of each
	// pin commit.
	committed map[string]string
	pins      [][]string
}

func newPlayedHub(t *testing.T, c context.Context) *playedHub {
	h := &playedHub{t: t, ns: env.Namespace(t), modes: map[string]string{}, committed: map[string]string{}}
	w, err := env.Client.Dynamic.Resource(kube.Applications).Namespace(h.ns).Watch(c, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.ResultChan() {
			u, ok := ev.Object.(*unstructured.Unstructured)
			if !ok || ev.Type == watch.Deleted {
				continue
			}
			if _, asked := u.GetAnnotations()[argocd.RefreshAnnotation]; asked {
				h.judge(c, u.GetName())
			}
		}
	}()
	t.Cleanup(func() { w.Stop(); <-done })
	deleteRolloutRecord(t)
	t.Cleanup(func() { deleteRolloutRecord(t) })
	return h
}

func deleteRolloutRecord(t *testing.T) {
	err := env.Client.Typed.CoreV1().ConfigMaps(record.Namespace).Delete(context.Background(), record.RolloutName, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
}

func (h *playedHub) set(app, mode string) {
	h.mu.Lock()
	h.modes[app] = mode
	h.mu.Unlock()
}

func (h *playedHub) mode(app string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.modes[app]
}

func (h *playedHub) pinned() [][]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([][]string(nil), h.pins...)
}

// server is the address of cluster c's played API server.
func playedServer(c string) string { return "https://" + c + ".clusters.example.invalid" }

// register writes cluster c's Argo CD cluster secret and its cache
// addon's Application, deployed to it, unless addonMode is empty.
func (h *playedHub) register(c context.Context, cluster, addonMode string) {
	h.t.Helper()
	apply(h.t, fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata:
  name: cluster-%[1]s
  namespace: %[2]s
  labels: {argocd.argoproj.io/secret-type: cluster, fleetup.dev/cluster: %[1]s, enable_cache: "true"}
stringData: {name: %[1]s, server: %[3]q}
`, cluster, h.ns, playedServer(cluster)))
	if addonMode == "" {
		return // not made yet
	}
	app := "cache-" + cluster
	h.set(app, addonMode)
	h.write(c, app, "main", playedServer(cluster))
}

// Pin is the Git side of a wave: as the command's writer, it commits the
// pins that differ from the last commit (none: no commit), and, as the
// fleet's ApplicationSet does then, points each one's Application at rev.
func (h *playedHub) Pin(c context.Context, clusters []*fleet.Cluster, rev, _ string) (string, error) {
	var names []string
	for _, cl := range clusters {
		h.mu.Lock()
		changed := h.committed[cl.Name] != rev
		h.committed[cl.Name] = rev
		h.mu.Unlock()
		if changed {
			names = append(names, cl.Name)
			h.write(c, fleet.AppName(cl.Name), rev, "https://kubernetes.default.svc")
		}
	}
	if len(names) == 0 {
		return "", nil
	}
	h.mu.Lock()
	h.pins = append(h.pins, names)
	n := len(h.pins)
	h.mu.Unlock()
	return fmt.Sprintf("%040d", n), nil
}

// write makes Application name target rev at dest, with the status its
// mode gives, as Argo CD writes it after comparing.
func (h *playedHub) write(c context.Context, name, rev, dest string) {
	h.t.Helper()
	apps := env.Client.Dynamic.Resource(kube.Applications).Namespace(h.ns)
	for {
		cur, err := apps.Get(c, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			cur, err = nil, nil
		}
		if err != nil {
			h.t.Error(err)
			return
		}
		u := playedApp(h.ns, name, rev, dest, h.mode(name))
		if cur == nil {
			_, err = apps.Create(c, u, metav1.CreateOptions{})
		} else {
			u.SetResourceVersion(cur.GetResourceVersion())
			_, err = apps.Update(c, u, metav1.UpdateOptions{})
		}
		if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
			continue
		}
		if err != nil && c.Err() == nil {
			h.t.Error(err)
		}
		return
	}
}

// judge answers a refresh: the Application's status again, by its mode
// now, and the refresh annotation gone (as Argo CD removes it).
func (h *playedHub) judge(c context.Context, name string) {
	cur, err := env.Client.Dynamic.Resource(kube.Applications).Namespace(h.ns).Get(c, name, metav1.GetOptions{})
	if err != nil {
		return
	}
	srcs, _, _ := unstructured.NestedSlice(cur.Object, "spec", "sources")
	rev, _ := srcs[0].(map[string]any)["targetRevision"].(string)
	dest, _, _ := unstructured.NestedString(cur.Object, "spec", "destination", "server")
	h.write(c, name, rev, dest)
}

// playedApp is an Application of two sources at rev, compared by Argo CD
// at rev, in the given mode.
func playedApp(ns, name, rev, dest, mode string) *unstructured.Unstructured {
	sources := []any{
		map[string]any{"repoURL": "https://git.example.invalid/platform.git", "path": "packages/fleet-cluster", "targetRevision": rev},
		map[string]any{"repoURL": "https://git.example.invalid/platform.git", "ref": "values", "targetRevision": rev},
	}
	destination := map[string]any{"server": dest, "namespace": name}
	revs := []any{rev, rev}
	status := map[string]any{
		"reconciledAt": time.Now().UTC().Format(time.RFC3339),
		"sync":         map[string]any{"status": "Synced", "revisions": revs, "comparedTo": map[string]any{"sources": sources, "destination": destination}},
		"health":       map[string]any{"status": "Healthy"},
	}
	switch mode {
	case modeProgressing:
		status["health"] = map[string]any{"status": "Progressing", "message": "KubeadmControlPlane rolling out"}
	case modeRefused:
		// Automated sync with retries: running, retried, never ending.
		status["sync"].(map[string]any)["status"] = "OutOfSync"
		status["operationState"] = map[string]any{
			"phase": "Running", "retryCount": int64(3), "message": refusal, "startedAt": "2026-12-03T10:00:00Z",
			"operation":  map[string]any{"sync": map[string]any{"revisions": revs}},
			"syncResult": map[string]any{"revision": "", "revisions": revs},
		}
	case modeSyncFailed:
		status["sync"].(map[string]any)["status"] = "OutOfSync"
		status["operationState"] = map[string]any{
			"phase": "Failed", "message": "one or more synchronization tasks completed unsuccessfully", "startedAt": "2026-12-03T10:00:00Z", "finishedAt": "2026-12-03T10:00:05Z",
			"operation":  map[string]any{"sync": map[string]any{"revisions": revs}},
			"syncResult": map[string]any{"revision": "", "revisions": revs},
		}
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec":     map[string]any{"project": "default", "sources": sources, "destination": destination},
		"status":   status,
	}}
}

// rolloutRev is the revision the tests roll out.
const rolloutRev = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

// TestRolloutGate: when a cluster runs a revision, healthy, and how each
// way of not getting there is reported: the cluster, the step, and the
// component's own words.
func TestRolloutGate(t *testing.T) {
	env.Need(t)
	never := func(context.Context, string) (bool, string, error) {
		return false, "KubeadmControlPlane c0-control-plane: 1 of 2 machines at v1.34.0", nil
	}
	for _, tc := range []struct {
		name, app, addon string
		registered       bool
		converged        rollout.Converged
		// setup changes the hub before the wait.
		setup func(c context.Context, h *playedHub)
		want  []string // nil: healthy
	}{
		{name: "healthy", app: modeHealthy, addon: modeHealthy, registered: true},
		{name: "sync refused", app: modeRefused, registered: true,
			want: []string{"cluster c0: Application fleet-c0 sync refused: ", "cannot update Kubernetes version"}},
		{name: "sync failed", app: modeSyncFailed, registered: true,
			want: []string{"cluster c0: Application fleet-c0: sync failed: one or more synchronization tasks"}},
		{name: "never healthy", app: modeProgressing, registered: true,
			want: []string{"cluster c0: Application fleet-c0: ", "health Progressing", "gate deadline"}},
		{name: "not registered", app: modeHealthy,
			want: []string{"cluster c0: registration: no Argo CD cluster secret labelled fleetup.dev/cluster=c0"}},
		{name: "addon failed", app: modeHealthy, addon: modeSyncFailed, registered: true,
			want: []string{"cluster c0: Application cache-c0: sync failed"}},
		{name: "addon not made yet", app: modeHealthy, registered: true,
			want: []string{"cluster c0: Application cache-c0: waiting for Application ", "gate deadline; last seen: absent"}},
		{name: "addon left out by the catalog's selectors", app: modeHealthy, registered: true,
			setup: func(c context.Context, h *playedHub) {
				// The cluster's stages Application renders another addon
				// alone: the bundle's cache is not for this cluster.
				apply(h.t, `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: hub-fleetup-stages-c0
  namespace: `+h.ns+`
  labels: {fleetup.dev/stages: "true"}
spec:
  project: default
  source: {repoURL: "https://git.example.invalid/platform.git", path: packages/appset-chart/stages, targetRevision: main}
  destination: {server: "https://kubernetes.default.svc", namespace: `+h.ns+`}
status:
  resources:
  - {group: argoproj.io, version: v1alpha1, kind: Application, namespace: `+h.ns+`, name: other-c0, status: Synced}
`)
			}},
		{name: "addon its cluster secret does not switch on", app: modeHealthy, registered: true,
			setup: func(c context.Context, h *playedHub) {
				apply(h.t, "apiVersion: v1\nkind: Secret\nmetadata:\n  name: cluster-c0\n  namespace: "+h.ns+"\n"+
					"  labels: {argocd.argoproj.io/secret-type: cluster, fleetup.dev/cluster: c0, enable_cache: \"false\"}\n"+
					"stringData: {name: c0, server: "+playedServer("c0")+"}\n")
			}},
		{name: "Cluster API not converged", app: modeHealthy, addon: modeHealthy, registered: true, converged: never,
			want: []string{"cluster c0: Cluster API: gate deadline; last seen: KubeadmControlPlane c0-control-plane: 1 of 2 machines at v1.34.0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ctx(t, time.Minute)
			h := newPlayedHub(t, c)
			if tc.registered {
				h.register(c, "c0", tc.addon)
			}
			if tc.setup != nil {
				tc.setup(c, h)
			}
			h.set("fleet-c0", tc.app)
			h.write(c, "fleet-c0", rolloutRev, "https://kubernetes.default.svc")
			g := rollout.Gate{Kube: env.Client, Namespace: h.ns, AppSet: "fleet", Converged: tc.converged}
			wait, cancel := context.WithTimeoutCause(c, 3*time.Second, errors.New("gate deadline"))
			defer cancel()
			err := g.Wait(wait, loadRolloutFleet(t).Cluster("c0"), rolloutRev)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Wait: %v", err)
				}
				return
			}
			var ce *rollout.ClusterError
			if !errors.As(err, &ce) || ce.Cluster != "c0" {
				t.Fatalf("Wait: %v, want a ClusterError of c0", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Wait: %v\nwant it to say %q", err, w)
				}
			}
		})
	}
}

// newRollout rolls rolloutRev out to f through h, logging to log.
func newRollout(h *playedHub, f *fleet.Fleet, timeout time.Duration, log func(string)) *rollout.Rollout {
	return &rollout.Rollout{
		Fleet: f, Revision: rolloutRev, Subject: "edge: Kubernetes 1.34",
		Gate:   rollout.Gate{Kube: env.Client, Namespace: h.ns, AppSet: "fleet"},
		Commit: h, Kube: env.Client, WaveTimeout: timeout, Log: log,
	}
}

func waveStates(res *rollout.Result) string {
	var s []string
	for _, w := range res.Waves {
		s = append(s, w.Wave+":"+w.State)
	}
	return strings.Join(s, " ")
}

func checkRecord(t *testing.T, phase, wave, done string) {
	t.Helper()
	rec, err := record.LoadRollout(context.Background(), env.Client)
	if err != nil || rec == nil {
		t.Fatalf("the rollout record: %+v, %v", rec, err)
	}
	if rec.Revision != rolloutRev || rec.Phase != phase || rec.Wave != wave || strings.Join(rec.Done, ",") != done {
		t.Errorf("the rollout record: %+v; want %s at wave %q, done %q", rec, phase, wave, done)
	}
}

// stuckHub is a hub of three registered clusters whose addons are
// healthy, stuck's Application never healthy (Progressing).
func stuckHub(t *testing.T, c context.Context, stuck string) *playedHub {
	h := newPlayedHub(t, c)
	for i := range 3 {
		h.register(c, fmt.Sprintf("c%d", i), modeHealthy)
	}
	h.set(fleet.AppName(stuck), modeProgressing)
	return h
}

// TestRolloutWaves: three waves; the middle one fails, and the last is
// not touched; once the cause is gone the next run resumes at the failed
// wave and finishes. A wave that outlasts its timeout fails naming the
// cluster and what it waited for; Ctrl-C leaves the rollout resumable.
func TestRolloutWaves(t *testing.T) {
	env.Need(t)

	t.Run("a failed wave stops the later ones, then resumes", func(t *testing.T) {
		c := ctx(t, 2*time.Minute)
		h := newPlayedHub(t, c)
		for i, addon := range []string{modeHealthy, modeSyncFailed, modeHealthy} {
			h.register(c, fmt.Sprintf("c%d", i), addon)
		}
		f := loadRolloutFleet(t)
		var lines []string
		res, err := newRollout(h, f, time.Minute, func(l string) { lines = append(lines, l) }).Run(c)
		if err == nil {
			t.Fatal("the rollout with a failing wave 1 succeeded")
		}
		for _, w := range []string{"wave 1 failed, later waves untouched", "cluster c1: Application cache-c1: sync failed"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("rollout error: %v\nwant it to say %q", err, w)
			}
		}
		if got := fmt.Sprint(h.pinned()); got != "[[c0] [c1]]" {
			t.Errorf("pinned %s, want wave 0's and wave 1's clusters alone", got)
		}
		if app, err := env.Client.Get(c, argocd.ApplicationRef(h.ns, "fleet-c2")); err != nil || app != nil {
			t.Errorf("wave 2's Application exists after wave 1 failed (%v)", err)
		}
		if got := waveStates(res); got != "0:done 1:failed" || res.Phase != record.RolloutFailed {
			t.Errorf("waves %s, phase %s", got, res.Phase)
		}
		checkRecord(t, record.RolloutFailed, "1", "0")

		// The cause goes; the next run resumes: wave 0 kept, wave 1 not
		// pinned again, wave 2 pinned.
		h.set("cache-c1", modeHealthy)
		h.write(c, "cache-c1", "main", playedServer("c1"))
		lines = nil
		res, err = newRollout(h, f, time.Minute, func(l string) { lines = append(lines, l) }).Run(c)
		if err != nil {
			t.Fatalf("the rollout after the fix: %v\n%s", err, strings.Join(lines, "\n"))
		}
		if got := waveStates(res); !res.Resumed || got != "0:resumed 1:done 2:done" || res.Phase != record.RolloutDone {
			t.Errorf("resumed %v, waves %s, phase %s", res.Resumed, got, res.Phase)
		}
		if got := fmt.Sprint(h.pinned()); got != "[[c0] [c1] [c2]]" {
			t.Errorf("pinned %s, want wave 2's cluster added alone", got)
		}
		if !strings.HasPrefix(lines[0], "resuming the rollout of 4b825dc6 (edge: Kubernetes 1.34): waves done: 0") {
			t.Errorf("first line %q", lines[0])
		}
		checkRecord(t, record.RolloutDone, "", "0,1,2")
	})

	t.Run("a pin written and not committed is committed by the next run", func(t *testing.T) {
		// A run killed between writing wave 0's pin and committing it
		// leaves the working tree pinned and Git not: the next run
		// commits it, or Argo CD would never see it.
		c := ctx(t, time.Minute)
		h := newPlayedHub(t, c)
		for i := range 3 {
			h.register(c, fmt.Sprintf("c%d", i), modeHealthy)
		}
		f := loadRolloutFleet(t)
		f.Cluster("c0").Revision = rolloutRev
		var lines []string
		res, err := newRollout(h, f, 10*time.Second, func(l string) { lines = append(lines, l) }).Run(c)
		if err != nil {
			t.Fatalf("rollout: %v", err)
		}
		if got := fmt.Sprint(h.pinned()); got != "[[c0] [c1] [c2]]" || waveStates(res) != "0:done 1:done 2:done" {
			t.Errorf("pinned %s, waves %s", got, waveStates(res))
		}
		if !strings.HasPrefix(lines[0], "wave 0: pinned c0 to 4b825dc6 (commit ") {
			t.Errorf("first line %q", lines[0])
		}
	})

	t.Run("a wave outlasting its timeout fails", func(t *testing.T) {
		c := ctx(t, time.Minute)
		h := stuckHub(t, c, "c0")
		res, err := newRollout(h, loadRolloutFleet(t), 2*time.Second, func(string) {}).Run(c)
		if err == nil {
			t.Fatal("the rollout of a wave never healthy succeeded")
		}
		for _, w := range []string{"wave 0 failed, later waves untouched", "cluster c0: Application fleet-c0: ", "wave 0 not healthy after 2s", "health Progressing"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("rollout error: %v\nwant it to say %q", err, w)
			}
		}
		if got := waveStates(res); got != "0:failed" || fmt.Sprint(h.pinned()) != "[[c0]]" {
			t.Errorf("waves %s, pinned %v", got, h.pinned())
		}
		checkRecord(t, record.RolloutFailed, "0", "")
	})

	t.Run("Ctrl-C leaves it resumable", func(t *testing.T) {
		c := ctx(t, time.Minute)
		h := stuckHub(t, c, "c1")
		run, interrupt := context.WithCancel(c)
		defer interrupt()
		res, err := newRollout(h, loadRolloutFleet(t), time.Minute, func(l string) {
			if strings.HasPrefix(l, "wave 1: waiting for") {
				interrupt()
			}
		}).Run(run)
		if err == nil || !strings.Contains(err.Error(), "wave 1 interrupted while waiting, later waves untouched") || !strings.Contains(err.Error(), "`fleetup fleet rollout` resumes it") {
			t.Fatalf("the interrupted rollout: %v", err)
		}
		if got := waveStates(res); got != "0:done 1:interrupted" {
			t.Errorf("waves %s", got)
		}
		checkRecord(t, record.RolloutRunning, "1", "0")
	})
}
