package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// fleetup runs the CLI in-process from the repository root.
func fleetup(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

const shipped = "../../config.yaml"

func TestPlanShippedConfig(t *testing.T) {
	code, out, errOut := fleetup(t, "plan", "--config", shipped)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"target      eks", "cluster     platform-hub", "region      us-west-2",
		"cnoe-ref-impl/config", "keys: auto_mode, cluster_name",
		"argocd: chart argo-cd", "external-secrets: chart external-secrets",
		"Secret argocd/cluster-platform-hub", "enable_cert_manager: \"true\"",
		"ApplicationSet argocd/cert-manager", "level 2: platform-gateway",
		"not installed: aws-load-balancer-controller",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q", want)
		}
	}
}

func TestPlanJSON(t *testing.T) {
	code, out, errOut := fleetup(t, "plan", "--config", shipped, "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var p struct {
		Target  struct{ Kind, Cluster, Region string }
		Steps   []struct{ Name string }
		Secrets struct {
			Items []struct {
				Name string
				Keys []string
			}
		}
		HelmReleases    []struct{ Release, Chart, Version string }
		ApplicationSets []struct{ Kind, Name string }
		Graph           struct {
			Levels [][]string
			Addons []struct {
				Name      string
				DependsOn []string
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("plan -o json is not JSON: %v", err)
	}
	if p.Target.Kind != "eks" || len(p.Steps) != 10 || len(p.HelmReleases) != 2 || len(p.ApplicationSets) != 17 || len(p.Graph.Levels) != 5 {
		t.Errorf("unexpected plan: %+v", p)
	}
	// One per addon, and the workload clusters' stages ApplicationSet.
	if last := p.ApplicationSets[len(p.ApplicationSets)-1]; last.Name != "fleetup-stages" {
		t.Errorf("the last ApplicationSet is %+v, not fleetup-stages", last)
	}
	if p.HelmReleases[0].Chart != "argo-cd" || p.HelmReleases[1].Chart != "external-secrets" {
		t.Errorf("releases: %+v", p.HelmReleases)
	}
	// The shipped repository has a fleet: Cluster API comes after cert-manager.
	capi := false
	for _, a := range p.Graph.Addons {
		if a.Name == "cluster-api-operator" {
			capi = slices.Contains(a.DependsOn, "cert-manager")
		}
	}
	if !capi {
		t.Errorf("graph lacks cluster-api-operator after cert-manager: %+v", p.Graph.Addons)
	}
}

func TestPlanOutWritesManifests(t *testing.T) {
	dir := t.TempDir()
	code, _, errOut := fleetup(t, "plan", "--config", shipped, "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, f := range []string{"plan.json", "cluster-secret.yaml", "applicationsets/applicationset-argocd-cert-manager.yaml", "gitops/application-argocd-fleetup-catalog-platform-hub.yaml", "releases/argocd-values.yaml", "bootstrap/appproject-argocd-platform.yaml", "secret-store/clustersecretstore-aws-secretsmanager.yaml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
}

var positioned = regexp.MustCompile(`(?m)^([^ :]+\.yaml):[0-9]+:[0-9]+: `)

// TestBadInputExitsTwo: every malformed config exits 2 with a positioned
// error and changes nothing.
func TestBadInputExitsTwo(t *testing.T) {
	good, err := os.ReadFile(shipped)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"empty":         "",
		"garbage":       "\x89PNG\r\n\x1a\n\x00\x00",
		"unknown key":   strings.Replace(string(good), "cluster_name:", "clustername:", 1),
		"wrong type":    strings.Replace(string(good), `region: "us-west-2"`, "region: [us-west-2]", 1),
		"bad name":      strings.Replace(string(good), `cluster_name: "platform-hub"`, `cluster_name: "Platform Hub"`, 1),
		"unknown addon": strings.Replace(string(good), "  external-dns:\n", "  external_dns:\n", 1),
		"missing file":  string(good) + "\nsecrets:\n  github_token:\n    name: t\n    file: nope.yaml\n",
		"syntax":        "repo: {url: https://x\n",
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.CopyFS(filepath.Join(dir, "packages"), os.DirFS("../../packages")); err != nil {
				t.Fatal(err)
			}
			cfg := filepath.Join(dir, "config.yaml")
			if err := os.WriteFile(cfg, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := fleetup(t, "plan", "--config", cfg)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr: %s", code, errOut)
			}
			if out != "" {
				t.Errorf("printed a plan anyway: %s", out)
			}
			if !positioned.MatchString(errOut) {
				t.Errorf("no file:line:column in %q", errOut)
			}
			if strings.Contains(errOut, "goroutine") || strings.Contains(errOut, "panic") {
				t.Errorf("stack trace: %s", errOut)
			}
		})
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{"plan", "--no-such-flag"}, {"frobnicate"}, {"plan", "extra-arg"}, {"plan", "-o", "yaml", "--config", shipped},
		{"completion", "tcsh"}, {"plan", "--config", "/nonexistent/config.yaml"},
	} {
		code, _, errOut := fleetup(t, args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut)
		}
		if !strings.HasPrefix(errOut, "Error: ") {
			t.Errorf("%v: stderr %q", args, errOut)
		}
	}
}

