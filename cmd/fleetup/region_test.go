package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestNoHardCodedRegion: no AWS region is written into fleetup's code,
// charts or scripts; the region comes from config.yaml only. Allowed: the
// example config.yaml and example fleet (fleet/: a site's region is user
// data, as config.yaml's), the list of known regions behind "did you mean"
// hints, Route53's fixed signing region in the AWS test server, tests and
// user documentation.
func TestNoHardCodedRegion(t *testing.T) {
	region := regexp.MustCompile(`\b(us|eu|ap|sa|ca|me|af|il|mx|cn)(-gov)?-(east|west|north|south|central|northeast|northwest|southeast|southwest)-[0-9]\b`)
	allowed := map[string]bool{"config.yaml": true, "internal/config/validate.go": true, "internal/config/types.go": true, "test/awsserver/server.go": true}
	root := "../.."
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && rel != "." || rel == "docs" || rel == "bin" || rel == "fleet" {
				return filepath.SkipDir
			}
			return nil
		}
		if allowed[rel] || strings.HasSuffix(rel, "_test.go") || strings.HasSuffix(rel, ".md") || strings.Contains(rel, "testdata") {
			return nil
		}
		switch filepath.Ext(rel) {
		case ".go", ".yaml", ".yml", ".sh", ".tpl", ".json":
		default:
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if m := region.FindString(line); m != "" {
				t.Errorf("%s:%d hard-codes region %s", rel, i+1, m)
			}
		}
		return nil
	})
}
