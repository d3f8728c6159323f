package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"
)

// outdatedTable is catalog outdated's text output: one row per addon, then
// the pins --update moved.
func outdatedTable(res OutdatedResult) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDON\tSOURCE\tPINNED\tMINOR\tMAJOR\tSTATUS")
	for _, a := range res.Addons {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.Name, sourceText(a.Source), orDash(a.Pinned), orDash(a.Minor), orDash(a.Major), statusText(a))
	}
	tw.Flush()
	if res.update && len(res.Updated) == 0 {
		fmt.Fprintf(&b, "\nno pin to update in %s\n", res.File)
	}
	if len(res.Updated) > 0 {
		fmt.Fprintf(&b, "\nupdated %s:\n", res.File)
		for _, c := range res.Updated {
			fmt.Fprintf(&b, "  %s: %s -> %s\n", c.Addon, c.From, c.To)
		}
	}
	return b.String()
}
