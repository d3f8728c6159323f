package envtest

import (
	"encoding/base64"
	"fmt"
	"maps"
	"os"
	"path/filepath"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsyaml "sigs.k8s.io/yaml"
)

// kustomization is what the environment reads of a provider's
// kustomization.yaml files: the prefix of its objects' names and the
// labels it adds.
type kustomization struct {
	NamePrefix string `json:"namePrefix"`
	Labels     []struct {
		Pairs map[string]string `json:"pairs"`
	} `json:"labels"`
}

func readKustomization(file string) (kustomization, error) {
	var k kustomization
	data, err := os.ReadFile(file)
	if err != nil {
		return k, err
	}
	if err := sigsyaml.Unmarshal(data, &k); err != nil {
		return k, fmt.Errorf("%s: %w", file, err)
	}
	return k, nil
}

func (k kustomization) labels() map[string]string {
	out := map[string]string{}
	for _, l := range k.Labels {
		maps.Copy(out, l.Pairs)
	}
	return out
}

// providerObjects builds, from a Cluster API provider's kustomize config
// directory, what `kustomize build config/default` would install, minus the
// Deployment, RBAC and cert-manager objects a local process does not need:
// its CRDs, with the labels its kustomizations add (the contract labels
// cluster.x-k8s.io/v1beta2 of config/crd, by which the core controllers
// find the version of a provider's kind, and config/default's provider
// label), each multi-version one converting through the manager's webhook
// server on port; and its webhook configurations pointing at that server.
func providerObjects(configDir string, port int, ca []byte) (crds, hooks []*unstructured.Unstructured, err error) {
	def, err := readKustomization(filepath.Join(configDir, "default", "kustomization.yaml"))
	if err != nil {
		return nil, nil, err
	}
	crdK, err := readKustomization(filepath.Join(configDir, "crd", "kustomization.yaml"))
	if err != nil {
		return nil, nil, err
	}
	crdLabels := def.labels()
	maps.Copy(crdLabels, crdK.labels())
	crds, err = dirCRDs(filepath.Join(configDir, "crd", "bases"))
	if err != nil {
		return nil, nil, err
	}
	for _, crd := range crds {
		addLabels(crd, crdLabels)
		if err := withConversionWebhook(crd, port, ca); err != nil {
			return nil, nil, err
		}
	}
	hooks, err = localWebhookConfigs(filepath.Join(configDir, "webhook", "manifests.yaml"), def.NamePrefix, port, ca)
	if err != nil {
		return nil, nil, err
	}
	for _, h := range hooks {
		addLabels(h, def.labels())
	}
	return crds, hooks, nil
}

func addLabels(obj *unstructured.Unstructured, labels map[string]string) {
	l := obj.GetLabels()
	if l == nil {
		l = map[string]string{}
	}
	maps.Copy(l, labels)
	obj.SetLabels(l)
}

// localWebhookConfigs reads a provider's generated webhook configurations
// (config/webhook/manifests.yaml: clientConfig names an in-cluster Service)
// and points each webhook at the manager's server on port instead. The
// configurations get the provider's name prefix, as kustomize gives them,
// so the providers' same-named configurations do not replace each other.
func localWebhookConfigs(file, prefix string, port int, ca []byte) ([]*unstructured.Unstructured, error) {
	objs, err := readKinds(file, "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		o.SetName(prefix + o.GetName())
		hooks, _, err := unstructured.NestedSlice(o.Object, "webhooks")
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", file, o.GetName(), err)
		}
		for i, h := range hooks {
			hook, _ := h.(map[string]any)
			path, _, _ := unstructured.NestedString(hook, "clientConfig", "service", "path")
			if path == "" {
				return nil, fmt.Errorf("%s: webhook %v has no clientConfig.service.path", file, hook["name"])
			}
			hook["clientConfig"] = map[string]any{"url": webhookURL(port, path), "caBundle": base64.StdEncoding.EncodeToString(ca)}
			hooks[i] = hook
		}
		if err := unstructured.SetNestedSlice(o.Object, hooks, "webhooks"); err != nil {
			return nil, err
		}
	}
	if len(objs) == 0 {
		return nil, fmt.Errorf("%s: no webhook configurations", file)
	}
	return objs, nil
}
