package golden

import (
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/bootstrap/actions/handoff"
	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/helm"
	"github.com/fleetup/fleetup/internal/plan"
	"github.com/fleetup/fleetup/internal/routes"
)

// The shipped catalog's routes and TLS in both routing modes: what the hub
// gets from packages/ (platform-gateway rendered as Argo CD renders it,
// checked against `helm template`), read back by the same code as `fleetup
// urls`.

const (
	gatewayAPI = "gateway.networking.k8s.io/v1"
	certAPI    = "cert-manager.io/v1"
)

// uiCharts are the charts of the catalog that serve a UI to people, with
// the Service (named as the chart names it for the addon's release) and
// port a route must send to. notUI are the others. Every chart the shipped
// catalog installs must be in one of the two: a new addon makes
// TestEveryUIIsRouted ask which it is, and a UI without a route fails it.
var uiCharts = map[string]func(a *catalog.Addon) string{
	// argo-cd's fullname is the release when it contains "argocd" (the
	// chart's nameOverride), then -server; port 80 is its plain HTTP port
	// (server.insecure: TLS ends at the Gateway).
	"argo-cd": func(a *catalog.Addon) string {
		full := a.Release()
		if !strings.Contains(full, "argocd") {
			full += "-argocd"
		}
		return fmt.Sprintf("%s/%s-server:80", a.TargetNamespace(), full)
	},
	// packages/keycloak's Keycloak CR is named keycloak: the operator's
	// Service keycloak-service, plain HTTP on 8080 (httpEnabled).
	"keycloak": func(a *catalog.Addon) string { return a.TargetNamespace() + "/keycloak-service:8080" },
	// The backstage chart's fullname is the release's; port 7007.
	"backstage": func(a *catalog.Addon) string { return fmt.Sprintf("%s/%s:7007", a.TargetNamespace(), a.Release()) },
	// argo-workflows' server: <release>-server, port 2746.
	"argo-workflows": func(a *catalog.Addon) string {
		return fmt.Sprintf("%s/%s-server:2746", a.TargetNamespace(), a.Release())
	},
}

var notUI = map[string]string{
	"external-secrets":             "a controller",
	"aws-load-balancer-controller": "a controller",
	"gateway-helm":                 "the Gateway API controller",
	"cert-manager":                 "a controller",
	"external-dns":                 "a controller",
	"platform-gateway":             "the Gateway itself",
	"cluster-api-operator":         "a controller",
	"storage-class":                "a StorageClass",
	"cloudnative-pg":               "an operator",
	"keycloak-operator":            "an operator",
	"crossplane":                   "a controller",
	"crossplane-aws":               "providers and an API",
}

// uiProblems lists what keeps a UI of the hub from being reachable over
// HTTPS in the plan's routing mode: an addon neither UI nor not, a UI
// without a route to its Service, on the wrong host or path, not served
// by an HTTPS listener, or a listener whose certificate's issuer cannot
// certify it (a wildcard needs DNS-01).
func uiProblems(p *plan.Plan, objs map[string]map[string]any) []string {
	var out []string
	gws := routes.Gateways(ofKind(objs, gatewayAPI, "Gateway"))
	uis := routes.UIs(gws, ofKind(objs, gatewayAPI, "HTTPRoute"))
	issuers := map[string]map[string]any{}
	for _, o := range ofKind(objs, certAPI, "ClusterIssuer") {
		issuers[dig(o, "metadata", "name").(string)] = o
	}
	domain := p.Config.Domain
	root := "" // the UI at the root of the host with path routing
	for _, a := range p.Catalog.Installed() {
		service, isUI := uiCharts[a.Chart()]
		if _, ok := notUI[a.Chart()]; !isUI && !ok {
			out = append(out, fmt.Sprintf("%s: chart %s is neither in uiCharts nor in notUI: does it serve people a UI? Then route it (packages/platform-route among its additionalResources)", a.Name, a.Chart()))
			continue
		}
		if !isUI {
			continue
		}
		want := service(a)
		i := slices.IndexFunc(uis, func(u routes.UI) bool { return slices.Contains(u.Backends, want) })
		if i < 0 {
			out = append(out, fmt.Sprintf("%s: no HTTPRoute on a Gateway sends to %s", a.Name, want))
			continue
		}
		u := uis[i]
		switch {
		// One UI may have the root of the host (Backstage, as in CNOE):
		// the Gateway sends a request to the longest matching prefix.
		case bool(p.Config.PathRouting) && u.Path == "/" && root != "":
			out = append(out, fmt.Sprintf("%s: path routing gives %s the root of %s already", a.Name, root, domain))
		case bool(p.Config.PathRouting) && u.Host != domain:
			out = append(out, fmt.Sprintf("%s: path routing wants %s/<path>, the route gives %s%s", a.Name, domain, u.Host, u.Path))
		case bool(p.Config.PathRouting) && u.Path == "/":
			root = a.Name
		case !bool(p.Config.PathRouting) && (!strings.HasSuffix(u.Host, "."+domain) || u.Path != "/"):
			out = append(out, fmt.Sprintf("%s: subdomain routing wants <name>.%s/, the route gives %s%s", a.Name, domain, u.Host, u.Path))
		}
		if !u.TLS || u.URL == "" {
			out = append(out, fmt.Sprintf("%s: %s is not served by an HTTPS listener with a host (%s)", a.Name, u.Namespace+"/"+u.Name, u.Reason))
			continue
		}
		out = append(out, tlsProblems(a.Name, gws, u, issuers)...)
	}
	return out
}

