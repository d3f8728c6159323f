package kube_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/test/envtest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
)

var env *envtest.Env

func TestMain(m *testing.M) {
	os.Exit(envtest.Main(m, envtest.Options{Nodes: 1}, &env))
}

func decode(t *testing.T, s string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := kube.DecodeYAML([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

const crdAndCR = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.test.fleetup.dev
spec:
  group: test.fleetup.dev
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer}
---
apiVersion: test.fleetup.dev/v1
kind: Widget
metadata: {name: w1, namespace: NS}
spec: {size: 3}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm, namespace: NS}
data: {a: "1"}
`

// TestApplyAllCRDThenCR: a custom resource in the same batch as its CRD is
// applied after the CRD is Established and the RESTMapper refreshed; a
// second apply changes nothing.
func TestApplyAllCRDThenCR(t *testing.T) {
	env.Need(t)
	ns := env.Namespace(t)
	c, err := kube.New(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	objs := decode(t, strings.ReplaceAll(crdAndCR, "NS", ns))
	if err := c.ApplyAll(ctx, objs); err != nil {
		t.Fatal(err)
	}
	w, err := c.Get(ctx, decode(t, strings.ReplaceAll(crdAndCR, "NS", ns))[1])
	if err != nil || w == nil {
		t.Fatalf("widget: %v %v", w, err)
	}
	if mf := w.GetManagedFields(); len(mf) == 0 || mf[0].Manager != kube.FieldManager {
		t.Errorf("managed fields %v, want manager %s", mf, kube.FieldManager)
	}
	rv := w.GetResourceVersion()
	if err := c.ApplyAll(ctx, decode(t, strings.ReplaceAll(crdAndCR, "NS", ns))); err != nil {
		t.Fatal(err)
	}
	w2, _ := c.Get(ctx, decode(t, strings.ReplaceAll(crdAndCR, "NS", ns))[1])
	if w2.GetResourceVersion() != rv {
		t.Errorf("second apply changed the widget: %s -> %s", rv, w2.GetResourceVersion())
	}
}

func TestApplyRejectedBySchema(t *testing.T) {
	env.Need(t)
	ns := env.Namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := env.Client.ApplyAll(ctx, decode(t, strings.ReplaceAll(crdAndCR, "NS", ns))); err != nil {
		t.Fatal(err)
	}
	bad := decode(t, strings.ReplaceAll("apiVersion: test.fleetup.dev/v1\nkind: Widget\nmetadata: {name: bad, namespace: NS}\nspec: {size: big}\n", "NS", ns))
	_, err := env.Client.Apply(ctx, bad[0])
	if err == nil || !strings.Contains(err.Error(), "Widget "+ns+"/bad") {
		t.Fatalf("invalid widget applied or error lacks the object: %v", err)
	}
	unknown := decode(t, "apiVersion: nope.fleetup.dev/v1\nkind: Nothing\nmetadata: {name: x}\n")
	if _, err := env.Client.Apply(ctx, unknown[0]); err == nil || !kube.IsNoMatch(errors.Unwrap(err)) && !strings.Contains(err.Error(), "no matches") {
		t.Fatalf("unknown kind: %v", err)
	}
}

// TestWaitForTimesOutWithLastState: a wait that cannot succeed ends at its
// deadline and says what it waited for and what it last saw.
func TestWaitForTimesOutWithLastState(t *testing.T) {
	env.Need(t)
	ns := env.Namespace(t)
	ctx := context.Background()
	if err := env.Client.ApplyAll(ctx, decode(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: "+ns+"}\ndata: {a: \"1\"}\n")); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err := env.Client.WaitFor(wctx, kube.GVR("", "v1", "configmaps"), ns, "cm", "ConfigMap cm to have b", func(o *unstructured.Unstructured) (bool, error) {
		_, ok, _ := unstructured.NestedString(o.Object, "data", "b")
		return ok, nil
	})
	var we *kube.WaitError
	if !errors.As(err, &we) || we.What != "ConfigMap cm to have b" || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if we.LastSeen != "no status yet" {
		t.Errorf("last seen %q", we.LastSeen)
	}
}

// TestWaitForFollowsChangesAndDeletion: the watch sees an update made after
// the wait began, and a deletion.
func TestWaitForFollowsChangesAndDeletion(t *testing.T) {
	env.Need(t)
	ns := env.Namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cms := kube.GVR("", "v1", "configmaps")
	done := make(chan error, 1)
	go func() {
		_, err := env.Client.WaitFor(ctx, cms, ns, "late", "ConfigMap late to say go", func(o *unstructured.Unstructured) (bool, error) {
			if o == nil {
				return false, nil
			}
			v, _, _ := unstructured.NestedString(o.Object, "data", "state")
			if v == "broken" {
				return false, errors.New("state is broken")
			}
			return v == "go", nil
		})
		done <- err
	}()
	for _, state := range []string{"wait", "go"} {
		if err := env.Client.ApplyAll(ctx, decode(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: late, namespace: "+ns+"}\ndata: {state: "+state+"}\n")); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Typed.CoreV1().ConfigMaps(ns).Delete(ctx, "late", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.WaitFor(ctx, cms, ns, "late", "deletion", func(o *unstructured.Unstructured) (bool, error) { return o == nil, nil }); err != nil {
		t.Fatal(err)
	}
	// A condition that fails for good ends the wait at once.
	if err := env.Client.ApplyAll(ctx, decode(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: late, namespace: "+ns+"}\ndata: {state: broken}\n")); err != nil {
		t.Fatal(err)
	}
	_, err := env.Client.WaitFor(ctx, cms, ns, "late", "ConfigMap late to say go", func(o *unstructured.Unstructured) (bool, error) {
		v, _, _ := unstructured.NestedString(o.Object, "data", "state")
		if v == "broken" {
			return false, errors.New("state is broken")
		}
		return v == "go", nil
	})
	if err == nil || !strings.Contains(err.Error(), "state is broken") {
		t.Fatalf("err = %v", err)
	}
}

func TestDecodeYAML(t *testing.T) {
	objs, err := kube.DecodeYAML([]byte("# comment only\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n---\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: c}\n"))
	if err != nil || len(objs) != 3 || objs[2].GetKind() != "Secret" {
		t.Fatalf("%v %v", objs, err)
	}
	if _, err := kube.DecodeYAML([]byte("metadata: {name: x}\n")); err == nil || !strings.Contains(err.Error(), "1:1: no apiVersion or kind") {
		t.Errorf("err = %v", err)
	}
	if _, err := kube.DecodeYAML([]byte("a: [\n")); err == nil {
		t.Error("bad YAML accepted")
	}
}

func TestRESTConfigContext(t *testing.T) {
	env.Need(t)
	if _, err := kube.RESTConfig(env.Kubeconfig, "envtest"); err != nil {
		t.Fatal(err)
	}
	if _, err := kube.RESTConfig(env.Kubeconfig, "nope"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown context: %v", err)
	}
}

// TestRESTConfigEmpty: a kubeconfig with nothing in it says how to give
// one, not client-go's KUBERNETES_MASTER hint.
func TestRESTConfigEmpty(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := kube.RESTConfig(empty, "")
	if err == nil {
		t.Fatal("an empty kubeconfig loaded")
	}
	for _, want := range []string{"no kubeconfig", empty, "--kubeconfig FILE", "target: eks"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "KUBERNETES_MASTER") {
		t.Errorf("client-go's hint shows: %v", err)
	}
}

// TestReachable: the environment's API server answers; a stopped one (a
// port nobody listens on) is reported as unreachable within the wait, with
// its address and the dial error; wrong credentials are told apart.
func TestReachable(t *testing.T) {
	env.Need(t)
	ctx := context.Background()
	if err := env.Client.Reachable(ctx, 10*time.Second); err != nil {
		t.Fatalf("the environment's API server: %v", err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "https://" + l.Addr().String()
	l.Close()
	c, err := kube.New(&rest.Config{Host: dead, BearerToken: "x", TLSClientConfig: rest.TLSClientConfig{Insecure: true}})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Reachable(ctx, 2*time.Second)
	if !errors.Is(err, kube.ErrUnreachable) || !strings.Contains(err.Error(), dead) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("a stopped API server: %v", err)
	}

	wrong := rest.AnonymousClientConfig(env.Client.Config)
	wrong.BearerToken = "not-a-token"
	c, err = kube.New(wrong)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Reachable(ctx, 10*time.Second); !errors.Is(err, kube.ErrUnauthorized) {
		t.Errorf("wrong credentials: %v", err)
	}
}
