package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/routes"
)

// TestURLsNotes: what urls tells the user at each stage of a platform that
// is not fully there, and never a kubectl command.
func TestURLsNotes(t *testing.T) {
	withDomain := &config.Config{Domain: "platform.example.com", PathRouting: true}
	gw := routes.Gateway{Namespace: "envoy-gateway-system", Name: "platform", Addresses: []string{}}
	argo := routes.UI{Name: "argocd", Namespace: "argocd", URL: "https://platform.example.com/argocd", Path: "/argocd", TLS: true,
		Gateway: gw.Key(), Listener: "https", Backends: []string{"argocd/argocd-server:80"}}
	for _, c := range []struct {
		name  string
		cfg   *config.Config
		found routes.Found
		want  []string
	}{
		{"no Gateway API", withDomain, routes.Found{}, []string{"the cluster has no Gateway API yet (envoy-gateway installs it)", "fleetup status"}},
		{"no Gateway", withDomain, routes.Found{GatewayAPI: true}, []string{"the cluster has no Gateway yet (the platform-gateway addon makes it)"}},
		{"no route", withDomain, routes.Found{GatewayAPI: true, Gateways: []routes.Gateway{gw}},
			[]string{"no HTTPRoute to a Service is attached to Gateway envoy-gateway-system/platform yet"}},
		{"no address", withDomain, routes.Found{GatewayAPI: true, Gateways: []routes.Gateway{gw}, UIs: []routes.UI{argo}},
			[]string{"Gateway envoy-gateway-system/platform has no address yet", "argocd login <host> --grpc-web --grpc-web-root-path argocd"}},
		{"no domain", &config.Config{PathRouting: true}, routes.Found{GatewayAPI: true, Gateways: []routes.Gateway{gw}},
			[]string{"config.yaml sets no domain", "http://<the Gateway's address>/argocd"}},
	} {
		rep := urlsReport(c.cfg, "argocd", c.found)
		var out bytes.Buffer
		if err := (&URLs{Global: &Global{Output: "text"}}).print(&out, rep); err != nil {
			t.Fatal(err)
		}
		for _, w := range c.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s: output lacks %q:\n%s", c.name, w, out.String())
			}
		}
		if strings.Contains(out.String(), "kubectl") {
			t.Errorf("%s: output names kubectl:\n%s", c.name, out.String())
		}
	}
	// Routed and addressed: the table and no note about what is missing.
	gw.Addresses = []string{"k8s-envoyga-abc.elb.us-west-2.amazonaws.com"}
	rep := urlsReport(withDomain, "argocd", routes.Found{GatewayAPI: true, Gateways: []routes.Gateway{gw}, UIs: []routes.UI{argo}})
	if len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], "--grpc-web") {
		t.Errorf("notes of a routed platform: %q", rep.Notes)
	}
}
