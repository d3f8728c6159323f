package handoff

import (
	"reflect"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/decode"
	"github.com/fleetup/fleetup/internal/plan"
)

func TestSummary(t *testing.T) {
	cat := &catalog.Catalog{Addons: []*catalog.Addon{{Name: "argocd", ChartName: "argo-cd"}}}
	for _, c := range []struct {
		name   string
		domain string
		path   bool
		want   []string
	}{
		{"path routing", "platform.example.com", true, []string{
			"Argo CD: https://platform.example.com/argocd", "every UI of the platform with its URL: fleetup urls", "initial admin password: fleetup secrets argocd --show"}},
		{"subdomains", "platform.example.com", false, []string{
			"Argo CD: https://argocd.platform.example.com", "every UI of the platform with its URL: fleetup urls", "initial admin password: fleetup secrets argocd --show"}},
	} {
		p := &plan.Plan{Config: &config.Config{Domain: c.domain, PathRouting: decode.Bool(c.path)}, Catalog: cat}
		if got := Summary(p); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	// No domain: fleetup's own command, never kubectl.
	got := strings.Join(Summary(&plan.Plan{Config: &config.Config{}, Catalog: cat}), "\n")
	if !strings.Contains(got, "fleetup urls") || strings.Contains(got, "kubectl") || strings.Contains(got, "port-forward") {
		t.Errorf("without a domain: %s", got)
	}
}
