package kube

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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
