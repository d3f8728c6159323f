package cli

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/fleet"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// hub reads testdata/hub.yaml: the cluster secrets and Applications a
// hub's Argo CD holds.
func hub(t *testing.T) ([]corev1.Secret, []unstructured.Unstructured) {
	t.Helper()
	return hubFile(t, "testdata/hub.yaml")
}

// shippedViews are the shipped fleet's clusters as list shows them.
func shippedViews(t *testing.T) clustersJSON {
	t.Helper()
	f, err := fleet.Load(context.Background(), os.DirFS("../.."), "fleet", fleet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := clustersJSON{Fleet: "fleet", Layers: f.Settings.Layers}
	for _, c := range f.Clusters {
		out.Clusters = append(out.Clusters, viewOf(c))
	}
	return out
}

func TestJoinLive(t *testing.T) {
	secrets, apps := hub(t)
	views := shippedViews(t)
	bundles := map[string][]string{}
	for _, c := range views.Clusters {
		bundles[c.Name] = c.Bundle
	}
	live := joinLive("argocd", secrets, apps, bundles)
	if len(live) != 3 {
		t.Fatalf("clusters: %v", live)
	}
	dev := live["dev-acme-fra"]
	if !dev.Registered || dev.Secret != "argocd/cluster-dev-acme-fra" || dev.Server != "https://127.0.0.1:20001" {
		t.Errorf("dev registration: %+v", dev)
	}
	if a := dev.Application; a == nil || a.Name != "fleet-dev-acme-fra" || a.State != "healthy" {
		t.Errorf("dev's fleet Application: %+v", a)
	}
	if a := dev.Stages; a == nil || a.Name != "fleetup-stages-dev-acme-fra" || a.Health != "Progressing" {
		t.Errorf("dev's stages Application: %+v", a)
	}
	if prod := live["prod-acme-fra"]; prod.Stages != nil {
		t.Errorf("prod has no stages Application: %+v", prod.Stages)
	}
	states := func(l *ClusterLive) string {
		var s []string
		for _, a := range l.Addons {
			s = append(s, a.Addon+"="+a.State)
		}
		return strings.Join(s, " ")
	}
	// By destination name, by server, and the bundle's addon with none.
	if got := states(dev); got != "cert-manager=healthy envoy-gateway=missing external-secrets=progressing" || dev.Healthy() != 1 {
		t.Errorf("dev addons: %s", got)
	}
	prod := live["prod-acme-fra"]
	if !prod.Registered || prod.Application != nil || states(prod) != "cert-manager=degraded envoy-gateway=missing external-secrets=missing" {
		t.Errorf("prod: %+v %s", prod, states(prod))
	}
	if globex := live["prod-globex-iad"]; globex.Registered || len(globex.Addons) != 0 {
		t.Errorf("globex has no secret: %+v", globex)
	}

	// What get prints, and that no credential of the secrets shows.
	for i := range views.Clusters {
		views.Clusters[i].Live = live[views.Clusters[i].Name]
	}
	views.Live = true
	var b strings.Builder
	one := views
	one.Clusters = views.Clusters[:1]
	if err := writeCluster(&b, one); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"  registered in Argo CD: Secret argocd/cluster-dev-acme-fra, server https://127.0.0.1:20001\n",
		"  Application fleet-dev-acme-fra: healthy (sync Synced, health Healthy)\n",
		"  stages Application fleetup-stages-dev-acme-fra: ",
		"  cert-manager      cert-manager-dev-acme-fra      1     healthy",
		"  envoy-gateway     envoy-gateway-dev-acme-fra     -     missing      -       -            not created yet: its stages Application creates it once the addons it depends on are healthy\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("get lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	if err := writeClusterTable(&b, views); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "REGISTERED  ADDONS") || !strings.Contains(b.String(), "yes         1/3 healthy") || !strings.Contains(b.String(), "no          -") {
		t.Errorf("list:\n%s", b.String())
	}
	data, err := json.Marshal(views)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"keyData", "c2VjcmV0LWtleS1kYXRh", "secret-key-data", "tlsClientConfig"} {
		if strings.Contains(string(data)+b.String(), secret) {
			t.Errorf("output shows %q of a cluster secret", secret)
		}
	}
}
