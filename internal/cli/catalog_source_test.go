package cli

import (
	"testing"

	"github.com/fleetup/fleetup/internal/catalog"
)

// The SOURCE column names where each kind of source is read from: a Git
// repository of the addon's own by its URL, not only its directory.
func TestSourceText(t *testing.T) {
	for _, c := range []struct {
		src  catalog.Source
		want string
	}{
		{catalog.Source{Kind: catalog.SourceHelmRepo, URL: "https://charts.example.com", Chart: "web"}, "https://charts.example.com web"},
		{catalog.Source{Kind: catalog.SourceOCI, URL: "oci://registry.example.com/charts/", Chart: "gw"}, "oci://registry.example.com/charts/gw"},
		{catalog.Source{Kind: catalog.SourceGit, URL: "https://github.com/keycloak/keycloak-k8s-resources", Path: "kubernetes"}, "https://github.com/keycloak/keycloak-k8s-resources kubernetes"},
		{catalog.Source{Kind: catalog.SourceGit, URL: "https://github.com/org/op"}, "https://github.com/org/op"},
		{catalog.Source{Kind: catalog.SourceGitChart, Path: "packages/keycloak"}, "packages/keycloak"},
	} {
		if got := sourceText(c.src); got != c.want {
			t.Errorf("sourceText(%+v) = %q, want %q", c.src, got, c.want)
		}
	}
}
