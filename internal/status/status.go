// Package status reads the platform's state from the cluster: every addon
// of the plan with its Argo CD sync, health and operation, what it waits
// on, its last message, and whether Argo CD manages itself yet.
package status

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/fleetup/fleetup/internal/argocd"
	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fleetup/fleetup/internal/plan"
	"github.com/fleetup/fleetup/internal/record"
	"github.com/fleetup/fleetup/internal/report"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// SchemaVersion identifies the JSON layout; it changes only incompatibly.
const SchemaVersion = "fleetup.dev/status/v1"

// Platform phases.
const (
	PhaseNotInstalled = "not-installed" // no cluster secret, no Applications
	PhaseInstalling   = "installing"    // some addons not switched on or not healthy yet
	PhaseHealthy      = "healthy"       // every addon healthy
	PhaseDegraded     = "degraded"      // an addon is degraded or failed
	PhaseUninstalling = "uninstalling"  // `fleetup uninstall` started
)

// Status is the platform at a glance; its JSON form is documented in
// docs/status.md and stable under SchemaVersion.
type Status struct {
	SchemaVersion string `json:"schemaVersion"`
	Cluster       string `json:"cluster"`
	Phase         string `json:"phase"`
	// HandOff: Argo CD manages itself, External Secrets and the catalog.
	HandOff bool    `json:"handOff"`
	Catalog Catalog `json:"catalog"`
	Addons  []Addon `json:"addons"`
}

// Catalog is the Application that renders the ApplicationSets from Git.
type Catalog struct {
	Application string `json:"application"`
	State       string `json:"state"` // as an addon's; "missing" when absent
	Sync        string `json:"sync"`
	Health      string `json:"health"`
	Revision    string `json:"revision"`
	Message     string `json:"message"`
}

// Addon is one addon's state.
type Addon struct {
	Name        string   `json:"name"`
	Level       int      `json:"level"`
	Application string   `json:"application"`
	SwitchedOn  bool     `json:"switchedOn"`
	State       string   `json:"state"`
	Sync        string   `json:"sync"`
	Health      string   `json:"health"`
	Operation   string   `json:"operation"`
	WaitingOn   []string `json:"waitingOn"`
	Message     string   `json:"message"`
	Since       string   `json:"since,omitempty"` // RFC 3339, last health or operation change
}

// Healthy reports whether every addon is healthy.
func (s *Status) Healthy() bool { return s.Phase == PhaseHealthy }

// Read builds the status of the platform of p.
func Read(ctx context.Context, c *kube.Client, p *plan.Plan) (*Status, error) {
	ns := p.ArgoNamespace()
	st := &Status{SchemaVersion: SchemaVersion, Cluster: p.Config.ClusterName, Addons: []Addon{}}
	// The hub cluster secret in use: fleetup's, or the one the fork makes.
	secret, err := c.Typed.CoreV1().Secrets(p.HubSecret.Namespace).Get(ctx, p.HubSecret.Name, metav1.GetOptions{})
	switches := map[string]string{}
	installed := err == nil
	if err == nil {
		switches = secret.Labels
	}
	apps := map[string]*unstructured.Unstructured{}
	// Not by fleetup's label: a CNOE fork's Applications carry none.
	list, err := c.Dynamic.Resource(kube.Applications).Namespace(ns).List(ctx, metav1.ListOptions{})
	// Without Argo CD's CRDs there is nothing to list yet (not installed).
	if err != nil && !kube.IsNoMatch(err) && !apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("status: list Applications: %w", err)
	}
	if list != nil {
		for i := range list.Items {
			apps[list.Items[i].GetName()] = &list.Items[i]
		}
	}
	st = Compose(st, p, switches, apps, installed)
	progress, err := record.Load(ctx, c, p.Config.ClusterName)
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	if progress.Uninstalling {
		Uninstalling(st, apps)
	}
	return st, nil
}

// Uninstalling marks the status of a platform being uninstalled: addons
// whose Application is gone are removed, the others still being removed.
func Uninstalling(st *Status, apps map[string]*unstructured.Unstructured) {
	st.Phase = PhaseUninstalling
	st.HandOff = false
	for i := range st.Addons {
		a := &st.Addons[i]
		a.WaitingOn = []string{}
		obj := apps[a.Application]
		switch {
		case obj == nil:
			a.State, a.Message = string(report.AddonRemoved), "Application removed"
		case obj.GetDeletionTimestamp() != nil:
			a.State, a.Message = string(report.AddonRemoving), "Argo CD is deleting its resources"
		}
	}
}

