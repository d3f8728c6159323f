package capi

import (
	"fmt"
	"strconv"
	"strings"
)

// Converged reports whether the cluster runs as its objects ask, at
// wantVersion (the fleet's kubernetesVersion, "v1.34" or "v1.34.2"): the
// Cluster exists and is Available, its control plane asks for and runs
// wantVersion, every machine is up to date and ready. Otherwise reason
// names the first object that is not, with Cluster API's own condition
// and message, e.g. "KubeadmControlPlane dev/dev-control-plane: RollingOut:
// Rolling out 1 not up-to-date replicas". An empty wantVersion checks no
// version. A problem (Problems) is the reason when there is one.
func (s State) Converged(wantVersion string) (ok bool, reason string) {
	if ps := s.Problems(); len(ps) > 0 {
		return false, ps[0]
	}
	for _, check := range []func(string) string{s.clusterExists, s.controlPlaneConverged, s.workersConverged, s.clusterAvailable} {
		if r := check(wantVersion); r != "" {
			return false, r
		}
	}
	return true, ""
}

func (s State) clusterExists(string) string {
	switch {
	case !s.Installed:
		return "Cluster API is not installed on the hub (no " + Group + "/" + Version + " Cluster)"
	}
	return objectSettled(s.Object)
}

func (s State) controlPlaneConverged(want string) string {
	cp := s.ControlPlane
	switch {
	case cp == nil:
		return s.Ref() + " has no spec.controlPlaneRef"
	case !cp.Found:
		return "no " + cp.Ref() + " yet"
	}
	if r := specSettled(cp.Object, cp.Replicas, "spec.version", cp.DesiredVersion, want); r != "" {
		return r
	}
	if cp.StatusReady != nil && !*cp.StatusReady {
		return cp.Ref() + ": not ready" + conditionSuffix(firstFalse(cp.Conditions, "Ready", "Available"))
	}
	if want != "" && !SameVersion(want, cp.Version) {
		return fmt.Sprintf("%s: runs %s, not %s yet", cp.Ref(), orNone(cp.Version), want) + conditionSuffix(trueCondition(cp.Object, "RollingOut"))
	}
	return ""
}

func (s State) workersConverged(want string) string {
	for _, w := range s.Workers {
		if r := specSettled(w.Object, w.Replicas, "spec.template.spec.version", w.Version, want); r != "" {
			return r
		}
		for _, v := range w.Versions {
			if want != "" && v.Replicas > 0 && !SameVersion(want, v.Version) {
				return fmt.Sprintf("%s: %d machine(s) still run %s, not %s", w.Ref(), v.Replicas, v.Version, want)
			}
		}
	}
	return ""
}

func (s State) clusterAvailable(string) string {
	if c := s.Condition("Available"); c == nil || c.Status != "True" {
		return s.Ref() + ": not Available" + conditionSuffix(c)
	}
	if !s.KubeconfigSecret {
		return "no Secret " + s.Cluster + "/" + s.Cluster + "-kubeconfig yet"
	}
	return ""
}

// specSettled: the object has seen its spec, which asks for want (at
// field, whose value is version), and its replicas are settled.
func specSettled(o Object, r Replicas, field, version, want string) string {
	if s := objectSettled(o); s != "" {
		return s
	}
	if want != "" && !SameVersion(want, version) {
		return fmt.Sprintf("%s: %s is %s, not %s yet", o.Ref(), field, orNone(version), want)
	}
	return replicasSettled(o, r)
}

// objectSettled: the object exists, is not being deleted and its
// controller has seen its current spec.
func objectSettled(o Object) string {
	switch {
	case !o.Found:
		return "no " + o.Ref() + " yet"
	case o.Deleting:
		return o.Ref() + " is being deleted" + conditionSuffix(o.Condition("Deleting"))
	case o.ObservedGeneration < o.Generation:
		return fmt.Sprintf("%s: generation %d not reconciled yet (observed %d)", o.Ref(), o.Generation, o.ObservedGeneration)
	}
	return ""
}

// replicasSettled: as many replicas as desired, all up to date and ready.
// Counts the object does not keep are not checked.
func replicasSettled(o Object, r Replicas) string {
	if r.Desired == nil {
		return ""
	}
	want := *r.Desired
	short := func(what string, n *int64) string {
		if n == nil || *n == want {
			return ""
		}
		// Cluster API's own words say why, when it says it.
		c := trueCondition(o, "RollingOut", "ScalingUp", "ScalingDown", "Remediating")
		if c == nil {
			c = firstFalse(o.Conditions, "Available", "MachinesReady", "MachinesUpToDate")
		}
		return fmt.Sprintf("%s: %d/%d %s", o.Ref(), *n, want, what) + conditionSuffix(c)
	}
	for _, check := range []struct {
		what string
		n    *int64
	}{{"up to date", r.UpToDate}, {"ready", r.Ready}, {"replicas", r.Current}} {
		if s := short(check.what, check.n); s != "" {
			return s
		}
	}
	return ""
}

