package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// Deletion says what DeleteOwned found and did.
type Deletion string

// Results of DeleteOwned.
const (
	Absent   Deletion = "absent"   // nothing of that name
	Foreign  Deletion = "foreign"  // exists without the owner label: left alone
	Deleting Deletion = "deleting" // already being deleted (finalizers pending)
	Deleted  Deletion = "deleted"  // delete request accepted now
)

// ManagedLabel, set to "true", marks what fleetup created: objects, Helm
// release records, kind nodes. It is defined here, the lowest package that
// needs it, so every other one uses the same key.
const ManagedLabel = "fleetup.dev/managed"

// Owner is the label that marks an object as created by fleetup.
type Owner struct{ Key, Value string }

// Ownership decides whether an object is fleetup's to delete.
type Ownership interface {
	Owns(obj *unstructured.Unstructured) bool
}

// Owns reports whether obj carries the owner label.
func (o Owner) Owns(obj *unstructured.Unstructured) bool {
	return obj != nil && obj.GetLabels()[o.Key] == o.Value
}

// DeleteOwned deletes obj's identity if it carries the owner label. The
// delete is conditional on the UID read, so an object replaced in between
// by someone else's is never deleted. propagation is Background unless
// given (Orphan keeps dependants).
func (c *Client) DeleteOwned(ctx context.Context, obj *unstructured.Unstructured, owner Ownership, propagation metav1.DeletionPropagation) (Deletion, error) {
	cur, err := c.Get(ctx, obj)
	if err != nil {
		return "", err
	}
	if cur == nil {
		return Absent, nil
	}
	if !owner.Owns(cur) {
		return Foreign, nil
	}
	if cur.GetDeletionTimestamp() != nil && propagation != metav1.DeletePropagationOrphan {
		return Deleting, nil
	}
	if propagation == "" {
		propagation = metav1.DeletePropagationBackground
	}
	ri, _, err := c.Resource(obj.DeepCopy())
	if err != nil {
		return "", err
	}
	uid := cur.GetUID()
	err = ri.Delete(ctx, cur.GetName(), metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}, PropagationPolicy: &propagation})
	switch {
	case apierrors.IsNotFound(err):
		return Absent, nil
	case apierrors.IsConflict(err):
		// Replaced since the read: judge the new object on the next run.
		return Foreign, nil
	case err != nil:
		return "", fmt.Errorf("delete %s: %w", Describe(cur), err)
	}
	return Deleted, nil
}

// WaitGone waits, with a watch, until obj's identity no longer exists.
func (c *Client) WaitGone(ctx context.Context, obj *unstructured.Unstructured) error {
	_, m, err := c.Resource(obj.DeepCopy())
	if err != nil {
		if IsNoMatch(err) {
			return nil // its kind is gone, so is it
		}
		return err
	}
	_, err = c.WaitFor(ctx, m.Resource, obj.GetNamespace(), obj.GetName(), Describe(obj)+" to be deleted", func(o *unstructured.Unstructured) (bool, error) {
		return o == nil, nil
	})
	return err
}

// RemoveFinalizers removes the given finalizers from obj (all of them when
// none is named) and returns those it removed. The patch is conditional on
// the resourceVersion read, so a concurrent change is not overwritten; on
// a conflict (controllers such as Argo CD's write status often) it reads
// the object again and retries.
func (c *Client) RemoveFinalizers(ctx context.Context, obj *unstructured.Unstructured, names ...string) ([]string, error) {
	for attempt := 0; ; attempt++ {
		removed, err := c.removeFinalizers(ctx, obj, names)
		if err == nil || !apierrors.IsConflict(err) || attempt == 4 {
			return removed, err
		}
	}
}

func (c *Client) removeFinalizers(ctx context.Context, obj *unstructured.Unstructured, names []string) ([]string, error) {
	cur, err := c.Get(ctx, obj)
	if err != nil || cur == nil {
		return nil, err
	}
	var keep, removed []string
	for _, f := range cur.GetFinalizers() {
		if len(names) == 0 || slices.Contains(names, f) {
			removed = append(removed, f)
		} else {
			keep = append(keep, f)
		}
	}
	if len(removed) == 0 {
		return nil, nil
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"finalizers":      keep,
		"resourceVersion": cur.GetResourceVersion(),
	}})
	if err != nil {
		return nil, err
	}
	ri, _, err := c.Resource(cur.DeepCopy())
	if err != nil {
		return nil, err
	}
	if _, err := ri.Patch(ctx, cur.GetName(), types.MergePatchType, patch, metav1.PatchOptions{FieldManager: FieldManager}); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("remove finalizers %v of %s: %w", removed, Describe(cur), err)
	}
	return removed, nil
}

// AddFinalizer adds a finalizer to obj, conditional on the resourceVersion
// read.
func (c *Client) AddFinalizer(ctx context.Context, obj *unstructured.Unstructured, name string) error {
	fin := append(slices.Clone(obj.GetFinalizers()), name)
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"finalizers": fin, "resourceVersion": obj.GetResourceVersion()}})
	if err != nil {
		return err
	}
	ri, _, err := c.Resource(obj.DeepCopy())
	if err != nil {
		return err
	}
	if _, err := ri.Patch(ctx, obj.GetName(), types.MergePatchType, patch, metav1.PatchOptions{FieldManager: FieldManager}); err != nil {
		return fmt.Errorf("add finalizer %s to %s: %w", name, Describe(obj), err)
	}
	return nil
}

// Label sets one label on obj (a merge patch, conditional on the version
// read) and returns the object as updated.
func (c *Client) Label(ctx context.Context, obj *unstructured.Unstructured, key, value string) (*unstructured.Unstructured, error) {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"labels": map[string]string{key: value}, "resourceVersion": obj.GetResourceVersion()}})
	if err != nil {
		return nil, err
	}
	ri, _, err := c.Resource(obj.DeepCopy())
	if err != nil {
		return nil, err
	}
	out, err := ri.Patch(ctx, obj.GetName(), types.MergePatchType, patch, metav1.PatchOptions{FieldManager: FieldManager})
	if err != nil {
		return nil, fmt.Errorf("label %s: %w", Describe(obj), err)
	}
	return out, nil
}

// WaitNotTerminating waits until obj is not being deleted: gone, or never
// deleted. Creating into a terminating namespace fails, so a create after
// a recent delete waits here first.
func (c *Client) WaitNotTerminating(ctx context.Context, obj *unstructured.Unstructured) error {
	cur, err := c.Get(ctx, obj)
	if err != nil || cur == nil || cur.GetDeletionTimestamp() == nil {
		return err
	}
	return c.WaitGone(ctx, obj)
}
