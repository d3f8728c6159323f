package outdated

// Change is one pin --update moves.
type Change struct {
	Addon string `json:"addon"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// Updates are the pins to move: each addon behind to its newest minor
// version, or with major to its newest version of all. Addons that could
// not be checked, or whose pin is not offered, are left alone.
func Updates(r Report, major bool) []Change {
	var out []Change
	for _, a := range r.Addons {
		if a.Status != Behind {
			continue
		}
		to := a.Minor
		if major {
			to = a.Major
		}
		if to != a.Pinned {
			out = append(out, Change{Addon: a.Name, From: a.Pinned, To: to})
		}
	}
	return out
}

// Pins are the changes as Rewrite takes them.
func Pins(changes []Change) map[string]string {
	m := make(map[string]string, len(changes))
	for _, c := range changes {
		m[c.Addon] = c.To
	}
	return m
}
