package kube

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// Established is the Condition "a CRD is Established and its names accepted".
func Established(obj *unstructured.Unstructured) (bool, error) {
	if HasCondition(obj, "NamesAccepted", "False", "") {
		return false, fmt.Errorf("CRD %s: names not accepted", obj.GetName())
	}
	return HasCondition(obj, "Established", "True", ""), nil
}

// ApplyAll server-side applies objects in order, except that every CRD goes
// first and is waited for until Established, and the RESTMapper is reset
// before the custom resources that need it.
func (c *Client) ApplyAll(ctx context.Context, objs []*unstructured.Unstructured) error {
	var crds, rest []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "CustomResourceDefinition" && o.GroupVersionKind().Group == "apiextensions.k8s.io" {
			crds = append(crds, o)
		} else {
			rest = append(rest, o)
		}
	}
	for _, o := range crds {
		if _, err := c.Apply(ctx, o); err != nil {
			return err
		}
	}
	for _, o := range crds {
		if _, err := c.WaitFor(ctx, CRDs, "", o.GetName(), "CRD "+o.GetName()+" to be Established", Established); err != nil {
			return err
		}
	}
	if len(crds) > 0 {
		c.ResetMapper()
	}
	for _, o := range rest {
		if _, err := c.Apply(ctx, o); err != nil {
			return err
		}
	}
	return nil
}

// DecodeYAML splits a multi-document YAML stream into objects, dropping
// empty documents and expanding List kinds.
func DecodeYAML(data []byte) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for i, doc := range SplitDocuments(string(data)) {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		if len(m) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		if u.IsList() {
			items, _, _ := unstructured.NestedSlice(m, "items")
			for _, it := range items {
				if im, ok := it.(map[string]any); ok {
					out = append(out, &unstructured.Unstructured{Object: im})
				}
			}
			continue
		}
		if u.GetKind() == "" || u.GetAPIVersion() == "" {
			return nil, fmt.Errorf("document %d: no apiVersion or kind", i+1)
		}
		out = append(out, u)
	}
	return out, nil
}

// SplitDocuments splits at document separators: lines that are "---" alone.
func SplitDocuments(s string) []string {
	var docs []string
	var cur strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		if rest, ok := strings.CutPrefix(line, "---"); ok && strings.TrimSpace(rest) == "" {
			docs = append(docs, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteString(line)
	}
	return append(docs, cur.String())
}
