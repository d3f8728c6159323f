package kube

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// Established is the Condition "a CRD is Established and its names accepted".
func Established(obj *unstructured.Unstructured) (bool, error) {
	if obj == nil {
		return false, nil
	}
	conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Established" && m["status"] == "True" {
			return true, nil
		}
		if m["type"] == "NamesAccepted" && m["status"] == "False" {
			return false, fmt.Errorf("CRD names not accepted: %v", m["message"])
		}
	}
	return false, nil
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
	for i, doc := range splitYAML(string(data)) {
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

func splitYAML(s string) []string {
	var docs []string
	start := 0
	for i := 0; i <= len(s); {
		end := i
		for end < len(s) && s[end] != '\n' {
			end++
		}
		line := s[i:end]
		if len(line) >= 3 && line[:3] == "---" && trimSpace(line[3:]) == "" {
			docs = append(docs, s[start:i])
			start = end + 1
		}
		i = end + 1
	}
	if start < len(s) {
		docs = append(docs, s[start:])
	}
	return docs
}

func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\r') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}
