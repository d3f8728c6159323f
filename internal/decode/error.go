// Package decode turns YAML documents into Go structs strictly: every unknown
// key, wrong type or invalid value becomes an Error that names the file, line,
// column and field path, says what was expected and, where a close valid value
// exists, offers it as a hint.
package decode

import (
	"fmt"
	"strings"
)

// Error is one problem found in an input file.
type Error struct {
	File     string
	Line     int
	Column   int
	Path     string // field path, e.g. "repo.url" or "addons.cert-manager.enabled"
	Msg      string // what is wrong
	Expected string // what would have been valid
	Hint     string // a close valid value or a way out, may be empty
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d:%d: ", e.File, e.Line, e.Column)
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Expected != "" {
		b.WriteString(" (expected ")
		b.WriteString(e.Expected)
		b.WriteString(")")
	}
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Errors is every problem found in one pass, in file order.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Err returns nil for no errors, so callers can `return errs.Err()`.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// DidYouMean formats a hint for the closest candidate, or "" when none is close.
func DidYouMean(got string, candidates []string) string {
	if best := Closest(got, candidates); best != "" {
		return fmt.Sprintf("did you mean %q?", best)
	}
	return ""
}

// Closest returns the candidate nearest to got by edit distance, if it is
// close enough to be a plausible typo, else "".
func Closest(got string, candidates []string) string {
	best, bestD := "", -1
	lg := strings.ToLower(got)
	// A candidate that the input extends or shortens (domain_name for
	// domain) is a likely intent even at a large edit distance.
	for _, c := range candidates {
		lc := strings.ToLower(c)
		if len(lc) >= 4 && len(lg) >= 4 && lc != lg && (strings.HasPrefix(lg, lc) || strings.HasPrefix(lc, lg)) {
			return c
		}
	}
	for _, c := range candidates {
		d := levenshtein(lg, strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD < 0 {
		return ""
	}
	limit := len(got) / 3
	if limit < 2 {
		limit = 2
	}
	if bestD > limit {
		return ""
	}
	return best
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 256 || len(rb) > 256 {
		return 1 << 20 // long inputs are never typos of short keys
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
