package cli

import (
	"context"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/fleetup/fleetup/internal/fleet"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestNextStep: where a run starts, from Git alone and whether the hub
// was reached; every point a killed run can leave Git in is covered.
func TestNextStep(t *testing.T) {
	for _, c := range []struct {
		name          string
		st            gitState
		hub, noCommit bool
		want          deleteStep
	}{
		{"first run", gitState{OnDisk: true, InHead: true}, true, false, stepMark},
		{"killed before the marker was committed (written only)", gitState{OnDisk: true, InHead: true}, true, false, stepMark},
		{"marker committed, killed while waiting for the addons", gitState{OnDisk: true, Marked: true, InHead: true}, true, false, stepRemove},
		{"removal written, killed before the commit", gitState{InHead: true}, true, false, stepRemove},
		{"removal committed, killed while waiting for the hub", gitState{}, true, false, stepWait},
		{"no hub: one commit, as before", gitState{OnDisk: true, InHead: true}, false, false, stepRemove},
		{"no hub, marker committed", gitState{OnDisk: true, Marked: true, InHead: true}, false, false, stepRemove},
		{"a file that does not load cannot carry the marker", gitState{OnDisk: true, Broken: true, InHead: true}, true, false, stepRemove},
		{"--no-commit writes the marker first, hub or not", gitState{OnDisk: true, InHead: true}, false, true, stepMark},
		{"--no-commit outside a repository: the marker first", gitState{OnDisk: true, InHead: true}, false, true, stepMark},
		{"--no-commit, the marker written: the removal", gitState{OnDisk: true, Marked: true, InHead: true}, false, true, stepRemove},
		{"a cluster file never committed is only removed", gitState{OnDisk: true}, true, false, stepRemove},
	} {
		if got := nextStep(c.st, c.hub, c.noCommit); got != c.want {
			t.Errorf("%s: step %d, want %d", c.name, got, c.want)
		}
	}
}

// TestWithMarker: the marker goes into each shipped cluster file, which
// then loads as decommissioned with its other settings and comments; a
// file saying decommission: false is switched, not given a second key.
func TestWithMarker(t *testing.T) {
	shipped, err := fleet.Load(context.Background(), os.DirFS("../.."), "fleet", fleet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range shipped.Names() {
		fsys := fstest.MapFS{}
		if err := copyInto(fsys, "../..", "fleet"); err != nil {
			t.Fatal(err)
		}
		file := "fleet/clusters/" + name + ".yaml"
		before := string(fsys[file].Data)
		fsys[file] = &fstest.MapFile{Data: withMarker(fsys[file].Data)}
		if got := string(withMarker(fsys[file].Data)); got != string(fsys[file].Data) {
			t.Errorf("%s: a second marker changes the file:\n%s", name, got)
		}
		if !strings.HasPrefix(string(fsys[file].Data), before) {
			t.Errorf("%s: the file's content is not kept", name)
		}
		f, err := fleet.Load(context.Background(), fsys, "fleet", fleet.Options{})
		if err != nil {
			t.Fatalf("%s with the marker: %v", name, err)
		}
		c, old := f.Cluster(name), shipped.Cluster(name)
		if !c.Decommission || c.Profile != old.Profile || !reflect.DeepEqual(c.Layers, old.Layers) || !reflect.DeepEqual(c.Wave, old.Wave) {
			t.Errorf("%s: %+v", name, c)
		}
	}
	for in, want := range map[string]string{
		"name: a\ndecommission: false\nprofile: p\n": "name: a\ndecommission: true\nprofile: p\n",
		"name: a": "name: a\n# Written by `fleetup cluster delete`: the cluster's addons leave it, then this file goes.\ndecommission: true\n",
	} {
		if got := string(withMarker([]byte(in))); got != want {
			t.Errorf("withMarker(%q) = %q, want %q", in, got, want)
		}
	}
}

func copyInto(fsys fstest.MapFS, root, dir string) error {
	des, err := os.ReadDir(root + "/" + dir)
	if err != nil {
		return err
	}
	for _, de := range des {
		p := dir + "/" + de.Name()
		if de.IsDir() {
			if err := copyInto(fsys, root, p); err != nil {
				return err
			}
			continue
		}
		data, err := os.ReadFile(root + "/" + p)
		if err != nil {
			return err
		}
		fsys[p] = &fstest.MapFile{Data: data}
	}
	return nil
}

// TestLeftOf: on the hub of testdata/hub.yaml, what is left of
// dev-acme-fra as its delete goes on: the addons are gone only once the
// secret carries the marker's label and neither the stages Application
// nor an addon Application is left; addons deployed by server are still
// found once the secret is gone; other clusters' objects never count.
func TestLeftOf(t *testing.T) {
	secrets, apps := hub(t)
	name := "dev-acme-fra"
	dest := &destinations{names: map[string]bool{}, servers: map[string]bool{}}
	h := leftOf(name, secrets, apps, dest, nil)
	want := &hubLeft{Secret: "argocd/cluster-dev-acme-fra", Stages: "fleetup-stages-dev-acme-fra",
		Addons: []string{"cert-manager-dev-acme-fra", "external-secrets-dev-acme-fra"}, Application: "fleet-dev-acme-fra"}
	if !reflect.DeepEqual(h, want) {
		t.Fatalf("left\n got %+v\nwant %+v", h, want)
	}
	if h.addonsGone() || h.gone() {
		t.Error("the addons count as gone before Argo CD saw the marker")
	}
	// Argo CD saw the marker: the secret is labelled, the stages
	// Application is on its way out with one addon.
	marked := make([]corev1.Secret, len(secrets))
	for i, s := range secrets {
		marked[i] = *s.DeepCopy()
		if s.Labels[fleet.ClusterLabel] == name {
			marked[i].Labels[DecommissionLabel] = "true"
		}
	}
	h = leftOf(name, marked, without(apps, "cert-manager-dev-acme-fra"), dest, nil)
	if h.addonsGone() || !h.Decommissioned || !strings.Contains(h.String(), "stages Application fleetup-stages-dev-acme-fra; addon Applications external-secrets-dev-acme-fra") {
		t.Errorf("with the stages Application left: %s", h)
	}
	h = leftOf(name, marked, without(apps, "cert-manager-dev-acme-fra", "fleetup-stages-dev-acme-fra", "external-secrets-dev-acme-fra"), dest, nil)
	if !h.addonsGone() || h.gone() {
		t.Errorf("the addons gone, the cluster registered: addonsGone %v, gone %v: %s", h.addonsGone(), h.gone(), h)
	}
	// The secret is gone but an Application deploying to its server is
	// not: it is still the cluster's.
	var others []corev1.Secret
	for _, s := range secrets {
		if s.Labels[fleet.ClusterLabel] != name {
			others = append(others, s)
		}
	}
	h = leftOf(name, others, without(apps, "cert-manager-dev-acme-fra", "fleetup-stages-dev-acme-fra", "fleet-dev-acme-fra"), dest, []string{"Cluster dev-acme-fra/dev-acme-fra"})
	if h.gone() || !reflect.DeepEqual(h.Addons, []string{"external-secrets-dev-acme-fra"}) || h.Secret != "" {
		t.Errorf("after the secret: %s", h)
	}
	h = leftOf(name, others, without(apps, "cert-manager-dev-acme-fra", "fleetup-stages-dev-acme-fra", "fleet-dev-acme-fra", "external-secrets-dev-acme-fra"), dest, nil)
	if !h.gone() || h.String() != "nothing" {
		t.Errorf("nothing left, but: %s", h)
	}
	// A cluster that was never registered has no addons to wait for.
	if h := leftOf("new-cluster", secrets, apps, &destinations{names: map[string]bool{}, servers: map[string]bool{}}, nil); !h.addonsGone() || !h.gone() {
		t.Errorf("an unknown cluster: %s", h)
	}
}

func without(apps []unstructured.Unstructured, names ...string) []unstructured.Unstructured {
	var out []unstructured.Unstructured
	for _, a := range apps {
		keep := true
		for _, n := range names {
			keep = keep && a.GetName() != n
		}
		if keep {
			out = append(out, a)
		}
	}
	return out
}

// TestOwnedByCAPI: Cluster API's kubeconfig Secret (owned by its Cluster,
// as the kubeconfig controller writes it) counts; a user's does not.
func TestOwnedByCAPI(t *testing.T) {
	capi := &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{"name": "c-kubeconfig", "ownerReferences": []any{
		map[string]any{"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Cluster", "name": "c", "uid": "1", "controller": true},
	}}}}
	user := &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{"name": "c-kubeconfig"}}}
	eso := &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{"name": "c-kubeconfig", "ownerReferences": []any{
		map[string]any{"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "name": "c", "uid": "2"},
	}}}}
	if !ownedByCAPI(capi) || ownedByCAPI(user) || ownedByCAPI(eso) {
		t.Errorf("ownedByCAPI: capi %v, user %v, eso %v", ownedByCAPI(capi), ownedByCAPI(user), ownedByCAPI(eso))
	}
}
