package kube

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

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
	if meta.IsNoMatchError(err) {
		// The kind may have been installed since discovery was cached.
		c.Mapper.Reset()
		mapping, err = c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
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
	return c.ApplyAs(ctx, obj, FieldManager)
}

// ApplyAs is Apply under another field manager, for fields fleetup owns
// separately (the addon switches on the cluster secret), so that applying
// the rest never removes them.
func (c *Client) ApplyAs(ctx context.Context, obj *unstructured.Unstructured, manager string) (*unstructured.Unstructured, error) {
	obj = obj.DeepCopy()
	stringDataToData(obj)
	if obj.GetKind() == "Namespace" && obj.GetAPIVersion() == "v1" {
		// An uninstall just before may have left it terminating, and
		// nothing can be created in it until it is gone.
		if err := c.WaitNotTerminating(ctx, obj); err != nil {
			return nil, fmt.Errorf("apply %s: %w", Describe(obj), err)
		}
	}
	ri, _, err := c.Resource(obj)
	if err != nil {
		return nil, fmt.Errorf("apply %s: %w", Describe(obj), err)
	}
	data, err := json.Marshal(obj.Object)
	if err != nil {
		return nil, fmt.Errorf("apply %s: %w", Describe(obj), err)
	}
	force := true
	out, err := ri.Patch(ctx, obj.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: manager, Force: &force})
	if err != nil {
		return nil, fmt.Errorf("apply %s: %w", Describe(obj), err)
	}
	return out, nil
}

// stringDataToData moves a Secret's stringData into data (base64): the
// server never stores stringData, so applying it would count as a change on
// every run.
func stringDataToData(obj *unstructured.Unstructured) {
	if obj.GetAPIVersion() != "v1" || obj.GetKind() != "Secret" {
		return
	}
	sd, ok := obj.Object["stringData"].(map[string]any)
	if !ok {
		return
	}
	data, _ := obj.Object["data"].(map[string]any)
	if data == nil {
		data = map[string]any{}
	}
	for k, v := range sd {
		s, _ := v.(string)
		data[k] = base64.StdEncoding.EncodeToString([]byte(s))
	}
	obj.Object["data"] = data
	delete(obj.Object, "stringData")
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

// Change says what an apply did.
type Change string

// Changes.
const (
	Created   Change = "created"
	Updated   Change = "updated"
	Unchanged Change = "unchanged"
)

// ApplyChange applies obj and reports whether it was created, updated or
// left unchanged (same resourceVersion before and after).
func (c *Client) ApplyChange(ctx context.Context, obj *unstructured.Unstructured) (Change, error) {
	before, err := c.Get(ctx, obj.DeepCopy())
	if err != nil && !IsNoMatch(err) {
		return "", err
	}
	after, err := c.Apply(ctx, obj)
	if err != nil {
		return "", err
	}
	switch {
	case before == nil:
		return Created, nil
	case before.GetResourceVersion() == after.GetResourceVersion():
		return Unchanged, nil
	}
	return Updated, nil
}

// Counts tallies changes for a summary line.
type Counts map[Change]int

// String is "2 created, 1 unchanged".
func (c Counts) String() string {
	var parts []string
	for _, k := range []Change{Created, Updated, Unchanged} {
		if c[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c[k], k))
		}
	}
	if len(parts) == 0 {
		return "nothing to do"
	}
	return strings.Join(parts, ", ")
}

// Changed reports whether anything was created or updated.
func (c Counts) Changed() bool { return c[Created]+c[Updated] > 0 }
