package cli

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
)

// BuildVersion is set at link time (-X ...cli.BuildVersion=v1.2.3); a
// development build reports its module version or "dev".
var BuildVersion = ""

// VersionInfo is what `fleetup version` prints.
type VersionInfo struct {
	Version   string            `json:"version"`
	Commit    string            `json:"commit,omitempty"`
	GoVersion string            `json:"goVersion"`
	Platform  string            `json:"platform"`
	Libraries map[string]string `json:"libraries"`
}

// Version prints fleetup's version.
func Version(g *Global) error {
	v := VersionInfo{Version: BuildVersion, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH, Libraries: map[string]string{}}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				v.Commit = s.Value
			}
		}
		for _, d := range bi.Deps {
			switch d.Path {
			case "helm.sh/helm/v4", "k8s.io/client-go", "sigs.k8s.io/kind", "github.com/aws/aws-sdk-go-v2", "github.com/go-git/go-git/v5":
				v.Libraries[d.Path] = d.Version
			}
		}
	}
	if v.Version == "" {
		v.Version = "dev"
	}
	if g.Output == "json" {
		enc := json.NewEncoder(g.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	fmt.Fprintf(g.Stdout, "fleetup %s (%s, %s)\n", v.Version, v.GoVersion, v.Platform)
	if v.Commit != "" {
		fmt.Fprintf(g.Stdout, "commit %s\n", v.Commit)
	}
	for _, k := range []string{"helm.sh/helm/v4", "k8s.io/client-go", "sigs.k8s.io/kind", "github.com/aws/aws-sdk-go-v2", "github.com/go-git/go-git/v5"} {
		if ver, ok := v.Libraries[k]; ok {
			fmt.Fprintf(g.Stdout, "  %s %s\n", k, ver)
		}
	}
	return nil
}
