package kube

import (
	"context"
	"encoding/json"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
)

// Resource returns the dynamic client for an object's kind, namespaced when
// the kind is, and the mapping it used.
func (c *Client) Resource(obj *unstructured.Unstructured) (dynamic.ResourceInterface, *meta.RESTMapping, error) {
	gvk := obj.GroupVersionKind()
	mapping, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", gvk.Kind, err)
	}
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := obj.GetNamespace()
		if ns == "" {
			ns = "default"
			obj.SetNamespace(ns)
		}
		return c.Dynamic.Resource(mapping.Resource).Namespace(ns), mapping, nil
	}
	obj.SetNamespace("")
	return c.Dynamic.Resource(mapping.Resource), mapping, nil
}

// Apply server-side applies obj under FieldManager, forcing ownership of
// the fields fleetup sets (it is the source of truth for them). It returns
// the object as stored.
func (c *Client) Apply(ctx context.Context, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	ri, _, err := c.Resource(obj)
	if err != nil {
		return nil, fmt.Errorf("apply %s: %w", Describe(obj), err)
	}
	data, err := json.Marshal(obj.Object)
	if err != nil {
		return nil, fmt.Errorf("apply %s: %w", Describe(obj), err)
	}
	force := true
	out, err := ri.Patch(ctx, obj.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: FieldManager, Force: &force})
	if err != nil {
		return nil, fmt.Errorf("apply %s: %w", Describe(obj), err)
	}
	return out, nil
}

// Get reads the current state of obj's identity; nil, nil when absent.
func (c *Client) Get(ctx context.Context, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	ri, _, err := c.Resource(obj)
	if err != nil {
		return nil, err
	}
	out, err := ri.Get(ctx, obj.GetName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", Describe(obj), err)
	}
	return out, nil
}

// Describe names an object for messages: Kind namespace/name.
func Describe(obj *unstructured.Unstructured) string {
	if ns := obj.GetNamespace(); ns != "" {
		return fmt.Sprintf("%s %s/%s", obj.GetKind(), ns, obj.GetName())
	}
	return fmt.Sprintf("%s %s", obj.GetKind(), obj.GetName())
}

// GVR is shorthand for a GroupVersionResource.
func GVR(group, version, resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: group, Version: version, Resource: resource}
}

// Well-known resources.
var (
	CRDs            = GVR("apiextensions.k8s.io", "v1", "customresourcedefinitions")
	Namespaces      = GVR("", "v1", "namespaces")
	Secrets         = GVR("", "v1", "secrets")
	Deployments     = GVR("apps", "v1", "deployments")
	Applications    = GVR("argoproj.io", "v1alpha1", "applications")
	ApplicationSets = GVR("argoproj.io", "v1alpha1", "applicationsets")
)
