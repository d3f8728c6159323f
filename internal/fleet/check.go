package fleet

import (
	"fmt"
	"strings"

	"github.com/fleetup/fleetup/internal/decode"
	"gopkg.in/yaml.v3"
)

// checkEffective checks what only the merged values can tell: that a
// cluster has everything its flavour needs and that values set by
// different files fit together. Problems are shown in the cluster file
// (where the cluster is named) with the origins of the values involved,
// or at the value when the cluster file set it.
func checkEffective(c *Cluster) decode.Errors {
	k := &effCheck{c: c, at: c.Own.Get("cluster", "name").node()}
	if k.at == nil {
		k.at = c.pos[""]
	}
	v := c.Effective
	flavour, fv := k.str(v, "provider", "flavour")
	switch {
	case fv == nil:
		k.missing("provider.flavour", "the flavour: "+joinOr(Flavours()), "set it in the provider layer's file")
		return k.errs
	case !contains(Flavours(), flavour):
		k.fail(fv, "provider.flavour", fmt.Sprintf("%q (%s) is not a flavour", flavour, where(fv)), joinOr(Flavours()), decode.DidYouMean(flavour, Flavours()))
		return k.errs
	}
	switch Flavour(flavour) {
	case FlavourEKS:
		k.require(v, "the AWS region", "provider", "region")
		k.require(v, "the IAM role Argo CD assumes to reach the cluster", "provider", "roleARN")
		k.require(v, "the Kubernetes version", "kubernetesVersion")
		k.pools(v, true)
	case FlavourInMemory:
		k.require(v, "the Kubernetes version", "kubernetesVersion")
		k.pools(v, false)
	case FlavourExisting:
		k.require(v, "the Secret holding the cluster's kubeconfig", "provider", "kubeconfigSecret")
	}
	return k.errs
}

type effCheck struct {
	c    *Cluster
	at   *yaml.Node
	errs decode.Errors
}

// fail reports a problem with value v: at v when the cluster file set it,
// else at the cluster's name; msg says where the values involved are set.
func (k *effCheck) fail(v *Value, path, msg, expected, hint string) {
	at := k.at
	if v != nil && v.Origin.File == k.c.File {
		at = v.node()
	}
	k.errs = append(k.errs, errAt(k.c.File, at, path, msg, expected, hint))
}

func (k *effCheck) missing(path, expected, hint string) {
	k.errs = append(k.errs, errAt(k.c.File, k.at, path, fmt.Sprintf("cluster %q has no %s", k.c.Name, path), expected, hint))
}

// require reports a value that no file sets (or that is empty or null).
func (k *effCheck) require(v *Value, what string, path ...string) {
	s, sv := k.str(v, path...)
	if sv == nil || s == "" {
		k.missing(strings.Join(path, "."), what, "set it in the profile, a layer's file or the cluster's overrides")
	}
}

// str reads a string value; a value of another type (from the chart's own
// values.yaml, which has no schema) is reported.
func (k *effCheck) str(v *Value, path ...string) (string, *Value) {
	sv := v.Get(path...)
	if sv == nil || sv.IsNull() {
		return "", nil
	}
	s, ok := sv.Leaf.(string)
	if !ok {
		k.fail(sv, strings.Join(path, "."), fmt.Sprintf("got %s (%s)", describeHelm(sv.Plain()), where(sv)), "a string", "")
		return "", nil
	}
	return s, sv
}

// num reads a whole number; nil when unset.
func (k *effCheck) num(v *Value, path ...string) (int, *Value) {
	nv := v.Get(path...)
	if nv == nil || nv.IsNull() {
		return 0, nil
	}
	f, ok := nv.Leaf.(float64)
	if !ok || f != float64(int(f)) {
		k.fail(nv, strings.Join(path, "."), fmt.Sprintf("got %s (%s)", describeHelm(nv.Plain()), where(nv)), "a whole number", "")
		return 0, nil
	}
	return int(f), nv
}

// pools checks the enabled node pools; eks pools need an instance type.
func (k *effCheck) pools(v *Value, eks bool) {
	enabled := 0
	pools := v.Get("nodePools")
	for _, name := range keysOf(pools) {
		p := pools.Map[name]
		if !poolEnabled(p) {
			continue
		}
		enabled++
		path := "nodePools." + name
		if eks {
			k.require(v, "the pool's EC2 instance type", "nodePools", name, "instanceType")
		}
		lo, lv := k.num(p, "scaling", "minSize")
		hi, hv := k.num(p, "scaling", "maxSize")
		if lv != nil && hv != nil && lo > hi {
			at := hv
			if lv.Origin.File == k.c.File {
				at = lv
			}
			k.fail(at, path+".scaling", fmt.Sprintf("minSize %d (%s) is above maxSize %d (%s)", lo, where(lv), hi, where(hv)), "minSize <= maxSize", "")
		} else if n, rv := k.num(p, "replicas"); rv != nil && ((lv != nil && n < lo) || (hv != nil && n > hi)) {
			k.fail(rv, path+".replicas", fmt.Sprintf("replicas %d (%s) is outside minSize %s .. maxSize %s", n, where(rv), bound(lv, lo), bound(hv, hi)), "replicas between minSize and maxSize", "")
		}
		for _, t := range keysOf(p.Get("taints")) {
			if tv := p.Get("taints", t); !tv.IsNull() {
				if _, ev := k.str(tv, "effect"); ev == nil {
					k.fail(tv, path+".taints."+t, fmt.Sprintf("the taint (%s) has no effect", where(tv)), "effect: no-schedule, no-execute or prefer-no-schedule", "")
				}
			}
		}
	}
	if enabled == 0 {
		k.missing("nodePools", "at least one enabled node pool", "add one to the profile")
	}
}

// poolEnabled: a pool is on unless it is null or enabled: false.
func poolEnabled(p *Value) bool {
	if p == nil || !p.IsMap() {
		return false
	}
	e := p.Get("enabled")
	if e == nil || e.IsNull() {
		return true
	}
	b, ok := e.Leaf.(bool)
	return !ok || b
}

func keysOf(v *Value) []string {
	if v == nil || !v.IsMap() {
		return nil
	}
	return keys(v.Map)
}

func where(v *Value) string {
	return fmt.Sprintf("%s:%d:%d", v.Origin.File, v.Origin.Line, v.Origin.Column)
}

// bound is a scaling bound and where it is set.
func bound(v *Value, n int) string {
	if v == nil {
		return "(unset)"
	}
	return fmt.Sprintf("%d (%s)", n, where(v))
}
