// Package argocd is fleetup's model of Argo CD's objects, read as
// unstructured objects (fleetup does not import Argo CD's Go module): the
// names fleetup's ApplicationSets give Applications, the resources
// finalizer, and what an Application's status says about its addon.
package argocd

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ResourcesFinalizer makes Argo CD delete an Application's resources
// before the Application itself.
const ResourcesFinalizer = "resources-finalizer.argocd.argoproj.io"

// BackgroundResourcesFinalizer is ResourcesFinalizer with background
// propagation: each resource is deleted the way `kubectl delete` does,
// and what it owns is left to its controllers and the garbage collector.
const BackgroundResourcesFinalizer = ResourcesFinalizer + "/background"

// APIVersion of Applications and ApplicationSets.
const APIVersion = "argoproj.io/v1alpha1"

// ApplicationName is the Application an addon's ApplicationSet generates
// for a cluster (the AppSet chart's name template '<addon>-{{ .name }}').
func ApplicationName(addon, cluster string) string { return addon + "-" + cluster }

// ApplicationRef identifies an Application, for Get and delete.
func ApplicationRef(namespace, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(APIVersion)
	u.SetKind("Application")
	u.SetNamespace(namespace)
	u.SetName(name)
	return u
}

// Application is what fleetup reads from an Argo CD Application.
type Application struct {
	Sync, Health, HealthMessage string
	// Revision is the revision the last comparison resolved
	// (status.sync.revision, or the first of status.sync.revisions).
	Revision string
	// Current is true when the last comparison was made against the
	// Application's current spec (status.sync.comparedTo equals the spec's
	// sources and destination): otherwise sync and health are leftovers
	// from before the spec changed, or there was no comparison yet.
	Current bool
	// OpPhase is the last operation's phase (Running, Succeeded, Failed,
	// Error, Terminating), OpMessage its message, OpRevision the revision
	// it synced, OpRetries how often it was retried.
	OpPhase, OpMessage, OpRevision string
	// OpTarget is the revision the last operation was asked to sync (one
	// per source, comma-separated); empty when it did not say.
	OpTarget              string
	OpRetries             int64
	OpStarted, OpFinished time.Time
	// ReconciledAt is when Argo CD last compared the Application.
	ReconciledAt time.Time
	// Requested is true when an operation is requested and not started.
	Requested bool
	// Deleting is true once the Application has a deletion timestamp.
	Deleting bool
	// Errors are error conditions (ComparisonError, SyncError,
	// InvalidSpecError, DeletionError …); Conditions the other ones.
	Errors, Conditions []string
	// Invalid is true when the spec itself is wrong (InvalidSpecError):
	// nothing but a change to the spec can fix it.
	Invalid bool
	// Unhealthy lists the Application's resources that are not Healthy, as
	// far as the Application records them: "Kind ns/name: Degraded: msg".
	Unhealthy []string
	// CRDs are the CustomResourceDefinitions among its resources.
	CRDs []string
	// DegradedAppSets are the ApplicationSets among its resources that are
	// Degraded (their controller reported an error), by name.
	DegradedAppSets []string
}

// Read extracts what fleetup needs from an Application.
func Read(obj *unstructured.Unstructured) Application {
	var a Application
	str := func(path ...string) string {
		s, _, _ := unstructured.NestedString(obj.Object, path...)
		return s
	}
	a.Sync = str("status", "sync", "status")
	a.Health = str("status", "health", "status")
	a.HealthMessage = str("status", "health", "message")
	a.Revision = str("status", "sync", "revision")
	if a.Revision == "" {
		if revs, _, _ := unstructured.NestedStringSlice(obj.Object, "status", "sync", "revisions"); len(revs) > 0 {
			a.Revision = strings.Join(revs, ",")
		}
	}
	// A refresh that was asked for and not done yet makes the status old.
	_, refresh := obj.GetAnnotations()[RefreshAnnotation]
	a.Current = !refresh && comparedToSpec(obj)
	a.OpPhase = str("status", "operationState", "phase")
	a.OpMessage = str("status", "operationState", "message")
	a.OpTarget = str("status", "operationState", "operation", "sync", "revision")
	if revs, _, _ := unstructured.NestedStringSlice(obj.Object, "status", "operationState", "operation", "sync", "revisions"); len(revs) > 0 {
		a.OpTarget = strings.Join(revs, ",")
	}
	a.OpRevision = str("status", "operationState", "syncResult", "revision")
	if a.OpRevision == "" {
		if revs, _, _ := unstructured.NestedStringSlice(obj.Object, "status", "operationState", "syncResult", "revisions"); len(revs) > 0 {
			a.OpRevision = strings.Join(revs, ",")
		}
	}
	switch n := nested(obj, "status", "operationState", "retryCount").(type) {
	case int64:
		a.OpRetries = n
	case float64: // decoded from YAML or JSON without a schema
		a.OpRetries = int64(n)
	}
	a.OpStarted = timeAt(obj, "status", "operationState", "startedAt")
	a.OpFinished = timeAt(obj, "status", "operationState", "finishedAt")
	a.ReconciledAt = timeAt(obj, "status", "reconciledAt")
	_, a.Requested = obj.Object["operation"]
	a.Deleting = obj.GetDeletionTimestamp() != nil
	res, _, _ := unstructured.NestedSlice(obj.Object, "status", "resources")
	for _, r := range res {
		m, _ := r.(map[string]any)
		kind, _ := m["kind"].(string)
		name, _ := m["name"].(string)
		if kind == "CustomResourceDefinition" && m["group"] == "apiextensions.k8s.io" && name != "" {
			a.CRDs = append(a.CRDs, name)
		}
		h, _ := m["health"].(map[string]any)
		st, _ := h["status"].(string)
		if st == "" || st == "Healthy" {
			continue
		}
		if kind == "ApplicationSet" && m["group"] == "argoproj.io" && st == "Degraded" {
			a.DegradedAppSets = append(a.DegradedAppSets, name)
		}
		if ns, _ := m["namespace"].(string); ns != "" {
			name = ns + "/" + name
		}
		line := fmt.Sprintf("%s %s: %s", kind, name, st)
		if msg, _ := h["message"].(string); msg != "" {
			line += ": " + OneLine(msg, 300)
		}
		a.Unhealthy = append(a.Unhealthy, line)
	}
	conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		typ, _ := m["type"].(string)
		msg, _ := m["message"].(string)
		line := typ
		if msg != "" {
			line += ": " + OneLine(msg, 300)
		}
		// Argo CD names every error condition …Error (ComparisonError,
		// SyncError, InvalidSpecError, DeletionError, …).
		if strings.HasSuffix(typ, "Error") {
			a.Errors = append(a.Errors, line)
			a.Invalid = a.Invalid || typ == "InvalidSpecError"
		} else {
			a.Conditions = append(a.Conditions, line)
		}
	}
	return a
}

