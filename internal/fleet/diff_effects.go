package fleet

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Effect is one thing Cluster API (or Argo CD) does about a change.
type Effect struct {
	// Kind is one of the Effect* constants.
	Kind string `json:"kind"`
	// Object is the kind of object that changes (AWSManagedControlPlane,
	// AWSManagedMachinePool, KubeadmControlPlane, MachineDeployment,
	// Cluster, the Argo CD cluster secret).
	Object string `json:"object"`
	// Target is the part of the cluster: "control plane", "node pool
	// workers", "cluster", "registration".
	Target string `json:"target"`
	Detail string `json:"detail"`
	// Paths are the changed values behind it.
	Paths []string `json:"paths"`
}

// The kinds of effect, most drastic first (effects are sorted so).
const (
	// EffectRefused: a webhook rejects the change; Argo CD's sync fails
	// and nothing changes until the change is reverted.
	EffectRefused = "refused"
	// EffectRecreate: the cluster cannot be changed into the new one; it
	// must be deleted and created anew.
	EffectRecreate            = "recreate"
	EffectDelete              = "delete"
	EffectControlPlaneUpgrade = "control-plane-upgrade"
	// EffectNodesReplaced: machines or nodes are replaced one by one.
	EffectNodesReplaced = "nodes-replaced"
	EffectCreate        = "create"
	// EffectNotApplied: accepted, but the provider never applies it to
	// what exists: Git and the cluster disagree from then on.
	EffectNotApplied = "not-applied"
	// EffectReview: fleetup does not know what the change does.
	EffectReview  = "review"
	EffectInPlace = "in-place"
	// EffectNoEffect: the flavour does not use the value.
	EffectNoEffect = "no-effect"
)

var effectOrder = []string{EffectRefused, EffectRecreate, EffectDelete, EffectControlPlaneUpgrade, EffectNodesReplaced,
	EffectCreate, EffectNotApplied, EffectReview, EffectInPlace, EffectNoEffect}

// Objects named in effects.
const (
	objAMCP      = "AWSManagedControlPlane"
	objAMMP      = "AWSManagedMachinePool"
	objKCP       = "KubeadmControlPlane"
	objMD        = "MachineDeployment"
	objCluster   = "Cluster"
	objSecret    = "Argo CD cluster secret"
	targetCP     = "control plane"
	targetReg    = "registration"
	targetWhole  = "cluster"
	inMemoryNote = "the in-memory backend has no instances, disks or AMIs"
)

