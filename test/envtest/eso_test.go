package envtest

import (
	"context"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/kube"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestExternalSecretKubernetesProvider: a ClusterSecretStore over ESO's
// Kubernetes provider validates against the environment's API server and
// an ExternalSecret copies a property into its target Secret.
func TestExternalSecretKubernetesProvider(t *testing.T) {
	env.Need(t)
	ns := env.Namespace(t)
	store := ns + "-store"
	apply(t, fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata: {name: source, namespace: %[1]s}
stringData:
  password: s3cr3t-value
  repo.url: https://github.com/example-org/platform
---
apiVersion: v1
kind: Secret
metadata: {name: reader-token, namespace: %[1]s}
stringData:
  token: %[2]s
---
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata: {name: %[3]s}
spec:
  provider:
    kubernetes:
      remoteNamespace: %[1]s
      server:
        url: %[4]s
        caBundle: %[5]s
      auth:
        token:
          bearerToken: {name: reader-token, key: token, namespace: %[1]s}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: copy, namespace: %[1]s}
spec:
  refreshInterval: 1h
  secretStoreRef: {name: %[3]s, kind: ClusterSecretStore}
  target: {name: copied}
  data:
    - secretKey: pw
      remoteRef: {key: source, property: password}
    - secretKey: url
      remoteRef: {key: source, property: repo.url}
`, ns, env.Token, store, env.Server, base64.StdEncoding.EncodeToString(env.CACert)))
	t.Cleanup(func() {
		_ = env.Client.Dynamic.Resource(kube.GVR("external-secrets.io", "v1", "clustersecretstores")).Delete(context.Background(), store, metav1.DeleteOptions{})
	})
	if _, err := env.Client.WaitFor(ctx(t, 2*time.Minute), kube.GVR("external-secrets.io", "v1", "clustersecretstores"), "", store, "ClusterSecretStore to be Ready", condition("Ready", "True", "")); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.WaitFor(ctx(t, 2*time.Minute), kube.GVR("external-secrets.io", "v1", "externalsecrets"), ns, "copy", "ExternalSecret to be Ready", condition("Ready", "True", "")); err != nil {
		t.Fatal(err)
	}
	got, err := env.Client.WaitFor(ctx(t, time.Minute), kube.Secrets, ns, "copied", "target Secret", func(o *unstructured.Unstructured) (bool, error) { return o != nil, nil })
	if err != nil {
		t.Fatal(err)
	}
	data, _, _ := unstructured.NestedStringMap(got.Object, "data")
	pw, _ := base64.StdEncoding.DecodeString(data["pw"])
	url, _ := base64.StdEncoding.DecodeString(data["url"])
	if string(pw) != "s3cr3t-value" || string(url) != "https://github.com/example-org/platform" {
		t.Errorf("target Secret data = %q, %q", pw, url)
	}
}
