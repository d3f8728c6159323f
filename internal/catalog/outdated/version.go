// Package outdated compares the catalog's pinned chart versions with the
// versions their Helm repositories and OCI registries offer, and rewrites
// the pins in packages/addons/values.yaml, changing nothing else.
package outdated

import (
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// version is a semantic version as a repository writes it ("1.2.3" or
// "v1.2.3"): the text is kept so that a rewritten pin reads as the
// repository's own.
type version struct {
	text string
	sv   *semver.Version
}

// parse reads MAJOR.MINOR.PATCH with optional pre-release and build
// metadata and an optional leading "v"; anything else ("latest", "1.2",
// a digest) is not a chart version.
func parse(s string) (version, error) {
	sv, err := semver.StrictNewVersion(strings.TrimPrefix(s, "v"))
	if err != nil {
		return version{}, fmt.Errorf("%q is not a semantic version (MAJOR.MINOR.PATCH, optionally with a leading v)", s)
	}
	return version{text: s, sv: sv}, nil
}

// Newest are the versions a pin could move to.
type Newest struct {
	// Minor is the newest version with the pin's major version (the pin
	// itself when none is newer).
	Minor string
	// Major is the newest version of all (Minor when no major is newer).
	Major string
	// Offered is whether the repository offers the pinned version itself.
	Offered bool
}

// Compare finds, among the offered versions, the newest with the pin's
// major and the newest overall. Pre-releases count only when the pin is
// one; texts that are not semantic versions (tags such as "latest") are
// skipped. Equal versions written with and without "v" prefer the pin's
// way of writing.
func Compare(pin string, offered []string) (Newest, error) {
	p, err := parse(pin)
	if err != nil {
		return Newest{}, fmt.Errorf("pin: %w", err)
	}
	pre := p.sv.Prerelease() != ""
	minor, major := p, p
	var n Newest
	for _, s := range offered {
		v, err := parse(s)
		if err != nil || (v.sv.Prerelease() != "" && !pre) {
			continue
		}
		if v.sv.Equal(p.sv) {
			n.Offered = true
		}
		if newer(v, major, pin) {
			major = v
		}
		if v.sv.Major() == p.sv.Major() && newer(v, minor, pin) {
			minor = v
		}
	}
	n.Minor, n.Major = minor.text, major.text
	return n, nil
}

// newer reports whether v should replace best: a higher version, or the
// same one written as the pin is (a "v" or not).
func newer(v, best version, pin string) bool {
	switch c := v.sv.Compare(best.sv); {
	case c > 0:
		return true
	case c == 0:
		return hasV(v.text) == hasV(pin) && hasV(best.text) != hasV(pin)
	}
	return false
}

func hasV(s string) bool { return strings.HasPrefix(s, "v") }