// Problems are what Cluster API reports as failed rather than in
// progress: a Failed phase, a failure message (v1beta1 contracts), a
// v1beta1 condition of severity Error, a v1beta2 condition whose reason
// is a failure (…Failed but InspectionFailed, …InternalError). Each names the object. A
// change Cluster API's webhooks refuse never reaches the objects: the
// Argo CD Application's sync error says that.
func (s State) Problems() []string {
	var out []string
	if s.Found {
		out = append(out, problemsOf(s.Object)...)
		if c := s.Condition("RemoteConnectionProbe"); c != nil && s.unreachable(c) {
			out = append(out, s.Ref()+conditionSuffix(c))
		}
	}
	if cp := s.ControlPlane; cp != nil && cp.Found {
		out = append(out, problemsOf(cp.Object)...)
	}
	for _, w := range s.Workers {
		out = append(out, problemsOf(w.Object)...)
	}
	return out
}

func problemsOf(o Object) []string {
	var out []string
	if o.Phase == "Failed" {
		out = append(out, o.Ref()+": phase Failed")
	}
	if o.FailureMessage != "" {
		out = append(out, o.Ref()+": "+oneLine(o.FailureMessage))
	}
	for i := range o.Conditions {
		c := &o.Conditions[i]
		if failed(c) {
			out = append(out, o.Ref()+conditionSuffix(c))
		}
	}
	return out
}

// unreachable: the RemoteConnectionProbe failed on a cluster whose
// control plane is initialized. Before that, Cluster API reports the
// probe failed while the API server is still being made ("Remote
// connection not established yet", then "Remote connection probe
// failed" once it tried 5 times): that is progress.
func (s State) unreachable(probe *Condition) bool {
	init := s.Condition("ControlPlaneInitialized")
	return probe.Status == "False" && init != nil && init.Status == "True" &&
		!strings.HasPrefix(probe.Message, "Remote connection not established yet")
}

// failed: a condition that says something failed, not that it waits.
// InspectionFailed is left out: KubeadmControlPlane reports it while it
// cannot reach a workload cluster that is still coming up; and so is the
// RemoteConnectionProbe, judged by State.unreachable.
func failed(c *Condition) bool {
	if c.Severity != "" { // v1beta1: severity is set on False conditions only
		return c.Status == "False" && c.Severity == "Error"
	}
	if c.Status != "False" || c.Reason == "InspectionFailed" || c.Type == "RemoteConnectionProbe" {
		return false
	}
	return strings.HasSuffix(c.Reason, "Failed") || strings.HasSuffix(c.Reason, "InternalError")
}

// trueCondition is the first of types that is True (conditions such as
// RollingOut are True while the work goes on), or nil.
func trueCondition(o Object, types ...string) *Condition {
	for _, t := range types {
		if c := o.Condition(t); c != nil && c.Status == "True" {
			return c
		}
	}
	return nil
}

// firstFalse is the first of types that is not True, or nil.
func firstFalse(cs []Condition, types ...string) *Condition {
	for _, t := range types {
		if c := find(cs, t); c != nil && c.Status != "True" {
			return c
		}
	}
	return nil
}

// conditionSuffix is ": Type: Reason: message" (message on one line), or
// nothing for a nil condition.
func conditionSuffix(c *Condition) string {
	if c == nil {
		return ""
	}
	s := ": " + c.Type
	if c.Status != "True" {
		s += " " + c.Status
	}
	if c.Reason != "" {
		s += " (" + c.Reason + ")"
	}
	if c.Message != "" {
		s += ": " + oneLine(c.Message)
	}
	return s
}

// oneLine folds Cluster API's multi-line messages ("* Machine x:\n  * …")
// onto one line, at most 300 runes.
func oneLine(s string) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) > 300 {
		return string(r[:299]) + "…"
	}
	return string(r)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// SameVersion compares Kubernetes versions as the fleet writes them
// ("v1.34") with what Cluster API and its providers keep ("v1.34.0" for
// kubeadm, "1.34" for EKS): the leading "v" is optional, major and minor
// must match, and the patch only when both have one.
func SameVersion(want, got string) bool {
	w, okW := parseVersion(want)
	g, okG := parseVersion(got)
	if !okW || !okG {
		return want == got
	}
	if w[0] != g[0] || w[1] != g[1] {
		return false
	}
	return w[2] < 0 || g[2] < 0 || w[2] == g[2]
}

// parseVersion reads [v]MAJOR.MINOR[.PATCH]; a missing patch is -1.
// Pre-release and build suffixes are not the fleet's: they do not parse.
func parseVersion(s string) ([3]int, bool) {
	parts := strings.Split(strings.TrimPrefix(s, "v"), ".")
	out := [3]int{0, 0, -1}
	if len(parts) < 2 || len(parts) > 3 {
		return out, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return out, false
		}
		out[i] = n
	}
	return out, true
}
