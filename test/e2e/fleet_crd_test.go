package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fleetup/fleetup/internal/fleet/chart"
	"github.com/fleetup/fleetup/internal/helm"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/test/envtest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	sigsyaml "sigs.k8s.io/yaml"
)

// fleetRepo is the repository with the shipped fleet/ and the chart.
const fleetRepo = "../.."

// TestFleetCRD: every object the fleet chart renders for the example's
// clusters (in-memory and eks) is accepted by the real CRDs of Cluster API
// v1.14, its docker provider, CAPA v2.13 and External Secrets, by a
// server-side apply dry run with strict field validation (an unknown field
// is an error, not a warning). A wrong value and a misspelt field are
// refused, so the schemas are in force. Then the registration is applied
// for real: External Secrets makes the Argo CD cluster secret from a
// kubeconfig Secret written as Cluster API (certificates) and CAPA (a
// token, which must not be copied) write theirs.
func TestFleetCRD(t *testing.T) {
	env.Need(t)
	ctx := timeout(t, 5*time.Minute)
	begin := time.Now()
	if err := env.InstallCRDs(ctx, envtest.ClusterAPICRDs()...); err != nil {
		t.Fatal(err)
	}
	t.Logf("Cluster API and CAPA CRDs established in %v", time.Since(begin).Round(time.Millisecond))

	for _, example := range []string{"dev-acme-fra", "prod-acme-fra", "prod-globex-iad"} {
		t.Run(example, func(t *testing.T) {
			c := renderExampleAs(t, example)
			var failed int
			for _, m := range c.manifests {
				if err := dryRunApply(ctx, m.Object); err != nil {
					failed++
					t.Errorf("%s %s/%s refused: %v", m.Kind, m.Namespace, m.Name, err)
				}
			}
			t.Logf("%d objects accepted", len(c.manifests)-failed)
			refusesWrongObjects(ctx, t, c.manifests)
			if example != "prod-globex-iad" { // its registration is prod-acme-fra's
				registerForReal(ctx, t, c)
			}
		})
	}
}

// exampleCluster is an example cluster rendered under a test namespace's
// name, with its registration in a second test namespace.
type exampleCluster struct {
	name, argoNS, flavour string
	manifests             []helm.Manifest
}

// renderExampleAs renders the example cluster as a cluster named after a
// fresh test namespace (a cluster's objects live in the namespace of its
// name), with the same profile, layers and overrides, and registered in
// another test namespace against the test API server.
func renderExampleAs(t *testing.T, example string) exampleCluster {
	t.Helper()
	name, argoNS := env.Namespace(t), env.Namespace(t)
	root := t.TempDir()
	for _, dir := range []string{"fleet", "packages/fleet-cluster"} {
		if err := os.CopyFS(filepath.Join(root, dir), os.DirFS(filepath.Join(fleetRepo, dir))); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(filepath.Join(root, "fleet", "clusters", example+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]any
	if err := sigsyaml.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	file["name"] = name
	overrides, _ := file["overrides"].(map[string]any)
	if overrides == nil {
		overrides = map[string]any{}
	}
	overrides["registration"] = map[string]any{"argocdNamespace": argoNS, "store": map[string]any{"server": env.Server}}
	file["overrides"] = overrides
	if data, err = sigsyaml.Marshal(file); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "fleet", "clusters", name+".yaml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	c, ms := envtest.RenderFleetCluster(t, root, name, &chart.Platform{RepoURL: "https://git.example.test/platform", Revision: "main", BasePath: "packages"})
	flavour, _ := c.Effective.Get("provider", "flavour").Leaf.(string)
	return exampleCluster{name: name, argoNS: argoNS, flavour: flavour, manifests: ms}
}

func dryRunApply(ctx context.Context, obj map[string]any) error { return env.DryRunApply(ctx, obj) }

// refusesWrongObjects: the same objects with a value outside the CRD's
// enum and a field the CRD does not know are refused.
func refusesWrongObjects(ctx context.Context, t *testing.T, ms []helm.Manifest) {
	t.Helper()
	edits := map[string]struct {
		path  []string
		value any
		want  string
	}{
		"AWSManagedMachinePool": {[]string{"spec", "capacityType"}, "sometimes", "Unsupported value"},
		"KubeadmControlPlane":   {[]string{"spec", "kubeadmConfigSpec", "format"}, "shell", "Unsupported value"},
		"Cluster":               {[]string{"spec", "infrastructureRef", "apiVersion"}, "v1", "field not declared in schema"},
		"ExternalSecret":        {[]string{"spec", "target", "template", "engineVersion"}, "v1", "Unsupported value"},
	}
	checked := 0
	for _, m := range ms {
		e, ok := edits[m.Kind]
		if !ok {
			continue
		}
		delete(edits, m.Kind)
		obj := (&unstructured.Unstructured{Object: m.Object}).DeepCopy()
		if err := unstructured.SetNestedField(obj.Object, e.value, e.path...); err != nil {
			t.Fatal(err)
		}
		err := dryRunApply(ctx, obj.Object)
		if err == nil || !strings.Contains(err.Error(), e.want) {
			t.Errorf("%s with %s=%v: %v, want an error with %q", m.Kind, strings.Join(e.path, "."), e.value, err, e.want)
		}
		checked++
	}
	if checked < 3 {
		t.Errorf("only %d wrong objects checked", checked)
	}
}

// registerForReal applies the registration objects and a kubeconfig
// Secret as Cluster API or CAPA writes it, and waits for External Secrets
// to make the Argo CD cluster secret.
func registerForReal(ctx context.Context, t *testing.T, c exampleCluster) {
	t.Helper()
	const token = "k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8_fleet-test-token"
	ca := []byte("-----BEGIN CERTIFICATE-----\nMIIBregistration-test-ca\n-----END CERTIFICATE-----\n")
	user := &clientcmdapi.AuthInfo{Token: token}
	if c.flavour != "eks" {
		user = &clientcmdapi.AuthInfo{ClientCertificateData: []byte("client-cert"), ClientKeyData: []byte("client-key")}
	}
	server := "https://" + c.name + ".example.test:6443"
	kc, err := clientcmd.Write(clientcmdapi.Config{
		Clusters:       map[string]*clientcmdapi.Cluster{c.name: {Server: server, CertificateAuthorityData: ca}},
		AuthInfos:      map[string]*clientcmdapi.AuthInfo{c.name + "-admin": user},
		Contexts:       map[string]*clientcmdapi.Context{c.name + "-admin@" + c.name: {Cluster: c.name, AuthInfo: c.name + "-admin"}},
		CurrentContext: c.name + "-admin@" + c.name,
	})
	if err != nil {
		t.Fatal(err)
	}
	secret := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret", "type": "cluster.x-k8s.io/secret",
		"metadata":   map[string]any{"name": c.name + "-kubeconfig", "namespace": c.name, "labels": map[string]any{"cluster.x-k8s.io/cluster-name": c.name}},
		"stringData": map[string]any{"value": string(kc)},
	}}
	if _, err := env.Client.Apply(ctx, secret); err != nil {
		t.Fatal(err)
	}
	for _, m := range c.manifests {
		switch m.Kind {
		case "ServiceAccount", "Role", "RoleBinding", "SecretStore", "ExternalSecret":
			if _, err := env.Client.Apply(ctx, &unstructured.Unstructured{Object: m.Object}); err != nil {
				t.Fatal(err)
			}
		}
	}
	name := "fleet-" + c.name
	waitCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	got, err := env.Client.WaitFor(waitCtx, kube.GVR("", "v1", "secrets"), c.argoNS, name, "Argo CD cluster secret "+name,
		func(u *unstructured.Unstructured) (bool, error) { return u != nil, nil })
	if err != nil {
		for _, kind := range []string{"secretstores", "externalsecrets"} {
			o, _ := env.Client.Dynamic.Resource(kube.GVR("external-secrets.io", "v1", kind)).Namespace(c.argoNS).Get(context.Background(), name, metav1.GetOptions{})
			if o != nil {
				t.Logf("%s %s: %s", kind, name, kube.Summary(o))
			}
		}
		t.Fatal(err)
	}
	checkClusterSecret(t, c, got, server, ca, token)
}