// tlsProblems checks the certificate of the listener serving u: the
// Gateway names a ClusterIssuer of the catalog, and it can prove the
// listener's hostname (HTTP-01 cannot prove a wildcard).
func tlsProblems(addon string, gws []routes.Gateway, u routes.UI, issuers map[string]map[string]any) []string {
	g := gws[slices.IndexFunc(gws, func(g routes.Gateway) bool { return g.Key() == u.Gateway })]
	l := g.Listeners[slices.IndexFunc(g.Listeners, func(l routes.Listener) bool { return l.Name == u.Listener })]
	iss, ok := issuers[g.Issuer]
	if !ok {
		return []string{fmt.Sprintf("%s: Gateway %s's issuer %q is not a ClusterIssuer of the catalog", addon, g.Key(), g.Issuer)}
	}
	solvers, _ := dig(iss, "spec", "acme", "solvers").([]any)
	for _, s := range solvers {
		if strings.HasPrefix(l.Hostname, "*.") {
			if dig(s, "dns01", "route53") != nil {
				return nil
			}
		} else if dig(s, "http01", "gatewayHTTPRoute") != nil || dig(s, "dns01") != nil {
			return nil
		}
	}
	return []string{fmt.Sprintf("%s: ClusterIssuer %s has no solver that can certify %s", addon, g.Issuer, l.Hostname)}
}

// TestShippedRoutesAndTLS: in each mode, Argo CD's route, the Gateway's
// listener and certificate issuer are what docs/catalog.md says; the URL
// `fleetup urls` reads from them is the one install prints; and Argo CD's
// own settings agree with its route (root path, plain HTTP port, URL).
func TestShippedRoutesAndTLS(t *testing.T) {
	bin := helmBinary(t)
	for _, m := range []struct {
		pathRouting            bool
		listener, issuer, host string
		path, url, rootpath    string
	}{
		{true, "platform.example.com", "letsencrypt-http01", "platform.example.com", "/argocd", "https://platform.example.com/argocd", "argocd"},
		{false, "*.platform.example.com", "letsencrypt-dns01", "argocd.platform.example.com", "/", "https://argocd.platform.example.com/", ""},
	} {
		t.Run(fmt.Sprintf("path_routing=%v", m.pathRouting), func(t *testing.T) {
			dir := shippedRepo(t, m.pathRouting, nil)
			p := buildPlan(t, dir)
			objs := hubObjects(t, bin, dir, p)
			gw := objs[gatewayAPI+"/Gateway envoy-gateway-system/platform"]
			if got := dig(gw, "spec", "listeners"); !reflect.DeepEqual(dig(got.([]any)[1], "hostname"), m.listener) {
				t.Errorf("HTTPS listener: %v, want hostname %s", got, m.listener)
			}
			if got := dig(gw, "metadata", "annotations", routes.IssuerAnnotation); got != m.issuer {
				t.Errorf("Gateway's issuer %v, want %s", got, m.issuer)
			}
			iss := objs[certAPI+"/ClusterIssuer <nil>/"+m.issuer]
			if iss == nil {
				t.Fatalf("no ClusterIssuer %s among %v", m.issuer, names(objs))
			}
			solver := dig(iss, "spec", "acme", "solvers").([]any)[0]
			if m.pathRouting {
				ref := dig(solver, "http01", "gatewayHTTPRoute", "parentRefs").([]any)[0]
				if dig(ref, "name") != "platform" || dig(ref, "namespace") != "envoy-gateway-system" || dig(ref, "sectionName") != "http" {
					t.Errorf("HTTP-01 solver answers through %v", ref)
				}
			} else {
				want := map[string]any{"route53": map[string]any{"hostedZoneID": p.Config.HostedZoneID, "region": p.Config.Region}}
				if got := dig(solver, "dns01"); !reflect.DeepEqual(got, want) {
					t.Errorf("DNS-01 solver %v, want %v (ambient credentials, the config's zone and region)", got, want)
				}
				if got := dig(solver, "selector", "dnsZones"); !reflect.DeepEqual(got, []any{p.Config.Domain}) {
					t.Errorf("DNS-01 solver selects %v", got)
				}
			}
			if n := len(ofKind(objs, certAPI, "ClusterIssuer")); n != 1 {
				t.Errorf("%d ClusterIssuers, want the mode's one", n)
			}

			uis := routes.UIs(routes.Gateways(ofKind(objs, gatewayAPI, "Gateway")), ofKind(objs, gatewayAPI, "HTTPRoute"))
			i := slices.IndexFunc(uis, func(u routes.UI) bool { return u.Name == "argocd" })
			want := routes.UI{Name: "argocd", Namespace: "argocd", URL: m.url, Host: m.host, Path: m.path, TLS: true,
				Gateway: "envoy-gateway-system/platform", Listener: "https", Backends: []string{"argocd/argocd-server:80"}}
			if i < 0 || !reflect.DeepEqual(uis[i], want) {
				t.Errorf("UIs:\n got %+v\nwant among them %+v", uis, want)
			}
			if line := "Argo CD: " + strings.TrimSuffix(m.url, "/"); !slices.Contains(handoff.Summary(p), line) {
				t.Errorf("install's summary %q lacks %q", handoff.Summary(p), line)
			}

			var argo plan.Release
			for _, r := range p.Releases {
				if r.Chart == plan.ArgoCDChart {
					argo = r
				}
			}
			params := dig(argo.RawValues, "configs", "params").(map[string]any)
			if params["server.rootpath"] != m.rootpath || params["server.insecure"] != true {
				t.Errorf("Argo CD's params %v: rootpath must be the route's path without slashes (%q), insecure true (port 80 behind the Gateway)", params, m.rootpath)
			}
			if got := dig(argo.RawValues, "configs", "cm", "url"); got != strings.TrimSuffix(m.url, "/") {
				t.Errorf("Argo CD's url %v, want %s", got, strings.TrimSuffix(m.url, "/"))
			}
		})
	}
}

