package catalog

import (
	"fmt"
	"strings"

	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/decode"
	"k8s.io/apimachinery/pkg/util/validation"
)

// applyOverrides folds config.yaml's addons section into the catalog, both
// the typed entries and the plain values the AppSet chart renders.
func (c *Catalog) applyOverrides(cfg *config.Config) error {
	var errs decode.Errors
	for _, name := range decode.SortedKeys(cfg.Addons) {
		o := cfg.Addons[name]
		a := c.Get(name)
		if a == nil {
			errs = append(errs, cfg.ErrorAt("addons."+name, &decode.ValueError{
				Msg:      fmt.Sprintf("no addon %q in the catalog %s", name, c.File),
				Expected: "one of the catalog's addons",
				Hint:     decode.DidYouMean(name, c.Names()),
			}))
			continue
		}
		entry, _ := c.Values[name].(map[string]any)
		if entry == nil {
			entry = map[string]any{}
			c.Values[name] = entry
		}
		a.overrides = map[string]struct{}{}
		// What config.yaml sets on the entry, for Argo CD to lay over the
		// catalog it reads from Git.
		over := map[string]any{}
		if o.Enabled != nil {
			a.Enabled = *o.Enabled
			entry["enabled"] = bool(*o.Enabled)
			over["enabled"] = bool(*o.Enabled)
			a.overrides["enabled"] = struct{}{}
		}
		if o.Version != "" {
			a.DefaultVersion = o.Version
			entry["defaultVersion"] = o.Version
			over["defaultVersion"] = o.Version
			a.overrides["version"] = struct{}{}
		}
		if len(o.Values) > 0 {
			a.ValuesObject = MergeValues(a.ValuesObject, o.Values)
			base, _ := entry["valuesObject"].(map[string]any)
			entry["valuesObject"] = MergeValues(base, o.Values)
			over["valuesObject"] = o.Values
			a.overrides["values"] = struct{}{}
		}
		if o.HealthTimeout > 0 {
			a.HealthTimeout = o.HealthTimeout
			entry["healthTimeout"] = o.HealthTimeout.String()
			over["healthTimeout"] = o.HealthTimeout.String()
		}
		if o.DependsOn != nil {
			a.DependsOn, a.depsFrom = o.DependsOn, cfg
		}
		if o.CRDGroups != nil {
			for i, g := range o.CRDGroups {
				if msgs := validation.IsDNS1123Subdomain(g); len(msgs) > 0 {
					errs = append(errs, cfg.ErrorAt(fmt.Sprintf("addons.%s.crd_groups[%d]", name, i), &decode.ValueError{Msg: fmt.Sprintf("%q is not an API group: %s", g, strings.Join(msgs, "; ")), Expected: "an API group such as cert-manager.io", Hint: "list groups, not CRD names: the part after the first dot of <plural>.<group>"}))
				}
			}
			a.CRDGroups = o.CRDGroups
		}
		if o.Stateful != nil {
			if len(o.Stateful.PVCSelector) == 0 {
				errs = append(errs, cfg.ErrorAt("addons."+name+".stateful.pvc_selector", &decode.ValueError{Msg: "empty", Expected: "the labels of the addon's PVCs", Hint: "an empty selector would match every PVC of the namespace"}))
			}
			a.Stateful = &StatefulResources{PVCSelector: o.Stateful.PVCSelector}
		}
		if len(over) > 0 {
			if c.Overrides == nil {
				c.Overrides = map[string]any{}
			}
			c.Overrides[name] = over
		}
	}
	return errs.Err()
}

// depErr positions an error about dependsOn entry i where it was written:
// in config.yaml when its addons section set the list, else in the catalog.
func (c *Catalog) depErr(a *Addon, i int, v *decode.ValueError) *decode.Error {
	if a.depsFrom != nil {
		return a.depsFrom.ErrorAt(fmt.Sprintf("addons.%s.depends_on[%d]", a.Name, i), v)
	}
	return c.errAt(a, fmt.Sprintf("%s.dependsOn[%d]", a.Name, i), a.depPos[i], v)
}

// Overridden reports whether config.yaml changed this part of the entry.
func (a *Addon) Overridden(what string) bool {
	_, ok := a.overrides[what]
	return ok
}

// MergeValues deep-merges over into base the way Helm merges value files:
// maps merge key by key, anything else is replaced. Neither input changes.
func MergeValues(base, over map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		if bm, ok := out[k].(map[string]any); ok {
			if om, ok := v.(map[string]any); ok {
				out[k] = MergeValues(bm, om)
				continue
			}
		}
		out[k] = v
	}
	return out
}