// effects says what Cluster API does about a changed cluster's values, by
// flavour. The rules follow the webhooks and controllers of Cluster API
// v1.14 and CAPA v2.13 (docs/fleet.md has the table).
func effects(b, h *Cluster, changes []ValueChange) []Effect {
	e := &effecter{b: b.Effective, h: h.Effective, changes: changes, flavour: Flavour(flavourOf(h.Effective))}
	if fb := flavourOf(b.Effective); fb != string(e.flavour) {
		return []Effect{{Kind: EffectRecreate, Object: objCluster, Target: targetWhole, Paths: e.related("provider", "flavour"),
			Detail: fmt.Sprintf("flavour %s → %s: Cluster API cannot move a cluster between providers; the %s objects are pruned (the cluster and its workloads are deleted) and a new %s cluster is made. Add a cluster under a new name instead, then remove this one", orNothing(fb), orNothing(string(e.flavour)), orNothing(fb), orNothing(string(e.flavour)))}}
	}
	e.version()
	e.pools()
	e.provider()
	e.simple("endpointAccess", objAMCP, targetCP, "EKS endpoint access updated in place (UpdateClusterConfig)", "the in-memory backend has no endpoint settings")
	e.simple("tags", objAMCP, targetWhole, "AWS tags of the cluster and its node groups updated in place (additionalTags)", "the in-memory backend has no AWS resources to tag")
	if ps := e.related("cluster", "decommission"); len(ps) > 0 && decommissioned(e.h) {
		e.add(Effect{Kind: EffectDelete, Object: objSecret, Target: "addons", Paths: ps,
			Detail: "decommission: every enable_<addon> of the cluster secret is \"false\" and the stages ApplicationSet leaves the cluster out: Argo CD removes all its addons from it, the cluster and its registration stay (fleetup cluster delete's first commit)"})
	}
	if ps := slices.DeleteFunc(e.related("cluster"), func(k string) bool { return k == "cluster.decommission" }); len(ps) > 0 {
		e.add(Effect{Kind: EffectInPlace, Object: objSecret, Target: targetReg, Paths: ps,
			Detail: "labels of the cluster's Argo CD secret (fleetup.dev/wave, fleetup.dev/profile, fleetup.dev/<layer>, environment): no Cluster API change"})
	}
	known := []string{"kubernetesVersion", "nodePools", "provider", "endpointAccess", "tags", "cluster", "addons"}
	var unknown []string
	for _, c := range changes {
		if !slices.Contains(known, c.Path[0]) && !slices.Contains(unknown, c.Path[0]) {
			unknown = append(unknown, c.Path[0])
		}
	}
	for _, top := range unknown {
		e.add(Effect{Kind: EffectReview, Object: "fleet-cluster chart", Target: targetWhole, Paths: e.related(top),
			Detail: fmt.Sprintf("fleetup does not know what the chart does with %s: read its templates", top)})
	}
	sortEffects(e.out)
	return e.out
}

type effecter struct {
	b, h    *Value
	changes []ValueChange
	flavour Flavour
	out     []Effect
}

func (e *effecter) add(ef Effect) { e.out = append(e.out, ef) }

// related are the changed keys at or under prefix, or above it (a
// mapping replaced as a whole).
func (e *effecter) related(prefix ...string) []string {
	var out []string
	for _, c := range e.changes {
		n := min(len(c.Path), len(prefix))
		if slices.Equal(c.Path[:n], prefix[:n]) {
			out = append(out, c.Key)
		}
	}
	return out
}

// simple is a part of the values that EKS updates in place and the other
// flavours ignore.
func (e *effecter) simple(top, object, target, eks, inMemory string) {
	ps := e.related(top)
	if len(ps) == 0 {
		return
	}
	switch e.flavour {
	case FlavourEKS:
		e.add(Effect{Kind: EffectInPlace, Object: object, Target: target, Detail: eks, Paths: ps})
	case FlavourInMemory:
		e.add(Effect{Kind: EffectNoEffect, Object: objCluster, Target: target, Detail: inMemory, Paths: ps})
	default:
		e.add(unmanaged(target, ps))
	}
}

func unmanaged(target string, ps []string) Effect {
	return Effect{Kind: EffectNoEffect, Object: objSecret, Target: target, Paths: ps,
		Detail: "an existing cluster is not managed by Cluster API"}
}