// TestEveryUIIsRouted: every UI of the shipped catalog has an HTTPS route
// and a certificate it can get, in both modes; and the check fails for a
// UI whose route is removed and for an addon nobody classified.
func TestEveryUIIsRouted(t *testing.T) {
	bin := helmBinary(t)
	for _, pathRouting := range []bool{true, false} {
		t.Run(fmt.Sprintf("path_routing=%v", pathRouting), func(t *testing.T) {
			dir := shippedRepo(t, pathRouting, nil)
			p := buildPlan(t, dir)
			if probs := uiProblems(p, hubObjects(t, bin, dir, p)); len(probs) > 0 {
				t.Errorf("the shipped catalog:\n%s", strings.Join(probs, "\n"))
			}

			dir = shippedRepo(t, pathRouting, map[string]func(string) string{
				"packages/platform-gateway/values.yaml": func(s string) string {
					i := strings.Index(s, "\nuis:\n")
					if i < 0 {
						t.Fatal("platform-gateway's values.yaml has no uis:")
					}
					return s[:i] + "\nuis: {}\n"
				},
				"packages/addons/values.yaml": func(s string) string {
					// Backstage's route to a Service that is not its own.
					s = strings.Replace(s, "service: backstage\n", "service: backstage-portal\n", 1)
					return s + "\nheadlamp:\n  enabled: true\n  namespace: headlamp\n  chartRepository: https://kubernetes-sigs.github.io/headlamp/\n  defaultVersion: \"0.30.0\"\n"
				},
			})
			p = buildPlan(t, dir)
			got := strings.Join(uiProblems(p, hubObjects(t, bin, dir, p)), "\n")
			for _, want := range []string{"argocd: no HTTPRoute on a Gateway sends to argocd/argocd-server:80", "headlamp: chart headlamp is neither in uiCharts nor in notUI",
				"backstage: no HTTPRoute on a Gateway sends to backstage/backstage:7007"} {
				if !strings.Contains(got, want) {
					t.Errorf("problems lack %q:\n%s", want, got)
				}
			}
		})
	}
}

// TestWorkloadGatewayHasNoUIRoutes: a workload cluster that opts into
// platform-gateway gets the Gateway and its issuer but no route to Argo CD,
// which runs on the hub only; the hub's resolution gets them.
func TestWorkloadGatewayHasNoUIRoutes(t *testing.T) {
	dir := shippedRepo(t, true, nil)
	p := buildPlan(t, dir)
	a := p.Catalog.Get("platform-gateway")
	hub := plan.HubCluster(p.Config, p.Catalog)
	workload := catalog.Cluster{Name: "dev-acme-fra", Server: "https://dev-acme-fra.example.test", Labels: map[string]string{}, Annotations: hub.Annotations}
	for k, v := range hub.Labels {
		if k != catalog.LabelHub {
			workload.Labels[k] = v
		}
	}
	for _, c := range []struct {
		cluster catalog.Cluster
		routes  int
	}{{hub, 1}, {workload, 0}} {
		vals, err := catalog.ResolveValues(a.Name, a.ValuesObject, c.cluster)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := helm.Render(filepath.Join(dir, a.Path), a.Release(), a.TargetNamespace(), vals)
		if err != nil {
			t.Fatal(err)
		}
		objs := objects(t, "fleetup", ms)
		gws := routes.Gateways(ofKind(objs, gatewayAPI, "Gateway"))
		if n := len(routes.UIs(gws, ofKind(objs, gatewayAPI, "HTTPRoute"))); n != c.routes || len(gws) != 1 {
			t.Errorf("%s: %d Gateways, %d UI routes, want 1 and %d", c.cluster.Name, len(gws), n, c.routes)
		}
	}
}
