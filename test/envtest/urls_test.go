package envtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/cli"
	"github.com/fleetup/fleetup/internal/helm"
	"github.com/fleetup/fleetup/internal/plan"
	"github.com/fleetup/fleetup/internal/routes"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestURLs: `fleetup urls` against the real API server with the real
// Gateway API CRDs, on the Gateway and routes the shipped platform-gateway
// chart renders for the hub in each routing mode, and without a domain:
// what it says before the Gateway API, the Gateway and the routes exist,
// then each UI's URL; exit 1 until one has a URL.
func TestURLs(t *testing.T) {
	env.Need(t)
	c := ctx(t, 5*time.Minute)
	if _, err := env.Client.Typed.Discovery().ServerResourcesForGroupVersion("gateway.networking.k8s.io/v1"); apierrors.IsNotFound(err) {
		out, code := runURLs(c, t, urlsConfig(t, "platform.example.com", true), "text")
		if code != cli.ExitFailure || !strings.Contains(out, "the cluster has no Gateway API yet") {
			t.Errorf("before the Gateway API: exit %d\n%s", code, out)
		}
	} else {
		t.Log("the Gateway API CRDs were installed before this test: its first check is left out")
	}
	if err := env.InstallCRDs(c, GatewayAPICRDs()...); err != nil {
		t.Fatal(err)
	}
	apply(t, "apiVersion: v1\nkind: Namespace\nmetadata: {name: envoy-gateway-system}\n")

	cfg := urlsConfig(t, "platform.example.com", true)
	if out, code := runURLs(c, t, cfg, "text"); code != cli.ExitFailure || !strings.Contains(out, "the cluster has no Gateway yet") {
		t.Errorf("without a Gateway: exit %d\n%s", code, out)
	}

	for _, m := range []struct {
		name, domain string
		pathRouting  bool
		url          string
	}{
		{"path routing", "platform.example.com", true, "https://platform.example.com/argocd"},
		{"subdomains", "platform.example.com", false, "https://argocd.platform.example.com/"},
		{"no domain", "", true, "http://127.0.0.1/argocd"},
	} {
		t.Run(m.name, func(t *testing.T) {
			cfg := urlsConfig(t, m.domain, m.pathRouting)
			gw, rs := shippedGateway(c, t, cfg)
			applyObjects(c, t, []*unstructured.Unstructured{gw})
			out, code := runURLs(c, t, cfg, "text")
			if code != cli.ExitFailure || !strings.Contains(out, "no HTTPRoute to a Service is attached to Gateway envoy-gateway-system/platform yet") {
				t.Errorf("Gateway without routes: exit %d\n%s", code, out)
			}
			applyObjects(c, t, rs)

			out, code = runURLs(c, t, cfg, "json")
			var rep cli.URLsReport
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("urls -o json: %v\n%s", err, out)
			}
			if m.domain == "" {
				// No hostname anywhere: no URL until the Gateway has an address.
				if code != cli.ExitFailure || len(rep.UIs) != 1 || rep.UIs[0].URL != "" || !strings.Contains(strings.Join(rep.Notes, "\n"), "config.yaml sets no domain") {
					t.Errorf("no domain, no address: exit %d\n%s", code, out)
				}
				setGatewayAddress(c, t, gw, "127.0.0.1")
				out, code = runURLs(c, t, cfg, "json")
				rep = cli.URLsReport{}
				if err := json.Unmarshal([]byte(out), &rep); err != nil {
					t.Fatal(err)
				}
			}
			if code != cli.ExitOK || len(rep.UIs) != 1 {
				t.Fatalf("urls: exit %d\n%s", code, out)
			}
			ui := rep.UIs[0]
			if ui.Name != "argocd" || ui.Namespace != "argocd" || ui.URL != m.url || ui.TLS != (m.domain != "") ||
				strings.Join(ui.Backends, ",") != "argocd/argocd-server:80" || ui.Gateway != "envoy-gateway-system/platform" {
				t.Errorf("Argo CD's UI: %+v, want %s", ui, m.url)
			}
			text, _ := runURLs(c, t, cfg, "text")
			if !strings.Contains(text, m.url) || strings.Contains(text, "kubectl") {
				t.Errorf("urls text output:\n%s", text)
			}
			deleteObjects(t, append(rs, gw))
		})
	}
}

