package kube

import (
	"context"
	"errors"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
)

// Condition decides from an object's current state (nil when it does not
// exist) whether the wait is over, or has failed for good.
type Condition func(obj *unstructured.Unstructured) (done bool, err error)

// WaitError says what a wait was for and the last state it saw.
type WaitError struct {
	What     string
	LastSeen string
	Err      error
}

func (e *WaitError) Error() string {
	msg := fmt.Sprintf("waiting for %s: %v", e.What, e.Err)
	if e.LastSeen != "" {
		msg += "; last seen: " + e.LastSeen
	}
	return msg
}

func (e *WaitError) Unwrap() error { return e.Err }

// WaitFor watches one object until cond is done, cond fails, or ctx ends.
// It lists first, so a condition that already holds returns at once, and
// survives watch restarts. what describes the wait for the error message.
func (c *Client) WaitFor(ctx context.Context, gvr schema.GroupVersionResource, namespace, name, what string, cond Condition) (*unstructured.Unstructured, error) {
	var ri dynamic.ResourceInterface = c.Dynamic.Resource(gvr)
	if namespace != "" {
		ri = c.Dynamic.Resource(gvr).Namespace(namespace)
	}
	sel := fields.OneTermEqualSelector("metadata.name", name).String()
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = sel
			return ri.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = sel
			return ri.Watch(ctx, o)
		},
	}
	var last *unstructured.Unstructured
	precondition := func(store cache.Store) (bool, error) {
		// The field selector leaves at most this one object in the store.
		for _, item := range store.List() {
			if u, ok := item.(*unstructured.Unstructured); ok && u.GetName() == name {
				last = u
				return cond(last)
			}
		}
		return cond(nil)
	}
	ev, err := watchtools.UntilWithSync(ctx, lw, &unstructured.Unstructured{}, precondition, func(ev watch.Event) (bool, error) {
		switch ev.Type {
		case watch.Deleted:
			last = nil
			return cond(nil)
		case watch.Added, watch.Modified:
			obj, ok := ev.Object.(*unstructured.Unstructured)
			if !ok {
				return false, nil
			}
			last = obj
			return cond(obj)
		}
		return false, nil
	})
	if err != nil {
		if ctx.Err() != nil && (errors.Is(err, watchtools.ErrWatchClosed) || wait.Interrupted(err)) {
			err = context.Cause(ctx)
		}
		return last, &WaitError{What: what, LastSeen: Summary(last), Err: err}
	}
	if ev != nil {
		if obj, ok := ev.Object.(*unstructured.Unstructured); ok {
			return obj, nil
		}
	}
	return last, nil
}

// Summary condenses an object's status for messages: phase, health, sync
// and its conditions' type=status (reason: message).
func Summary(obj *unstructured.Unstructured) string {
	if obj == nil {
		return "absent"
	}
	var parts []string
	if p, ok, _ := unstructured.NestedString(obj.Object, "status", "phase"); ok && p != "" {
		parts = append(parts, "phase "+p)
	}
	if h, ok, _ := unstructured.NestedString(obj.Object, "status", "health", "status"); ok && h != "" {
		parts = append(parts, "health "+h)
	}
	if s, ok, _ := unstructured.NestedString(obj.Object, "status", "sync", "status"); ok && s != "" {
		parts = append(parts, "sync "+s)
	}
	conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok {
			continue
		}
		s := fmt.Sprintf("%v=%v", m["type"], m["status"])
		if r, _ := m["reason"].(string); r != "" {
			s += " " + r
		}
		if msg, _ := m["message"].(string); msg != "" {
			if len(msg) > 200 {
				msg = msg[:197] + "..."
			}
			s += ": " + msg
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "no status yet"
	}
	return strings.Join(parts, "; ")
}

// HasCondition reports whether obj's status.conditions holds one of type
// typ with the given status and, when reason is not empty, that reason.
func HasCondition(obj *unstructured.Unstructured, typ, status, reason string) bool {
	if obj == nil {
		return false
	}
	conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ && m["status"] == status && (reason == "" || m["reason"] == reason) {
			return true
		}
	}
	return false
}

// ConditionTrue is the Condition "status.conditions has type=True"; a
// condition of that type with status False and a reason is reported in the
// wait's last-seen state, not as a failure.
func ConditionTrue(typ string) Condition {
	return func(obj *unstructured.Unstructured) (bool, error) {
		return HasCondition(obj, typ, "True", ""), nil
	}
}
