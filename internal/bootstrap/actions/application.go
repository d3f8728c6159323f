package actions

import (
	"fmt"
	"strings"

	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ApplicationName is the Application an addon's ApplicationSet generates
// for a cluster (the AppSet chart's name template '<addon>-{{ .name }}').
func ApplicationName(addon, cluster string) string { return addon + "-" + cluster }

// ApplicationRef identifies an addon's Application.
func ApplicationRef(p *plan.Plan, addon string) *unstructured.Unstructured {
	return Ref("argoproj.io/v1alpha1", "Application", p.ArgoNamespace(), ApplicationName(addon, p.Config.ClusterName))
}

// Ref is an object identity, for Get and delete.
func Ref(apiVersion, kind, namespace, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace(namespace)
	u.SetName(name)
	return u
}

// GetApplication reads an addon's Application from the cluster; nil when it
// does not exist (or Argo CD's CRDs are not installed yet).
func (ac *Context) GetApplication(addon string) (*unstructured.Unstructured, error) {
	cur, err := ac.Kube.Get(ac.Ctx, ApplicationRef(ac.Plan, addon))
	if kube.IsNoMatch(err) {
		return nil, nil
	}
	return cur, err
}

// Application is what fleetup reads from an Argo CD Application.
type Application struct {
	Sync, Health, HealthMessage string
	// OpPhase is the last operation's phase (Running, Succeeded, Failed,
	// Error, Terminating), OpMessage its message.
	OpPhase, OpMessage string
	// Errors are conditions that mean the addon cannot converge by itself.
	Errors []string
	// Other conditions (warnings), for messages.
	Conditions []string
	// Unhealthy lists the Application's resources that are not Healthy:
	// "Kind namespace/name: Degraded: message".
	Unhealthy []string
}

// errorConditions fail an addon at once.
var errorConditions = map[string]bool{"ComparisonError": true, "SyncError": true, "InvalidSpecError": true}

// ReadApplication extracts sync, health, operation and conditions.
func ReadApplication(obj *unstructured.Unstructured) Application {
	var a Application
	a.Sync, _, _ = unstructured.NestedString(obj.Object, "status", "sync", "status")
	a.Health, _, _ = unstructured.NestedString(obj.Object, "status", "health", "status")
	a.HealthMessage, _, _ = unstructured.NestedString(obj.Object, "status", "health", "message")
	a.OpPhase, _, _ = unstructured.NestedString(obj.Object, "status", "operationState", "phase")
	a.OpMessage, _, _ = unstructured.NestedString(obj.Object, "status", "operationState", "message")
	res, _, _ := unstructured.NestedSlice(obj.Object, "status", "resources")
	for _, r := range res {
		m, _ := r.(map[string]any)
		h, _ := m["health"].(map[string]any)
		st, _ := h["status"].(string)
		if st == "" || st == "Healthy" {
			continue
		}
		name, _ := m["name"].(string)
		if ns, _ := m["namespace"].(string); ns != "" {
			name = ns + "/" + name
		}
		line := fmt.Sprintf("%v %s: %s", m["kind"], name, st)
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
		if errorConditions[typ] {
			a.Errors = append(a.Errors, line)
		} else {
			a.Conditions = append(a.Conditions, line)
		}
	}
	return a
}

// Healthy is fleetup's definition: Synced, Healthy, last operation Succeeded.
func (a Application) Healthy() bool {
	return a.Sync == "Synced" && a.Health == "Healthy" && a.OpPhase == "Succeeded"
}

// Failure returns why the addon failed for good, or "".
func (a Application) Failure() string {
	if len(a.Errors) > 0 {
		return strings.Join(a.Errors, "; ")
	}
	if a.OpPhase == "Failed" || a.OpPhase == "Error" {
		return fmt.Sprintf("sync %s: %s", strings.ToLower(a.OpPhase), OneLine(a.OpMessage, 300))
	}
	return ""
}

// State is the addon state the Application shows by itself, with its
// message: healthy, failed (a failed operation or an error condition),
// degraded, syncing or progressing. Deadlines and the grace period for
// Degraded are the caller's to apply.
func (a Application) State() (AddonState, string) {
	switch {
	case a.Healthy():
		return AddonHealthy, ""
	case a.Failure() != "":
		return AddonFailed, a.Failure()
	case a.Health == "Degraded":
		return AddonDegraded, a.Summary()
	case a.Sync != "Synced" || a.OpPhase == "Running" || a.OpPhase == "":
		return AddonSyncing, a.Summary()
	}
	return AddonProgressing, a.Summary()
}

// Summary is the last condition seen, for messages.
func (a Application) Summary() string {
	parts := []string{fmt.Sprintf("sync %s, health %s", orUnknown(a.Sync), orUnknown(a.Health))}
	if a.OpPhase != "" {
		parts = append(parts, "operation "+a.OpPhase)
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
