package routes

import (
	"reflect"
	"strings"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"
)

// objects reads a YAML stream as users write it.
func objects(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, doc := range strings.Split(s, "\n---\n") {
		var o map[string]any
		if err := sigsyaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatal(err)
		}
		out = append(out, o)
	}
	return out
}

const subdomainGateway = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: platform
  namespace: envoy-gateway-system
  annotations: {cert-manager.io/cluster-issuer: letsencrypt-dns01}
spec:
  gatewayClassName: envoy
  listeners:
    - {name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: All}}}
    - name: https
      protocol: HTTPS
      port: 443
      hostname: "*.platform.example.com"
      tls: {mode: Terminate, certificateRefs: [{name: platform-gateway-tls}]}
      allowedRoutes: {namespaces: {from: All}}
status:
  addresses:
    - {type: Hostname, value: k8s-envoyga-abc.elb.us-west-2.amazonaws.com}
`

func TestUIsSubdomains(t *testing.T) {
	gws := Gateways(objects(t, subdomainGateway))
	if len(gws) != 1 || gws[0].Issuer != "letsencrypt-dns01" || gws[0].Addresses[0] != "k8s-envoyga-abc.elb.us-west-2.amazonaws.com" {
		t.Fatalf("gateways %+v", gws)
	}
	rs := objects(t, `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: argocd, namespace: argocd}
spec:
  parentRefs: [{name: platform, namespace: envoy-gateway-system, sectionName: https}]
  hostnames: [argocd.platform.example.com]
  rules:
    - matches: [{path: {type: PathPrefix, value: /}}]
      backendRefs: [{name: argocd-server, port: 80}]
status:
  parents:
    - parentRef: {name: platform, namespace: envoy-gateway-system, sectionName: https}
      controllerName: gateway.envoyproxy.io/gatewayclass-controller
      conditions: [{type: Accepted, status: "True", reason: Accepted}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: platform-https-redirect, namespace: envoy-gateway-system}
spec:
  parentRefs: [{name: platform, sectionName: http}]
  hostnames: ["*.platform.example.com"]
  rules:
    - filters: [{type: RequestRedirect, requestRedirect: {scheme: https, statusCode: 301}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: cm-acme-http-solver-x7k2p
  namespace: cert-manager
  labels: {acme.cert-manager.io/http01-solver: "true"}
spec:
  parentRefs: [{name: platform, namespace: envoy-gateway-system}]
  hostnames: [platform.example.com]
  rules:
    - matches: [{path: {type: Exact, value: /.well-known/acme-challenge/abc}}]
      backendRefs: [{name: cm-acme-http-solver-x7k2p, port: 8089}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: elsewhere, namespace: apps}
spec:
  parentRefs: [{name: other-gateway}]
  rules: [{backendRefs: [{name: app, port: 8080}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: grafana, namespace: monitoring}
spec:
  parentRefs: [{name: platform, namespace: envoy-gateway-system, sectionName: https}]
  hostnames: [grafana.other.example.org]
  rules: [{backendRefs: [{name: grafana, port: 3000}]}]
status:
  parents:
    - parentRef: {name: platform, namespace: envoy-gateway-system}
      conditions: [{type: Accepted, status: "False", reason: NoMatchingListenerHostname, message: no listener hostname matches}]
`)
	got := UIs(gws, rs)
	want := []UI{{
		Name: "argocd", Namespace: "argocd", URL: "https://argocd.platform.example.com/", Host: "argocd.platform.example.com", Path: "/",
		TLS: true, Gateway: "envoy-gateway-system/platform", Listener: "https", Backends: []string{"argocd/argocd-server:80"}, Accepted: "true",
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("UIs:\n got %+v\nwant %+v", got, want)
	}
}

func TestUIsPathRoutingAndNoDomain(t *testing.T) {
	gws := Gateways(objects(t, `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: platform, namespace: envoy-gateway-system}
spec:
  gatewayClassName: envoy
  listeners:
    - {name: http, protocol: HTTP, port: 8080}
    - {name: https, protocol: HTTPS, port: 443, hostname: platform.example.com}`))
	rs := objects(t, `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: argocd, namespace: argocd}
spec:
  parentRefs: [{name: platform, namespace: envoy-gateway-system}]
  hostnames: [platform.example.com]
  rules:
    - matches: [{path: {type: PathPrefix, value: /argocd}}]
      backendRefs: [{name: argocd-server, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: bare, namespace: envoy-gateway-system}
spec:
  parentRefs: [{name: platform, sectionName: http}]
  rules:
    - matches: [{path: {type: PathPrefix, value: /bare}}]
      backendRefs: [{name: bare, port: 80}]`)
	got := UIs(gws, rs)
	if len(got) != 2 {
		t.Fatalf("UIs %+v", got)
	}
	// No sectionName: attached to both listeners, opened over HTTPS.
	if got[1].URL != "https://platform.example.com/argocd" || got[1].Path != "/argocd" || got[1].Listener != "https" {
		t.Errorf("argocd: %+v", got[1])
	}
	// No hostname anywhere and no address yet: no URL, and why.
	if got[0].Name != "bare" || got[0].URL != "" || !strings.Contains(got[0].Reason, "no address yet") {
		t.Errorf("bare: %+v", got[0])
	}
	gws[0].Addresses = []string{"203.0.113.7"}
	if u := UIs(gws, rs)[0]; u.URL != "http://203.0.113.7:8080/bare" || u.Path != "/bare" || u.TLS {
		t.Errorf("bare with an address: %+v", u)
	}
}

func TestCovers(t *testing.T) {
	for _, c := range []struct {
		listener, host string
		want           bool
	}{
		{"", "anything.example", true},
		{"platform.example.com", "platform.example.com", true},
		{"platform.example.com", "argocd.platform.example.com", false},
		{"*.platform.example.com", "argocd.platform.example.com", true},
		{"*.platform.example.com", "a.b.platform.example.com", true},
		{"*.platform.example.com", "platform.example.com", false},
		{"*.platform.example.com", "xplatform.example.com", false},
		{"*.platform.example.com", "*.platform.example.com", true},
	} {
		if got := Covers(c.listener, c.host); got != c.want {
			t.Errorf("Covers(%q, %q) = %v", c.listener, c.host, got)
		}
	}
}
