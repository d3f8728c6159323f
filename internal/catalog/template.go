package catalog

import (
	"fmt"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
)

// Cluster is what an ApplicationSet cluster generator exposes to templates
// for one cluster secret (goTemplate mode).
type Cluster struct {
	Name        string
	Server      string
	Labels      map[string]string
	Annotations map[string]string
}

func (c Cluster) data() map[string]any {
	labels := map[string]any{}
	for k, v := range c.Labels {
		labels[k] = v
	}
	ann := map[string]any{}
	for k, v := range c.Annotations {
		ann[k] = v
	}
	return map[string]any{
		"name":           c.Name,
		"nameNormalized": strings.ToLower(strings.ReplaceAll(c.Name, "_", "-")),
		"server":         c.Server,
		"metadata":       map[string]any{"labels": labels, "annotations": ann},
	}
}

// funcs mirrors Argo CD's goTemplate functions: sprig without the ones that
// read the environment.
func funcs() template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	delete(f, "getHostByName")
	return f
}

// ResolveValues renders the Go templates in an addon's valuesObject for one
// cluster, as Argo CD's cluster generator does, so a direct Helm install
// (Argo CD, External Secrets) gets exactly the values Argo CD later applies.
func ResolveValues(addon string, values map[string]any, cl Cluster) (map[string]any, error) {
	out, err := resolve(addon+".valuesObject", values, cl.data(), funcs())
	if err != nil {
		return nil, err
	}
	m, _ := out.(map[string]any)
	return m, nil
}

func resolve(path string, v any, data map[string]any, fm template.FuncMap) (any, error) {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, val := range t {
			r, err := resolve(path+"."+k, val, data, fm)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, val := range t {
			r, err := resolve(fmt.Sprintf("%s[%d]", path, i), val, data, fm)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case string:
		if !strings.Contains(t, "{{") {
			return t, nil
		}
		tpl, err := template.New(path).Option("missingkey=error").Funcs(fm).Parse(t)
		if err != nil {
			return nil, fmt.Errorf("%s: template does not parse: %w", path, err)
		}
		var b strings.Builder
		if err := tpl.Execute(&b, data); err != nil {
			return nil, fmt.Errorf("%s: template fails for this cluster: %w", path, err)
		}
		return b.String(), nil
	}
	return v, nil
}