// version: the control plane's and the node pools' Kubernetes version.
func (e *effecter) version() {
	ps := e.related("kubernetesVersion")
	if len(ps) == 0 {
		return
	}
	from, _ := e.b.Get("kubernetesVersion").str()
	to, _ := e.h.Get("kubernetesVersion").str()
	vb, okb := parseVersion(from)
	vh, okh := parseVersion(to)
	switch {
	case e.flavour == FlavourExisting:
		e.add(unmanaged(targetCP, ps))
		return
	case !okb || !okh:
		e.add(Effect{Kind: EffectReview, Object: e.cpObject(), Target: targetCP, Paths: ps,
			Detail: fmt.Sprintf("Kubernetes version %s → %s: not both versions read as v<major>.<minor>[.<patch>]", orNothing(from), orNothing(to))})
		return
	}
	steps := vh.minorsAbove(vb)
	if e.flavour == FlavourEKS {
		switch {
		case steps < 0:
			e.add(Effect{Kind: EffectRefused, Object: objAMCP, Target: targetCP, Paths: ps,
				Detail: fmt.Sprintf("spec.version %s → %s: new version less than old version (AWSManagedControlPlane webhook; EKS cannot downgrade)", from, to)})
			return
		case steps == 0:
			e.add(Effect{Kind: EffectNoEffect, Object: objAMCP, Target: targetCP, Paths: ps,
				Detail: fmt.Sprintf("%s → %s: EKS runs major.minor versions, both are v%d.%d", from, to, vh.major, vh.minor)})
			return
		}
		detail := fmt.Sprintf("EKS control plane %s → %s", from, to)
		if steps > 1 {
			detail += fmt.Sprintf(": CAPA upgrades one minor version at a time (%d upgrades)", steps)
		}
		e.add(Effect{Kind: EffectControlPlaneUpgrade, Object: objAMCP, Target: targetCP, Paths: ps, Detail: detail})
		for _, p := range e.keptPools() {
			e.add(Effect{Kind: EffectNodesReplaced, Object: objAMMP, Target: "node pool " + p, Paths: ps,
				Detail: fmt.Sprintf("EKS updates the node group to %s after the control plane: its nodes are replaced, one unavailable at a time (UpdateNodegroupVersion)", to)})
		}
		return
	}
	switch {
	case steps < 0 || (steps == 0 && vh.patch < vb.patch):
		e.add(Effect{Kind: EffectReview, Object: objKCP, Target: targetCP, Paths: ps,
			Detail: fmt.Sprintf("%s → %s is a downgrade: Kubernetes does not support it, and Cluster API's webhooks do not stop it", from, to)})
		return
	case steps > 1:
		e.add(Effect{Kind: EffectRefused, Object: objKCP, Target: targetCP, Paths: ps,
			Detail: fmt.Sprintf("spec.version: cannot update Kubernetes version from %s to %s (KubeadmControlPlane webhook: one minor version at a time)", from, to)})
		return
	}
	e.add(Effect{Kind: EffectControlPlaneUpgrade, Object: objKCP, Target: targetCP, Paths: ps,
		Detail: fmt.Sprintf("KubeadmControlPlane rolls out %s → %s: each control-plane machine is replaced by a new one", from, to)})
	for _, p := range e.keptPools() {
		e.add(Effect{Kind: EffectNodesReplaced, Object: objMD, Target: "node pool " + p, Paths: ps,
			Detail: fmt.Sprintf("the MachineDeployment rolls out: every machine is replaced by one on %s", to)})
	}
}

func (e *effecter) cpObject() string {
	if e.flavour == FlavourEKS {
		return objAMCP
	}
	return objKCP
}

