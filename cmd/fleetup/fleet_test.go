package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFleetValidateShipped(t *testing.T) {
	code, out, errOut := fleetup(t, "fleet", "validate", "--config", shipped)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"fleet/ is valid: 2 profiles, 8 inventory files in 4 layers (environment < customer < site < provider), 3 clusters",
		"wave 0: dev-acme-fra", "wave 1: prod-acme-fra", "wave 2: prod-globex-iad",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if errOut != "" {
		t.Errorf("stderr: %s", errOut)
	}
}

func TestFleetValidateJSON(t *testing.T) {
	code, out, errOut := fleetup(t, "fleet", "validate", "--config", shipped, "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var s struct {
		Valid    bool
		Layers   []string
		Clusters []struct{ Name, Profile string }
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if !s.Valid || len(s.Layers) != 4 || len(s.Clusters) != 3 || s.Clusters[2].Profile != "gpu" {
		t.Errorf("unexpected summary: %+v", s)
	}
}

func TestFleetRenderText(t *testing.T) {
	code, out, errOut := fleetup(t, "fleet", "render", "--config", shipped, "prod-acme-fra")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"cluster prod-acme-fra (profile standard, wave 1)",
		"environment  fleet/inventory/environment/prod.yaml",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	rows := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 3 {
			rows[f[0]] = f[1] + " " + f[2]
		}
	}
	for key, want := range map[string]string{
		"nodePools.workers.scaling.maxSize": "fleet/clusters/prod-acme-fra.yaml:14:18 20",
		"provider.region":                   `fleet/inventory/site/fra.yaml:3:11 "eu-central-1"`,
	} {
		if rows[key] != want {
			t.Errorf("%s: %q, want %q", key, rows[key], want)
		}
	}
	if strings.Contains(out, "dev-acme-fra (") {
		t.Error("render of one cluster printed others")
	}
}

func TestFleetRenderJSON(t *testing.T) {
	code, out, errOut := fleetup(t, "fleet", "render", "--config", shipped, "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r struct {
		Clusters []struct {
			Name       string
			ValueFiles []struct{ Layer, File string }
			Values     struct {
				Provider struct{ Flavour, Region string }
			}
			Origins []struct {
				Key    string
				Value  any
				Origin struct {
					File         string
					Line, Column int
					Layer        string
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if len(r.Clusters) != 3 {
		t.Fatalf("%d clusters", len(r.Clusters))
	}
	c := r.Clusters[2]
	if c.Name != "prod-globex-iad" || c.Values.Provider.Region != "us-east-1" || len(c.ValueFiles) != 7 || c.ValueFiles[6].Layer != "cluster" {
		t.Errorf("unexpected cluster: %+v", c)
	}
	found := false
	for _, o := range c.Origins {
		if o.Key == "kubernetesVersion" {
			found = o.Value == "v1.33" && o.Origin.File == "fleet/clusters/prod-globex-iad.yaml" && o.Origin.Line == 11 && o.Origin.Layer == "cluster"
		}
	}
	if !found {
		t.Error("kubernetesVersion must be v1.33 from the cluster file's overrides, line 11")
	}
}

func TestFleetRenderUnknownCluster(t *testing.T) {
	code, _, errOut := fleetup(t, "fleet", "render", "--config", shipped, "prod-acme")
	if code != 2 || !strings.Contains(errOut, `no cluster "prod-acme" in fleet/clusters/; did you mean "prod-acme-fra"?`) {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

func TestFleetValidateErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fleet")
	for name, data := range map[string]string{
		"profiles/small.yaml":               "kubernetesVersion: v1.34\nnodepools: {}\n",
		"inventory/environment/dev.yaml":    "tags: {environment: dev}\n",
		"inventory/customer/acme.yaml":      "",
		"inventory/site/fra.yaml":           "provider: {region: eu-central-1}\n",
		"inventory/provider/in-memory.yaml": "provider: {flavour: in-memory}\n",
		"clusters/one.yaml":                 "name: one\nprofile: smal\nenvironment: dev\ncustomer: acme\nsite: fra\nprovider: in-memory\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := fleetup(t, "fleet", "validate", "--config", shipped, "--fleet-dir", dir)
	want := []string{
		`fleet/clusters/one.yaml:2:10: profile: no profile "smal" (no fleet/profiles/smal.yaml) (expected one of small); did you mean "small"?`,
		`fleet/profiles/small.yaml:2:1: nodepools: unknown key "nodepools"`,
	}
	if code != 2 || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	for _, w := range want {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errOut)
		}
	}
	code, out, _ = fleetup(t, "fleet", "validate", "--config", shipped, "--fleet-dir", dir, "-o", "json")
	var s struct {
		Valid  bool
		Errors []struct {
			File         string
			Line, Column int
			Message      string
		}
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if code != 2 || s.Valid || len(s.Errors) != 2 || s.Errors[0].File != "fleet/clusters/one.yaml" || s.Errors[0].Line != 2 {
		t.Errorf("exit %d, %+v", code, s)
	}
}

func TestFleetDirMissing(t *testing.T) {
	code, _, errOut := fleetup(t, "fleet", "validate", "--config", shipped, "--fleet-dir", filepath.Join(t.TempDir(), "nope"))
	if code != 2 || !strings.Contains(errOut, "no fleet directory at") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}
