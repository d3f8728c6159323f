package helm_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/catalog"
	"github.com/fleetup/fleetup/internal/helm"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/test/envtest"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var env *envtest.Env

func TestMain(m *testing.M) {
	os.Exit(envtest.Main(m, envtest.Options{Nodes: 1}, &env))
}

// TestUninstallKeepsCRDs: a release fleetup installed is labelled as its
// own, reports the CRDs among its templates, and its uninstall removes
// everything but those CRDs when asked to keep them; a second uninstall
// finds nothing to do.
func TestUninstallKeepsCRDs(t *testing.T) {
	env.Need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := env.Namespace(t)
	dir := chartDir(t, "crdchart", "0.1.0")
	crd := "gadgets." + ns + ".fleetup.dev"
	os.WriteFile(filepath.Join(dir, "templates", "crd.yaml"), []byte(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: `+crd+`}
spec:
  group: `+ns+`.fleetup.dev
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
    - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}
`), 0o644)
	r := &helm.Releaser{Config: env.Config, CacheDir: t.TempDir()}
	spec := helm.Spec{Name: "rel", Namespace: ns, Source: catalog.Source{Kind: catalog.SourceGitChart, Path: "crdchart"}, RepoRoot: filepath.Dir(dir), Timeout: time.Minute}
	if _, err := r.Apply(ctx, spec); err != nil {
		t.Fatal(err)
	}
	info, err := r.Get(ctx, "rel", ns)
	if err != nil || info == nil || !info.Owned || len(info.CRDs) != 1 || info.CRDs[0] != crd {
		t.Fatalf("release info: %+v, %v", info, err)
	}
	if err := r.Uninstall(ctx, "rel", ns, helm.UninstallOptions{KeepCRDs: true, Timeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.Typed.CoreV1().ConfigMaps(ns).Get(ctx, "x", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the release's ConfigMap survived: %v", err)
	}
	if _, err := env.Client.Dynamic.Resource(kube.CRDs).Get(ctx, crd, metav1.GetOptions{}); err != nil {
		t.Errorf("the kept CRD is gone: %v", err)
	}
	if info, err := r.Get(ctx, "rel", ns); info != nil || err != nil {
		t.Errorf("release record after uninstall: %+v, %v", info, err)
	}
	if err := r.Uninstall(ctx, "rel", ns, helm.UninstallOptions{KeepCRDs: true, Timeout: time.Minute}); err != nil {
		t.Errorf("second uninstall: %v", err)
	}
	env.Client.Dynamic.Resource(kube.CRDs).Delete(ctx, crd, metav1.DeleteOptions{})
}