func checkClusterSecret(t *testing.T, c exampleCluster, s *unstructured.Unstructured, server string, ca []byte, token string) {
	t.Helper()
	labels := s.GetLabels()
	for k, v := range map[string]string{
		"argocd.argoproj.io/secret-type": "cluster", "clusterName": c.name, "fleetup.dev/cluster": c.name,
		"app.kubernetes.io/managed-by": "fleetup", "enable_cert_manager": "true", "enable_external_dns": "false",
	} {
		if labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, labels[k], v)
		}
	}
	data := map[string]string{}
	raw, _, _ := unstructured.NestedStringMap(s.Object, "data")
	for k, v := range raw {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			t.Fatalf("data %s: %v", k, err)
		}
		data[k] = string(b)
	}
	if data["name"] != c.name || data["server"] != server {
		t.Errorf("name %q server %q", data["name"], data["server"])
	}
	if strings.Contains(fmt.Sprint(data), token) {
		t.Error("the cluster secret holds CAPA's token")
	}
	var cfg struct {
		AWSAuthConfig *struct {
			ClusterName string `json:"clusterName"`
			RoleARN     string `json:"roleARN"`
		} `json:"awsAuthConfig"`
		TLSClientConfig struct {
			CAData   []byte `json:"caData"`
			CertData []byte `json:"certData"`
		} `json:"tlsClientConfig"`
	}
	if err := json.Unmarshal([]byte(data["config"]), &cfg); err != nil {
		t.Fatalf("config: %v", err)
	}
	if string(cfg.TLSClientConfig.CAData) != string(ca) {
		t.Errorf("caData %q", cfg.TLSClientConfig.CAData)
	}
	switch c.flavour {
	case "eks":
		if cfg.AWSAuthConfig == nil || cfg.AWSAuthConfig.ClusterName != c.name || !strings.HasPrefix(cfg.AWSAuthConfig.RoleARN, "arn:aws:iam::") {
			t.Errorf("awsAuthConfig %+v", cfg.AWSAuthConfig)
		}
	default:
		if cfg.AWSAuthConfig != nil || string(cfg.TLSClientConfig.CertData) != "client-cert" {
			t.Errorf("config %s", data["config"])
		}
	}
	var keys map[string]any
	_ = json.Unmarshal([]byte(data["config"]), &keys)
	t.Logf("External Secrets made %s/%s: server %s, config with %v", s.GetNamespace(), s.GetName(), data["server"], slices.Sorted(maps.Keys(keys)))
}
