package catalog

import (
	"fmt"

	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/decode"
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
		if o.Enabled != nil {
			a.Enabled = *o.Enabled
			entry["enabled"] = bool(*o.Enabled)
			a.overrides["enabled"] = struct{}{}
		}
		if o.Version != "" {
			a.DefaultVersion = o.Version
			entry["defaultVersion"] = o.Version
			a.overrides["version"] = struct{}{}
		}
		if len(o.Values) > 0 {
			a.ValuesObject = MergeValues(a.ValuesObject, o.Values)
			base, _ := entry["valuesObject"].(map[string]any)
			entry["valuesObject"] = MergeValues(base, o.Values)
			a.overrides["values"] = struct{}{}
		}
		if o.HealthTimeout > 0 {
			a.HealthTimeout = o.HealthTimeout
			entry["healthTimeout"] = o.HealthTimeout.String()
		}
	}
	return errs.Err()
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