// Compose computes the status from what Read fetched (pure, for tests).
func Compose(st *Status, p *plan.Plan, switches map[string]string, apps map[string]*unstructured.Unstructured, installed bool) *Status {
	g := p.DAG
	healthy := map[string]bool{}
	read := map[string]*argocd.Application{}
	for _, n := range g.Nodes() {
		if obj := apps[argocd.ApplicationName(n, p.Config.ClusterName)]; obj != nil {
			a := argocd.Read(obj)
			read[n] = &a
			if a.Healthy() {
				healthy[n] = true
			}
		}
	}
	waiting := g.Waiting(healthy)
	anyBad, anyApp := false, false
	for _, ad := range p.Catalog.Installed() {
		n := ad.Name
		a := Addon{Name: n, Level: g.Level(n), Application: argocd.ApplicationName(n, p.Config.ClusterName), WaitingOn: []string{}}
		app := read[n]
		// Let go: switched on, or no switch and rolled out (a catalog
		// without switches, or an addon committed after the hand-off).
		sw, set := switches[ad.LabelName()]
		a.SwitchedOn = sw == "true" || (!set && app != nil)
		if app != nil {
			anyApp = true
			a.Sync, a.Health, a.Operation = app.Sync, app.Health, app.OpPhase
			a.Since = since(apps[a.Application])
		}
		switch {
		case app != nil:
			v := app.Verdict()
			st := v.State
			a.State, a.Message = string(st), v.Message
			anyBad = anyBad || st == report.AddonFailed || st == report.AddonDegraded
		case a.SwitchedOn:
			a.State, a.Message = string(report.AddonStarting), "switched on, no Application yet"
		default:
			a.State = string(report.AddonWaiting)
			if w := waiting[n]; len(w) > 0 {
				a.WaitingOn = w
				a.Message = "waiting on " + strings.Join(w, ", ")
			} else {
				a.Message = "not switched on"
			}
		}
		if w := waiting[n]; a.State != string(report.AddonHealthy) && len(w) > 0 {
			a.WaitingOn = w
		}
		st.Addons = append(st.Addons, a)
	}
	sort.SliceStable(st.Addons, func(i, j int) bool { return st.Addons[i].Level < st.Addons[j].Level })
	switch {
	case !installed && !anyApp:
		st.Phase = PhaseNotInstalled
	case anyBad:
		st.Phase = PhaseDegraded
	case len(healthy) == len(st.Addons):
		st.Phase = PhaseHealthy
	default:
		st.Phase = PhaseInstalling
	}
	st.Catalog = catalogOf(p, apps)
	st.HandOff = st.Catalog.State == string(report.AddonHealthy)
	for _, r := range p.Releases {
		if !healthy[r.Addon] {
			st.HandOff = false
		}
	}
	return st
}

func catalogOf(p *plan.Plan, apps map[string]*unstructured.Unstructured) Catalog {
	c := Catalog{Application: p.GitOps.Application, State: "missing", Message: "Argo CD does not render the catalog from Git yet"}
	obj := apps[c.Application]
	if obj == nil {
		return c
	}
	a := argocd.Read(obj)
	v := a.Verdict()
	c.State, c.Message, c.Sync, c.Health, c.Revision = string(v.State), v.Message, a.Sync, a.Health, a.Revision
	return c
}

// since is when the Application last changed health or finished an
// operation, whichever is later.
func since(obj *unstructured.Unstructured) string {
	if obj == nil {
		return ""
	}
	var latest time.Time
	for _, path := range [][]string{{"status", "health", "lastTransitionTime"}, {"status", "operationState", "finishedAt"}, {"status", "operationState", "startedAt"}} {
		if s, ok, _ := unstructured.NestedString(obj.Object, path...); ok {
			if t, err := time.Parse(time.RFC3339, s); err == nil && t.After(latest) {
				latest = t
			}
		}
	}
	if latest.IsZero() {
		return ""
	}
	return latest.UTC().Format(time.RFC3339)
}
