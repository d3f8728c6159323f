package envtest

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// placeholder is how test data marks a value a test fills in: __NAME__.
var placeholder = regexp.MustCompile(`__[A-Z][A-Z_]*__`)

// CopyFilled copies the tree src to dst with every placeholder (__NAME__,
// the keys of fill) replaced; one left without a value is an error, except
// in README.md, which documents them. edit, when not nil, may change a
// file's text (path relative to src) after the filling.
func CopyFilled(src, dst string, fill map[string]string, edit func(rel, text string) (string, error)) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		s := string(data)
		for k, v := range fill {
			s = strings.ReplaceAll(s, k, v)
		}
		if rel != "README.md" {
			if left := placeholder.FindString(s); left != "" {
				return fmt.Errorf("%s: placeholder %s has no value in this test (the fork's README.md lists them)", rel, left)
			}
		}
		if edit != nil {
			if s, err = edit(rel, s); err != nil {
				return err
			}
		}
		return os.WriteFile(target, []byte(s), 0o644)
	})
}
