package fleet

// Helm merges value files in two passes, and both are reproduced here
// because Argo CD renders a cluster with `helm template -f ... -f ...`:
//
//  1. The -f files, in order (Helm's loader.MergeMaps): a mapping over a
//     mapping merges key by key; anything else replaces, null included.
//  2. That result coalesced with the chart's values.yaml (Helm's
//     CoalesceValues): a null removes the key when the chart has it and
//     stays null when it has not; the chart's own nulls never show.
//
// The quirks are Helm's and are kept on purpose: a top-level null removes
// the key whenever the chart has it, even as null, while a nested null
// removes it only when the chart's value there is not null.

// Merge returns the values Helm's templates see for a chart whose
// values.yaml is chart (nil: none) rendered with files, lowest first.
func Merge(chart *Value, files ...*Value) *Value {
	return coalesce(overlayAll(files), prepareChart(chart))
}

// overlayAll is pass 1 over every file.
func overlayAll(files []*Value) *Value {
	user := emptyMap()
	for _, f := range files {
		if f != nil && f.IsMap() {
			user = overlay(user, f)
		}
	}
	return user
}

// overlay is b laid over a, both mappings.
func overlay(a, b *Value) *Value {
	if len(a.Map) == 0 {
		return b
	}
	out := make(map[string]*Value, len(a.Map)+len(b.Map))
	for k, v := range a.Map {
		out[k] = v
	}
	for k, bv := range b.Map {
		if av, ok := out[k]; ok && av.IsMap() && bv.IsMap() {
			out[k] = overlay(av, bv)
			continue
		}
		out[k] = bv
	}
	return &Value{Map: out, Origin: b.Origin}
}

// prepareChart drops the nulls of the chart's nested mappings, as Helm
// does before coalescing; top-level nulls stay, they still delete.
func prepareChart(chart *Value) *Value {
	if chart == nil || !chart.IsMap() {
		return emptyMap()
	}
	out := make(map[string]*Value, len(chart.Map))
	for k, v := range chart.Map {
		out[k] = withoutNulls(v)
	}
	return &Value{Map: out, Origin: chart.Origin}
}

// withoutNulls is v without null entries at any depth in its mappings
// (lists are values and keep theirs).
func withoutNulls(v *Value) *Value {
	if !v.IsMap() {
		return v
	}
	out := make(map[string]*Value, len(v.Map))
	for k, c := range v.Map {
		if c.IsNull() {
			continue
		}
		out[k] = withoutNulls(c)
	}
	return &Value{Map: out, Origin: v.Origin}
}

// coalesce is pass 2 at the top level (Helm's coalesceValues).
func coalesce(user, chart *Value) *Value {
	if len(chart.Map) == 0 {
		return user
	}
	out := make(map[string]*Value, len(user.Map)+len(chart.Map))
	for k, v := range user.Map {
		out[k] = v
	}
	for k, cv := range chart.Map {
		uv, ok := user.Map[k]
		switch {
		case ok && uv.IsNull():
			delete(out, k)
		case ok && uv.IsMap() && cv.IsMap():
			out[k] = coalesceTable(uv, cv)
		case ok:
			// The user's value wins, even a mapping over a scalar.
		case cv.IsNull():
			// The chart's own null is no value.
		default:
			out[k] = cv
		}
	}
	return &Value{Map: out, Origin: user.Origin}
}

// coalesceTable is pass 2 below the top (Helm's coalesceTablesFullKey);
// src has no nulls.
func coalesceTable(dst, src *Value) *Value {
	out := make(map[string]*Value, len(dst.Map)+len(src.Map))
	for k, v := range dst.Map {
		out[k] = v
	}
	for k, sv := range src.Map {
		dv, ok := dst.Map[k]
		switch {
		case !ok:
			out[k] = sv
		case dv.IsNull():
			delete(out, k)
		case dv.IsMap() && sv.IsMap():
			out[k] = coalesceTable(dv, sv)
		}
	}
	return &Value{Map: out, Origin: dst.Origin}
}
