package plan

import (
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/config"
)

// TestPlanUIs: the plan lists every UI of the shipped catalog with the URL
// of the config's routing mode, read from the routes the repository's
// charts render for the hub; a chart that cannot render for the hub (the
// keycloak chart without a domain) is a warning with its reason, and the
// plan still stands.
func TestPlanUIs(t *testing.T) {
	dir, _, _ := packagesCopy(t)
	for _, m := range []struct {
		config string
		want   map[string]string
		broken string
	}{
		{"domain: platform.example.org\npath_routing: \"true\"\n", map[string]string{
			"argocd/argocd": "https://platform.example.org/argocd", "keycloak/keycloak": "https://platform.example.org/keycloak",
			"backstage/backstage": "https://platform.example.org/", "argo/argo-workflows": "https://platform.example.org/argo-workflows"}, ""},
		{"domain: platform.example.org\npath_routing: \"false\"\n", map[string]string{
			"argocd/argocd": "https://argocd.platform.example.org/", "keycloak/keycloak": "https://keycloak.platform.example.org/",
			"backstage/backstage": "https://backstage.platform.example.org/", "argo/argo-workflows": "https://argo-workflows.platform.example.org/"}, ""},
		{"path_routing: \"true\"\n", map[string]string{"argocd/argocd": "", "backstage/backstage": "", "argo/argo-workflows": "", "keycloak/keycloak": ""},
			"keycloak (packages/keycloak): render keycloak: execution error at (keycloak/templates/realm-import.yaml"},
	} {
		cfg, err := config.Parse("config.yaml", dir, []byte("repo:\n  url: https://github.com/org/platform\ncluster_name: hub\nregion: eu-central-1\nauto_mode: true\n"+m.config))
		if err != nil {
			t.Fatal(err)
		}
		p := planOf(t, cfg)
		got := map[string]string{}
		for _, u := range p.UIs.UIs {
			got[u.Namespace+"/"+u.Name] = u.URL
		}
		if len(got) != len(m.want) {
			t.Errorf("%s: UIs %v, want %v", m.config, got, m.want)
		}
		for k, v := range m.want {
			if got[k] != v {
				t.Errorf("%s: %s at %q, want %q", m.config, k, got[k], v)
			}
		}
		problems := strings.Join(p.UIs.Problems, "\n")
		if (m.broken == "") != (problems == "") || !strings.Contains(problems, m.broken) {
			t.Errorf("%s: problems %q, want %q", m.config, problems, m.broken)
		}
		var text strings.Builder
		if err := p.WriteText(&text); err != nil {
			t.Fatal(err)
		}
		if m.broken != "" && !strings.Contains(text.String(), "warning: "+m.broken) {
			t.Errorf("plan text lacks the warning:\n%s", text.String())
		}
	}
}