// urlsConfig writes a config.yaml for the environment's cluster (target
// kubeconfig) next to the repository's packages/.
func urlsConfig(t *testing.T, domain string, pathRouting bool) string {
	t.Helper()
	dir := t.TempDir()
	pkgs, err := filepath.Abs("../../packages")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(pkgs, filepath.Join(dir, "packages")); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`repo: {url: "https://github.com/example-org/platform", revision: main, basepath: packages}
cluster_name: urls-hub
auto_mode: "true"
domain: %q
route53_hosted_zone_id: Z0123456789ABCDEFGHIJ
path_routing: %q
target: kubeconfig
secrets: {backend: kubernetes, prefix: urls}
`, domain, fmt.Sprint(pathRouting))
	file := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(file, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// runURLs is `fleetup urls` with -o output; it returns what was printed
// and the exit code.
func runURLs(ctx context.Context, t *testing.T, config, output string) (string, int) {
	t.Helper()
	var out bytes.Buffer
	g := &cli.Global{ConfigFile: config, Kubeconfig: env.Kubeconfig, Output: output, LogFormat: "text", Stdout: &out, Stderr: &out}
	err := (&cli.URLs{Global: g}).Run(ctx)
	if code := cli.ExitCode(err); code != cli.ExitOK && code != cli.ExitFailure {
		t.Fatalf("urls: %v\n%s", err, out.String())
	}
	return out.String(), cli.ExitCode(err)
}

// shippedGateway renders the shipped platform-gateway chart for the hub of
// config as Argo CD does, and returns its Gateway and HTTPRoutes (its
// ClusterIssuer needs cert-manager's CRDs, which are not installed here).
func shippedGateway(ctx context.Context, t *testing.T, config string) (*unstructured.Unstructured, []*unstructured.Unstructured) {
	t.Helper()
	g := &cli.Global{ConfigFile: config}
	pl, err := cli.Load(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	a := pl.Catalog.Get("platform-gateway")
	vals, err := catalog.ResolveValues(a.Name, a.ValuesObject, plan.HubCluster(pl.Config, pl.Catalog))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := helm.Render(filepath.Join(pl.Catalog.PackagesDir, "platform-gateway"), a.Release(), a.TargetNamespace(), vals)
	if err != nil {
		t.Fatal(err)
	}
	var gw *unstructured.Unstructured
	var rs []*unstructured.Unstructured
	for _, m := range ms {
		switch m.Kind {
		case "Gateway":
			gw = &unstructured.Unstructured{Object: m.Object}
		case "HTTPRoute":
			rs = append(rs, &unstructured.Unstructured{Object: m.Object})
		}
	}
	if gw == nil || len(rs) == 0 {
		t.Fatalf("platform-gateway rendered no Gateway or no HTTPRoute: %v", ms)
	}
	return gw, rs
}

func applyObjects(ctx context.Context, t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	if err := env.Client.ApplyAll(ctx, objs); err != nil {
		t.Fatal(err)
	}
}

// setGatewayAddress writes the address a Gateway controller would report.
func setGatewayAddress(ctx context.Context, t *testing.T, gw *unstructured.Unstructured, ip string) {
	t.Helper()
	cur, err := env.Client.Dynamic.Resource(routes.GatewaysResource).Namespace(gw.GetNamespace()).Get(ctx, gw.GetName(), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := unstructured.SetNestedSlice(cur.Object, []any{map[string]any{"type": "IPAddress", "value": ip}}, "status", "addresses"); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.Dynamic.Resource(routes.GatewaysResource).Namespace(gw.GetNamespace()).UpdateStatus(ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func deleteObjects(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, o := range objs {
		gvr := routes.HTTPRoutesResource
		if o.GetKind() == "Gateway" {
			gvr = routes.GatewaysResource
		}
		err := env.Client.Dynamic.Resource(gvr).Namespace(o.GetNamespace()).Delete(context.Background(), o.GetName(), metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete %s %s/%s: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
		}
	}
}
