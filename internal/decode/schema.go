package decode

import (
	"reflect"
	"strings"
)

// SchemaProvider is implemented by types that describe their own JSON Schema.
type SchemaProvider interface {
	JSONSchema() map[string]any
}

var schemaProviderType = reflect.TypeOf((*SchemaProvider)(nil)).Elem()

// Schema builds a JSON Schema (draft 2020-12) for a Go type from the same
// struct tags the decoder reads: `yaml` for names, `doc` for descriptions,
// `required:"true"` and `enum:"a|b"` for constraints. Objects are closed
// (additionalProperties: false) because the decoder rejects unknown keys.
func Schema(t reflect.Type) map[string]any {
	if t.Kind() == reflect.Pointer {
		return Schema(t.Elem())
	}
	if t.Implements(schemaProviderType) {
		return reflect.Zero(t).Interface().(SchemaProvider).JSONSchema()
	}
	if reflect.PointerTo(t).Implements(schemaProviderType) {
		return reflect.New(t).Interface().(SchemaProvider).JSONSchema()
	}
	switch t.Kind() {
	case reflect.Pointer:
		return Schema(t.Elem())
	case reflect.Struct:
		props := map[string]any{}
		var required []any
		for _, f := range fields(t) {
			sf := t.FieldByIndex(f.index)
			s := Schema(sf.Type)
			if doc := sf.Tag.Get("doc"); doc != "" {
				s = withKey(s, "description", doc)
			}
			if enum := sf.Tag.Get("enum"); enum != "" {
				var vals []any
				for _, e := range strings.Split(enum, "|") {
					vals = append(vals, e)
				}
				s = withKey(s, "enum", vals)
			}
			if def := sf.Tag.Get("default"); def != "" {
				s = withKey(s, "default", def)
			}
			if sf.Tag.Get("required") == "true" {
				required = append(required, f.name)
			}
			props[f.name] = s
		}
		out := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
		if len(required) > 0 {
			out["required"] = required
		}
		return out
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": Schema(t.Elem())}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": Schema(t.Elem())}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int32, reflect.Int64:
		return map[string]any{"type": "integer"}
	}
	return map[string]any{} // any value
}

func withKey(s map[string]any, k string, v any) map[string]any {
	out := make(map[string]any, len(s)+1)
	for key, val := range s {
		out[key] = val
	}
	out[k] = v
	return out
}