func TestVersionAndCompletion(t *testing.T) {
	code, out, _ := fleetup(t, "version")
	if code != 0 || !strings.HasPrefix(out, "fleetup ") {
		t.Errorf("version: %d %q", code, out)
	}
	code, out, _ = fleetup(t, "version", "-o", "json")
	var v map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v["goVersion"] == nil {
		t.Errorf("version -o json: %d %q", code, out)
	}
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		code, out, _ = fleetup(t, "completion", sh)
		if code != 0 || !strings.Contains(out, "fleetup") {
			t.Errorf("completion %s: %d", sh, code)
		}
	}
	code, out, _ = fleetup(t, "--help")
	if code != 0 || !strings.Contains(out, "Exit codes:") || !strings.Contains(out, "2  usage or configuration error") {
		t.Errorf("--help lacks exit codes: %q", out)
	}
	// Without a terminal and without --yes, install refuses before doing
	// anything (exit 2), never hangs on a prompt.
	code, _, errOut := fleetup(t, "install", "--config", shipped)
	if code != 2 || !strings.Contains(errOut, "pass --yes") {
		t.Errorf("install without terminal: %d %q", code, errOut)
	}
	// Commands that do nothing real yet must not exist.
	for _, c := range []string{"uninstall"} {
		if code, _, _ := fleetup(t, c); code != 2 {
			t.Errorf("%s exists before it does anything", c)
		}
	}
}

// TestSecretsNeverPrinted runs plan with credential files holding known
// values and scans every output for them.
func TestSecretsNeverPrinted(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "packages"), os.DirFS("../../packages")); err != nil {
		t.Fatal(err)
	}
	secrets := []string{"Iv1.8a61f9b3a7aba766", "48213377", "MIIEpAIBAAKCAQEAsecretprivatekeymaterial0123456789", "ghp_0123456789abcdefSECRETtoken"}
	app := "url: https://github.com/example-org\nappId: \"" + secrets[0] + "\"\ninstallationId: \"" + secrets[1] + "\"\nprivateKey: |\n  -----BEGIN RSA PRIVATE KEY-----\n  " + secrets[2] + "\n  -----END RSA PRIVATE KEY-----\n"
	tok := "url: https://github.com/example-org\ntoken: " + secrets[3] + "\n"
	for name, content := range map[string]string{"private/app.yaml": app, "private/token.yaml": tok} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	good, _ := os.ReadFile(shipped)
	cfg := string(good) + "\n" // secrets section appended as a second block is a duplicate key; replace instead
	cfg = strings.Replace(cfg, "secrets:\n  # aws-secretsmanager", "secrets:\n  github_apps:\n    - name: argocd-github\n      file: private/app.yaml\n  github_token:\n    name: ci-token\n    file: private/token.yaml\n  # aws-secretsmanager", 1)
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	outDir := filepath.Join(dir, "out")
	var all strings.Builder
	for _, args := range [][]string{{"plan"}, {"plan", "-o", "json"}, {"plan", "--out", outDir, "-v"}} {
		code, out, errOut := fleetup(t, append(args, "--config", filepath.Join(dir, "config.yaml"))...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		all.WriteString(out + errOut)
		if args[0] == "plan" && len(args) == 1 && !strings.Contains(out, "argocd-github.privateKey") {
			t.Errorf("plan does not list the credential keys:\n%s", out)
		}
	}
	filepath.WalkDir(outDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			all.Write(b)
		}
		return nil
	})
	for _, s := range secrets {
		if strings.Contains(all.String(), s) {
			t.Errorf("secret %q printed", s)
		}
	}
}
