package catalog

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/decode"
)

const cnoeBase = "repo:\n  url: https://github.com/org/platform\ncluster_name: hub\nregion: us-west-2\nauto_mode: false\n"

func cnoeGraphBlock(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/cnoe/graph.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func loadCNOE(t *testing.T, block string) (*Catalog, error) {
	t.Helper()
	root, err := filepath.Abs("testdata/cnoe")
	if err != nil {
		t.Fatal(err)
	}
	return load(t, root, cnoeBase+block)
}

// config.yaml's addons block gives a fork's catalog CNOE's addon graph
// without editing the fork.
func TestCNOEGraphFromConfig(t *testing.T) {
	c, err := loadCNOE(t, cnoeGraphBlock(t))
	if err != nil {
		t.Fatal(err)
	}
	g, err := c.Graph()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"external-secrets"},
		{"argocd"},
		{"aws-load-balancer-controller", "cert-manager", "crossplane", "external-dns", "keycloak"},
		{"crossplane-upbound-providers", "ingress-nginx"},
		{"argo-workflows", "backstage", "crossplane-compositions"},
	}
	got := g.Levels()
	for _, l := range got {
		slices.Sort(l)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("levels\n got %v\nwant %v", got, want)
	}
	if d := g.Deps("backstage"); !reflect.DeepEqual(sorted(d), []string{"cert-manager", "external-dns", "ingress-nginx", "keycloak"}) {
		t.Errorf("backstage waits for %v", d)
	}
	if cg := c.Get("cert-manager").CRDGroups; !reflect.DeepEqual(cg, []string{"cert-manager.io", "acme.cert-manager.io"}) {
		t.Errorf("cert-manager crdGroups %v", cg)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// Errors in the block point at config.yaml, not at the catalog.
func TestCNOEGraphErrors(t *testing.T) {
	for _, tc := range []struct{ block, path, want string }{
		{"addons:\n  backstage:\n    depends_on: [keycloak, keycloack]\n", "addons.backstage.depends_on[1]", "keycloak"},
		{"addons:\n  argocd:\n    depends_on: [backstage]\n  backstage:\n    depends_on: [argocd]\n", "depends_on", "cycle"},
		{"addons:\n  cert-manager:\n    crd_groups: [Certificates.cert-manager.io/v1]\n", "addons.cert-manager.crd_groups[0]", "API group"},
		{"addons:\n  keycloak:\n    stateful:\n      pvc_selector: {}\n", "addons.keycloak.stateful.pvc_selector", "empty"},
	} {
		c, err := loadCNOE(t, tc.block)
		if err == nil {
			_, err = c.Graph()
		}
		var de *decode.Error
		if !errors.As(err, &de) {
			var errs decode.Errors
			if errors.As(err, &errs) && len(errs) > 0 {
				de = errs[0]
			}
		}
		if de == nil || de.File != "config.yaml" || de.Line < 6 || !strings.Contains(de.Path, tc.path) || !strings.Contains(de.Error(), tc.want) {
			t.Errorf("%q: error %v", tc.block, err)
		}
	}
}

// The block in docs/cnoe.md is the one tested here.
func TestCNOEDocBlock(t *testing.T) {
	doc, err := os.ReadFile("../../docs/cnoe.md")
	if err != nil {
		t.Fatal(err)
	}
	block := cnoeGraphBlock(t)
	body := block[strings.Index(block, "addons:"):]
	if !strings.Contains(string(doc), body) {
		t.Errorf("docs/cnoe.md does not hold testdata/cnoe/graph.yaml's addons block")
	}
}

// The fork at /tmp/cnoe, when present, takes the same block.
func TestCNOEForkTakesGraph(t *testing.T) {
	const file = "/tmp/cnoe/config.yaml"
	if _, err := os.Stat(file); err != nil {
		t.Skip("no CNOE fork at /tmp/cnoe")
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(file, "/tmp/cnoe", append(data, []byte("\n"+cnoeGraphBlock(t))...))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Graph(); err != nil {
		t.Fatal(err)
	}
}
