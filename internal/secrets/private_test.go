package secrets

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/decode"
	"github.com/fleetup/fleetup/internal/redact"
)

const cnoeConfig = "repo:\n  url: https://github.com/org/platform\ncluster_name: hub\nregion: us-west-2\ndomain: example.org\npath_routing: \"false\"\nauto_mode: false\n"

// cnoeTree copies testdata/cnoe with credential file modes Git does not
// keep.
func cnoeTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/cnoe")); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "private", "*"))
	for _, f := range files {
		if err := os.Chmod(f, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func loadConfig(t *testing.T, dir, extra string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("config.yaml", dir, []byte(cnoeConfig+extra))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Like create-config-secrets.sh: every private/*.yaml under
// <prefix>/github-app, keyed by file name, any keys inside.
func TestPrivateDiscovered(t *testing.T) {
	cfg := loadConfig(t, cnoeTree(t), "")
	red := &redact.Redactor{}
	got, err := Desired(cfg, red)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !strings.HasSuffix(got[1].Name, "/github-app") {
		t.Fatalf("secrets %+v", names(got))
	}
	want := []string{
		"argocd-github.appId", "argocd-github.installationId", "argocd-github.privateKey", "argocd-github.url",
		"backstage-github.clientSecret", "backstage-github.url", "backstage-github.webhook.secret",
	}
	if k := got[1].Keys(); !reflect.DeepEqual(k, want) {
		t.Errorf("keys %v", k)
	}
	// No value of any file survives the redactor.
	for _, v := range Flatten(got[1].Value) {
		if strings.Contains(v, "github.com") {
			continue // the url is not secret, but masked too
		}
		if out := red.String("x " + v + " y"); strings.Contains(out, v) {
			t.Errorf("value not masked: %q", out)
		}
	}
	for _, line := range []string{"ZmFrZS1rZXktbGluZS1vbmU=", "nested-webhook-value", "424242"} {
		if strings.Contains(red.String(line), line) {
			t.Errorf("%s not masked", line)
		}
	}
}

// A file config.yaml lists keeps its listed name; it is not read twice.
func TestPrivateListed(t *testing.T) {
	cfg := loadConfig(t, cnoeTree(t), "secrets:\n  github_apps:\n    - name: argocd\n      file: private/argocd-github.yaml\n")
	got, err := Desired(cfg, &redact.Redactor{})
	if err != nil {
		t.Fatal(err)
	}
	v := got[1].Value
	if _, ok := v["argocd"]; !ok || v["argocd-github"] != nil || v["backstage-github"] == nil {
		t.Errorf("credentials %v", keys(v))
	}
}

func TestPrivateNameTaken(t *testing.T) {
	dir := cnoeTree(t)
	if err := os.Rename(filepath.Join(dir, "private", "argocd-github.yaml"), filepath.Join(dir, "app.yaml")); err != nil {
		t.Fatal(err)
	}
	cfg := loadConfig(t, dir, "secrets:\n  github_apps:\n    - name: backstage-github\n      file: app.yaml\n")
	_, err := Desired(cfg, &redact.Redactor{})
	var de *decode.Error
	if !errors.As(err, &de) || de.File != filepath.Join("private", "backstage-github.yaml") || de.Line != 1 || de.Hint == "" {
		t.Fatalf("error %v", err)
	}
}

func TestPrivateWorldReadable(t *testing.T) {
	dir := cnoeTree(t)
	if err := os.Chmod(filepath.Join(dir, "private", "backstage-github.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Desired(loadConfig(t, dir, ""), &redact.Redactor{})
	var de *decode.Error
	if !errors.As(err, &de) || !strings.Contains(de.Hint, "chmod 600") {
		t.Fatalf("error %v", err)
	}
}

func TestPrivateNotMapping(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "private"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "private", "x.yaml"), []byte("- a\n- b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Desired(loadConfig(t, dir, ""), &redact.Redactor{})
	var de *decode.Error
	if !errors.As(err, &de) || !strings.Contains(de.Error(), "private/x.yaml:1:1") || strings.Contains(de.Error(), "- a") {
		t.Fatalf("error %v", err)
	}
}

func names(s []Secret) []string {
	var out []string
	for _, x := range s {
		out = append(out, x.Name)
	}
	return out
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
