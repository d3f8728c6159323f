package envtest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestProviderObjects reads the real kustomize config of Cluster API's
// docker provider from the module cache: every CRD carries the contract
// labels and the provider label, every CRD serving two versions converts
// through the manager on the given port, and every webhook of the
// prefixed configurations calls that port on 127.0.0.1 with the CA.
func TestProviderObjects(t *testing.T) {
	dir, err := ModuleDir(context.Background(), "sigs.k8s.io/cluster-api/test", parseVersions()["CLUSTER_API_VERSION"])
	if err != nil {
		t.Skipf("the Cluster API test module is not available: %v", err)
	}
	ca := []byte("-----BEGIN CERTIFICATE-----\ntest\n-----END CERTIFICATE-----\n")
	caB64 := base64.StdEncoding.EncodeToString(ca)
	crds, hooks, err := providerObjects(filepath.Join(dir, "infrastructure", "docker", "config"), 21443, ca)
	if err != nil {
		t.Fatal(err)
	}
	converting := 0
	for _, crd := range crds {
		l := crd.GetLabels()
		if l["cluster.x-k8s.io/v1beta2"] != "v1beta2" || l["cluster.x-k8s.io/provider"] != "infrastructure-docker" {
			t.Errorf("CRD %s labels %v: want the contract and provider labels", crd.GetName(), l)
		}
		versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
		strategy, _, _ := unstructured.NestedString(crd.Object, "spec", "conversion", "strategy")
		url, _, _ := unstructured.NestedString(crd.Object, "spec", "conversion", "webhook", "clientConfig", "url")
		bundle, _, _ := unstructured.NestedString(crd.Object, "spec", "conversion", "webhook", "clientConfig", "caBundle")
		switch {
		case len(versions) > 1:
			converting++
			if strategy != "Webhook" || url != "https://127.0.0.1:21443/convert" || bundle != caB64 {
				t.Errorf("CRD %s (%d versions): conversion %s %s, want the webhook on 127.0.0.1:21443 with the CA", crd.GetName(), len(versions), strategy, url)
			}
		case strategy != "":
			t.Errorf("CRD %s has one version and conversion %q", crd.GetName(), strategy)
		}
	}
	if len(crds) < 8 || converting == 0 {
		t.Fatalf("%d CRDs, %d converting: the DevCluster/DevMachine CRDs and templates are missing", len(crds), converting)
	}
	names := map[string]bool{}
	for _, h := range hooks {
		names[h.GetName()] = true
		list, _, _ := unstructured.NestedSlice(h.Object, "webhooks")
		if len(list) == 0 {
			t.Errorf("%s has no webhooks", h.GetName())
		}
		for _, w := range list {
			cc, _, _ := unstructured.NestedMap(w.(map[string]any), "clientConfig")
			url, _ := cc["url"].(string)
			if !strings.HasPrefix(url, "https://127.0.0.1:21443/") || cc["caBundle"] != caB64 || cc["service"] != nil {
				t.Errorf("%s: webhook %v calls %v", h.GetName(), w.(map[string]any)["name"], cc)
			}
		}
	}
	if !names["capd-mutating-webhook-configuration"] || !names["capd-validating-webhook-configuration"] {
		t.Errorf("webhook configurations %v, want capd-mutating- and capd-validating-webhook-configuration", names)
	}
}

// TestServingCert: a TLS server with the written certificate is trusted by
// a client that has the returned PEM as its only root, at 127.0.0.1.
func TestServingCert(t *testing.T) {
	dir := t.TempDir()
	ca, err := writeServingCert(dir)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	defer srv.Close()
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(ca) {
		t.Fatal("the returned certificate is not PEM")
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	resp, err := client.Get(srv.URL) // https://127.0.0.1:port
	if err != nil {
		t.Fatalf("a client trusting the CA bundle: %v", err)
	}
	resp.Body.Close()
}

// TestInMemoryPortsLock: a second environment waits for the first one's
// lock, and gets it once the first stops.
func TestInMemoryPortsLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "capd.lock")
	first, second := &Env{log: io.Discard}, &Env{log: io.Discard}
	if err := first.lockInMemoryPorts(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := second.lockInMemoryPorts(short, path); err == nil || !strings.Contains(err.Error(), "another test environment") {
		t.Fatalf("second lock while the first holds it: %v, want a wait that ends with ctx", err)
	}
	got := make(chan error, 1)
	go func() { got <- second.lockInMemoryPorts(context.Background(), path) }()
	for _, c := range first.closers { // what Stop does after the processes
		_ = c()
	}
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the second environment did not get the lock after the first released it")
	}
	for _, c := range second.closers {
		_ = c()
	}
}