// keptPools are the pools enabled on both sides.
func (e *effecter) keptPools() []string {
	pb, ph := enabledPools(e.b), enabledPools(e.h)
	var out []string
	for p := range ph {
		if pb[p] != nil {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// enabledPools are the node pools that exist: mappings not switched off.
func enabledPools(v *Value) map[string]*Value {
	out := map[string]*Value{}
	for name, p := range v.Get("nodePools").mapping() {
		if !p.IsMap() {
			continue
		}
		if on, ok := p.Get("enabled").boolean(); ok && !on {
			continue
		}
		out[name] = p
	}
	return out
}

// provider: region, role and identity (the flavour is handled first).
func (e *effecter) provider() {
	for _, field := range []string{"region", "roleARN", "identity", "kubeconfigSecret"} {
		ps := e.related("provider", field)
		if len(ps) == 0 || sameValue(e.b.Get("provider", field), e.h.Get("provider", field)) {
			continue
		}
		e.providerField(field, ps)
	}
}

func (e *effecter) providerField(field string, ps []string) {
	to, _ := e.h.Get("provider", field).str()
	if e.flavour != FlavourEKS {
		if field == "kubeconfigSecret" && e.flavour == FlavourExisting {
			e.add(Effect{Kind: EffectInPlace, Object: objSecret, Target: targetReg, Paths: ps,
				Detail: fmt.Sprintf("Argo CD reaches the cluster with the kubeconfig of Secret %s", orNothing(to))})
			return
		}
		e.add(Effect{Kind: EffectNoEffect, Object: objCluster, Target: targetWhole, Paths: ps,
			Detail: fmt.Sprintf("provider.%s is not used by the %s flavour", field, e.flavour)})
		return
	}
	switch field {
	case "region":
		e.add(Effect{Kind: EffectRefused, Object: objAMCP, Target: targetCP, Paths: ps,
			Detail: "immutable field spec.region (AWSManagedControlPlane webhook): an EKS cluster cannot move; add a cluster in the new region instead"})
	case "roleARN":
		e.add(Effect{Kind: EffectInPlace, Object: objSecret, Target: targetReg, Paths: ps,
			Detail: fmt.Sprintf("Argo CD assumes %s to reach the cluster (awsAuthConfig.roleARN)", orNothing(to))})
	case "identity":
		who := "AWSClusterRoleIdentity " + to
		if to == "" {
			who = "its controller's own credentials (the defaulted AWSClusterControllerIdentity)"
		}
		e.add(Effect{Kind: EffectInPlace, Object: objAMCP, Target: targetWhole, Paths: ps,
			Detail: "CAPA manages the cluster with " + who + " (spec.identityRef)"})
	default:
		e.add(Effect{Kind: EffectNoEffect, Object: objCluster, Target: targetWhole, Paths: ps, Detail: "provider." + field + " is not used by the eks flavour"})
	}
}

// pools: node pools created, deleted and changed.
func (e *effecter) pools() {
	if len(e.related("nodePools")) == 0 {
		return
	}
	pb, ph := enabledPools(e.b), enabledPools(e.h)
	names := map[string]bool{}
	for _, c := range e.changes {
		if c.Path[0] != "nodePools" {
			continue
		}
		if len(c.Path) == 1 { // the whole mapping replaced
			for p := range pb {
				names[p] = true
			}
			for p := range ph {
				names[p] = true
			}
			continue
		}
		names[c.Path[1]] = true
	}
	for _, p := range keys(names) {
		ps := e.related("nodePools", p)
		target := "node pool " + p
		switch {
		case e.flavour == FlavourExisting:
			e.add(unmanaged(target, ps))
		case pb[p] == nil && ph[p] == nil:
			e.add(Effect{Kind: EffectNoEffect, Object: e.poolObject(), Target: target, Paths: ps, Detail: "the pool is switched off on both sides"})
		case pb[p] == nil:
			e.add(Effect{Kind: EffectCreate, Object: e.poolObject(), Target: target, Paths: ps, Detail: e.poolCreated(ph[p])})
		case ph[p] == nil:
			e.add(Effect{Kind: EffectDelete, Object: e.poolObject(), Target: target, Paths: ps,
				Detail: "the pool is deleted: its nodes are drained and removed"})
		default:
			e.poolChanges(p, pb[p], ph[p])
		}
	}
}

func (e *effecter) poolObject() string {
	if e.flavour == FlavourEKS {
		return objAMMP
	}
	return objMD
}

func (e *effecter) poolCreated(p *Value) string {
	n, _ := p.Get("replicas").number()
	if e.flavour == FlavourEKS {
		it, _ := p.Get("instanceType").str()
		return fmt.Sprintf("CAPA creates an EKS node group: %g × %s", n, orNothing(it))
	}
	return fmt.Sprintf("a MachineDeployment is created: %g machines", n)
}

// poolFields are a pool's fields in the order effects are listed, with
// CAPA's CRD defaults where the object has one (a value that appears
// equal to the default changes nothing).
var poolFields = []struct {
	name, def string
}{{"instanceType", ""}, {"amiType", "AL2_x86_64"}, {"capacityType", "onDemand"}, {"diskSize", ""},
	{"replicas", ""}, {"scaling", ""}, {"labels", ""}, {"taints", ""}}

// poolChanges: a pool kept on both sides, field by field.
func (e *effecter) poolChanges(name string, b, h *Value) {
	target := "node pool " + name
	var inPlace []string
	seen := map[string]bool{"enabled": true}
	for _, f := range poolFields {
		seen[f.name] = true
		bv, hv := b.Get(f.name), h.Get(f.name)
		if sameValue(bv, hv) {
			continue
		}
		ps := e.related("nodePools", name, f.name)
		switch {
		case e.flavour == FlavourInMemory && slices.Contains([]string{"instanceType", "amiType", "capacityType", "diskSize"}, f.name):
			e.add(Effect{Kind: EffectNoEffect, Object: objMD, Target: target, Paths: ps, Detail: inMemoryNote})
		case f.def != "" && sameValue(orDefault(bv, f.def), orDefault(hv, f.def)):
			e.add(Effect{Kind: EffectNoEffect, Object: e.poolObject(), Target: target, Paths: ps,
				Detail: fmt.Sprintf("unset %s is CAPA's default %s: the same", f.name, f.def)})
		case f.name == "instanceType":
			from, _ := bv.str()
			e.add(Effect{Kind: EffectNotApplied, Object: objAMMP, Target: target, Paths: ps,
				Detail: fmt.Sprintf("CAPA sets a node group's instance type only when it creates it: the webhook accepts the change and the nodes stay %s; to move them, add a pool under a new name and switch this one off", orNothing(from))})
		case e.flavour == FlavourEKS && slices.Contains([]string{"amiType", "capacityType", "diskSize"}, f.name):
			e.add(Effect{Kind: EffectRefused, Object: objAMMP, Target: target, Paths: ps,
				Detail: fmt.Sprintf("immutable field spec.%s (AWSManagedMachinePool webhook); to change it, add a pool under a new name and switch this one off", f.name)})
		default:
			inPlace = append(inPlace, ps...)
		}
	}
	var other []string
	for k := range h.Map {
		if !seen[k] {
			other = append(other, e.related("nodePools", name, k)...)
		}
	}
	for k := range b.Map {
		if _, ok := h.Map[k]; !ok && !seen[k] {
			other = append(other, e.related("nodePools", name, k)...)
		}
	}
	if len(inPlace) > 0 {
		detail := "the EKS node group's scaling, labels and taints are updated in place (UpdateNodegroupConfig): no node is replaced"
		if e.flavour == FlavourInMemory {
			detail = "the MachineDeployment scales, and propagates labels and taints to its machines in place: no machine is replaced"
		}
		e.add(Effect{Kind: EffectInPlace, Object: e.poolObject(), Target: target, Paths: inPlace, Detail: detail})
	}
	if len(other) > 0 {
		sort.Strings(other)
		e.add(Effect{Kind: EffectReview, Object: e.poolObject(), Target: target, Paths: other,
			Detail: "fleetup does not know what the chart does with these pool fields"})
	}
}

func orDefault(v *Value, def string) *Value {
	if v == nil || v.IsNull() {
		return &Value{Leaf: def}
	}
	return v
}

// lifecycle is what happens to a cluster that is added or removed.
func lifecycle(c *Cluster, change string) Effect {
	v := c.Effective
	flavour := flavourOf(v)
	version, _ := v.Get("kubernetesVersion").str()
	region, _ := v.Get("provider", "region").str()
	var pools []string
	enabled := enabledPools(v)
	for _, p := range keys(enabled) {
		n, _ := enabled[p].Get("replicas").number()
		it, _ := enabled[p].Get("instanceType").str()
		if Flavour(flavour) == FlavourEKS {
			pools = append(pools, fmt.Sprintf("%s: %g × %s", p, n, orNothing(it)))
		} else {
			pools = append(pools, fmt.Sprintf("%s: %s", p, plural(int(n), "machine")))
		}
	}
	ef := Effect{Kind: EffectCreate, Object: objCluster, Target: targetWhole, Paths: []string{}}
	switch {
	case change == ChangeRemoved && Flavour(flavour) == FlavourExisting:
		ef.Kind, ef.Object, ef.Target = EffectDelete, objSecret, targetReg
		ef.Detail = "Argo CD forgets the cluster (its secret is pruned with the Application fleet-" + c.Name + "); the cluster itself is left alone"
	case change == ChangeRemoved:
		ef.Kind = EffectDelete
		ef.Detail = fmt.Sprintf("the Application fleet-%s is pruned and Cluster API deletes the %s: control plane, node pools and their machines", c.Name, flavourName(flavour))
	case Flavour(flavour) == FlavourEKS:
		ef.Detail = fmt.Sprintf("Cluster API and CAPA create an EKS cluster in %s, Kubernetes %s, node pools %s", orNothing(region), orNothing(version), orNothing(strings.Join(pools, ", ")))
	case Flavour(flavour) == FlavourInMemory:
		ef.Detail = fmt.Sprintf("Cluster API creates an in-memory cluster, Kubernetes %s, node pools %s", orNothing(version), orNothing(strings.Join(pools, ", ")))
	default:
		secret, _ := v.Get("provider", "kubeconfigSecret").str()
		ef.Object, ef.Target = objSecret, targetReg
		ef.Detail = "Argo CD registers the cluster from Secret " + orNothing(secret) + "; Cluster API is not involved"
	}
	return ef
}

// flavourName is what a flavour's cluster is called in sentences.
func flavourName(flavour string) string {
	switch Flavour(flavour) {
	case FlavourEKS:
		return "EKS cluster"
	case FlavourInMemory:
		return "in-memory cluster"
	}
	return "cluster"
}

func sortEffects(es []Effect) {
	sort.SliceStable(es, func(i, j int) bool {
		return slices.Index(effectOrder, es[i].Kind) < slices.Index(effectOrder, es[j].Kind)
	})
}

func flavourOf(v *Value) string {
	s, _ := v.Get("provider", "flavour").str()
	return s
}

func orNothing(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// version is a Kubernetes version as the fleet writes it: v1.34, v1.34.2.
type version struct{ major, minor, patch int }

func parseVersion(s string) (version, bool) {
	var v version
	parts := strings.Split(strings.TrimPrefix(s, "v"), ".")
	if len(parts) < 2 || len(parts) > 3 {
		return v, false
	}
	nums := make([]int, 3)
	for i, p := range parts {
		if _, err := fmt.Sscanf(p, "%d", &nums[i]); err != nil || fmt.Sprint(nums[i]) != p {
			return v, false
		}
	}
	return version{nums[0], nums[1], nums[2]}, true
}

// minorsAbove is how many minor versions v is above o (negative below;
// another major counts as far away).
func (v version) minorsAbove(o version) int {
	if v.major != o.major {
		return (v.major - o.major) * 100
	}
	return v.minor - o.minor
}

// Typed reads of a value: false when it is missing or of another type.

func (v *Value) str() (string, bool) {
	if v == nil {
		return "", false
	}
	s, ok := v.Leaf.(string)
	return s, ok
}

func (v *Value) boolean() (bool, bool) {
	if v == nil {
		return false, false
	}
	b, ok := v.Leaf.(bool)
	return b, ok
}

func (v *Value) number() (float64, bool) {
	if v == nil {
		return 0, false
	}
	n, ok := v.Leaf.(float64)
	return n, ok
}

// mapping is v's entries; nil when v is not a mapping.
func (v *Value) mapping() map[string]*Value {
	if v == nil {
		return nil
	}
	return v.Map
}