// RefreshAnnotation asks the controller for a comparison; it removes it
// with the status it writes.
const RefreshAnnotation = "argocd.argoproj.io/refresh"

func nested(obj *unstructured.Unstructured, path ...string) any {
	v, _, _ := unstructured.NestedFieldNoCopy(obj.Object, path...)
	return v
}

func timeAt(obj *unstructured.Unstructured, path ...string) time.Time {
	s, _, _ := unstructured.NestedString(obj.Object, path...)
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// comparedToSpec reports whether status.sync.comparedTo describes the
// spec as it is now: the sources and the destination Argo CD compared
// against. A status without a comparison is not current.
func comparedToSpec(obj *unstructured.Unstructured) bool {
	cmp, ok, _ := unstructured.NestedMap(obj.Object, "status", "sync", "comparedTo")
	if !ok || len(cmp) == 0 {
		return false
	}
	spec, _, _ := unstructured.NestedMap(obj.Object, "spec")
	// Argo CD compares sources when the spec has several, else source.
	if srcs, _ := spec["sources"].([]any); len(srcs) > 0 && spec["sourceHydrator"] == nil {
		if !sameValue(spec["sources"], cmp["sources"]) {
			return false
		}
	} else if !sameValue(spec["source"], cmp["source"]) {
		return false
	}
	return sameValue(spec["ignoreDifferences"], cmp["ignoreDifferences"]) && sameDestination(spec["destination"], cmp["destination"])
}

// sameDestination compares the fields the spec sets: Argo CD may fill in
// the server of a destination given by name in what it compared.
func sameDestination(spec, compared any) bool {
	s, _ := spec.(map[string]any)
	c, _ := compared.(map[string]any)
	for k, v := range s {
		if !isEmpty(v) && !sameValue(v, c[k]) {
			return false
		}
	}
	return true
}

// sameValue compares two decoded JSON values, treating absent, null and
// empty values alike (Go's omitempty drops them on one side only).
func sameValue(a, b any) bool {
	return reflect.DeepEqual(prune(a), prune(b))
}

func prune(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range t {
			if p := prune(x); p != nil {
				out[k] = p
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		if len(t) == 0 {
			return nil
		}
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = prune(x)
		}
		return out
	}
	if isEmpty(v) {
		return nil
	}
	return v
}

func isEmpty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return t == ""
	case bool:
		return !t
	case int64:
		return t == 0
	case float64:
		return t == 0
	case map[string]any:
		return len(t) == 0
	case []any:
		return len(t) == 0
	}
	return false
}

// Summary is the last condition seen, for messages.
func (a Application) Summary() string {
	parts := []string{fmt.Sprintf("sync %s, health %s", orUnknown(a.Sync), orUnknown(a.Health))}
	if a.OpPhase != "" {
		op := "operation " + a.OpPhase
		if a.OpRetries > 0 {
			op += fmt.Sprintf(" (retry %d)", a.OpRetries)
		}
		parts = append(parts, op)
	}
	if a.HealthMessage != "" {
		parts = append(parts, OneLine(a.HealthMessage, 300))
	}
	if a.OpMessage != "" && a.OpPhase != "Succeeded" {
		parts = append(parts, OneLine(a.OpMessage, 300))
	}
	parts = append(parts, a.Unhealthy...)
	parts = append(parts, a.Errors...)
	parts = append(parts, a.Conditions...)
	return strings.Join(parts, "; ")
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// OneLine folds whitespace and cuts s to at most n runes, for messages
// that must fit one line.
func OneLine(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return string(r)
}
