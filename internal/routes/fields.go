package routes

import (
	"strconv"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Field access on unstructured objects; a missing or mistyped field reads
// as its zero value, as an absent optional field does in the API.

func get(o map[string]any, path ...string) any {
	v, _, _ := unstructured.NestedFieldNoCopy(o, path...)
	return v
}

func str(o map[string]any, path ...string) string {
	s, _ := get(o, path...).(string)
	return s
}

func num(o map[string]any, path ...string) int64 {
	switch v := get(o, path...).(type) {
	case int64:
		return v
	case int:
		return int64(v)
	case float64:
		return int64(v)
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	}
	return 0
}

func list(o map[string]any, path ...string) []map[string]any {
	items, _ := get(o, path...).([]any)
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func stringsOf(o map[string]any, path ...string) []string {
	items, _ := get(o, path...).([]any)
	var out []string
	for _, it := range items {
		if s, ok := it.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}
