package outdated

import "testing"

func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		name         string
		pin          string
		offered      []string
		minor, major string
		offeredPin   bool
		wantErr      bool
	}{
		{name: "current", pin: "1.2.3", offered: []string{"1.2.3", "1.2.2", "0.9.0"}, minor: "1.2.3", major: "1.2.3", offeredPin: true},
		{name: "minor and major", pin: "1.2.3", offered: []string{"1.2.3", "1.10.0", "1.9.9", "2.0.1", "2.0.0"}, minor: "1.10.0", major: "2.0.1", offeredPin: true},
		// Numeric, not text, ordering: 1.10 is after 1.9.
		{name: "numeric order", pin: "1.9.0", offered: []string{"1.9.0", "1.10.0", "1.9.10"}, minor: "1.10.0", major: "1.10.0", offeredPin: true},
		{name: "pre-releases ignored", pin: "1.2.3", offered: []string{"1.2.3", "1.3.0-rc.1", "2.0.0-alpha.1"}, minor: "1.2.3", major: "1.2.3", offeredPin: true},
		{name: "pre-release pin", pin: "2.0.0-rc.1", offered: []string{"2.0.0-rc.1", "2.0.0-rc.2", "1.9.0"}, minor: "2.0.0-rc.2", major: "2.0.0-rc.2", offeredPin: true},
		{name: "pre-release pin, release out", pin: "2.0.0-rc.1", offered: []string{"2.0.0-rc.1", "2.0.0", "2.1.0-rc.1"}, minor: "2.1.0-rc.1", major: "2.1.0-rc.1", offeredPin: true},
		// cert-manager writes "v1.19.4": the repository's text is kept.
		{name: "leading v", pin: "v1.19.4", offered: []string{"v1.19.4", "v1.20.0", "v2.0.0"}, minor: "v1.20.0", major: "v2.0.0", offeredPin: true},
		{name: "v and not v mixed", pin: "1.0.0", offered: []string{"1.0.0", "v1.1.0", "1.1.0"}, minor: "1.1.0", major: "1.1.0", offeredPin: true},
		{name: "v pin, plain offers", pin: "v1.0.0", offered: []string{"1.0.0", "1.1.0"}, minor: "1.1.0", major: "1.1.0", offeredPin: true},
		// Registries carry tags that are not versions.
		{name: "other tags skipped", pin: "1.0.0", offered: []string{"latest", "1.0.0", "1.1", "main", "sha256-abc"}, minor: "1.0.0", major: "1.0.0", offeredPin: true},
		{name: "pin not offered", pin: "1.0.5", offered: []string{"1.0.0", "1.0.4"}, minor: "1.0.5", major: "1.0.5", offeredPin: false},
		{name: "major 0", pin: "0.28.0", offered: []string{"0.28.0", "0.29.1", "1.0.0"}, minor: "0.29.1", major: "1.0.0", offeredPin: true},
		{name: "build metadata", pin: "1.0.0", offered: []string{"1.0.0", "1.0.1+build.7"}, minor: "1.0.1+build.7", major: "1.0.1+build.7", offeredPin: true},
		{name: "pin not a version", pin: "latest", offered: []string{"1.0.0"}, wantErr: true},
		{name: "short pin", pin: "1.2", offered: []string{"1.2.0"}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := Compare(tc.pin, tc.offered)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if n.Minor != tc.minor || n.Major != tc.major || n.Offered != tc.offeredPin {
				t.Errorf("Compare(%q) = %+v, want minor %s major %s offered %v", tc.pin, n, tc.minor, tc.major, tc.offeredPin)
			}
		})
	}
}
