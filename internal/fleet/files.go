package fleet

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/fleetup/fleetup/internal/decode"
	"k8s.io/apimachinery/pkg/util/validation"
)

// entry is one <name>.yaml file of a fleet directory.
type entry struct {
	name string // without .yaml
	file string // path in the repository
}

// listYAML lists dir's <name>.yaml files by name. A missing directory is
// empty. Other files are left alone, except *.yml: Argo CD's generator and
// value file paths name <name>.yaml, so such a file would be ignored there
// and must not pass here.
func listYAML(fsys fs.FS, dir, what string) ([]entry, decode.Errors, error) {
	des, err := fs.ReadDir(fsys, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", dir, err)
	}
	var out []entry
	var errs decode.Errors
	for _, de := range des {
		n := de.Name()
		file := path.Join(dir, n)
		switch {
		case de.IsDir() || strings.HasPrefix(n, "."):
		case strings.HasSuffix(n, ".yml"):
			errs = append(errs, &decode.Error{File: file, Line: 1, Column: 1, Msg: "a .yml file is not read", Expected: what + " named <name>.yaml",
				Hint: fmt.Sprintf("rename it to %s.yaml", strings.TrimSuffix(n, ".yml"))})
		case strings.HasSuffix(n, ".yaml"):
			name := strings.TrimSuffix(n, ".yaml")
			if e := nameError(file, name); e != nil {
				errs = append(errs, e)
				continue
			}
			out = append(out, entry{name: name, file: file})
		}
	}
	return out, errs, nil
}

// nameError: file names are label values and object names.
func nameError(file, name string) *decode.Error {
	if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
		return &decode.Error{File: file, Line: 1, Column: 1, Msg: fmt.Sprintf("file name %q is not a DNS-1123 label", name),
			Expected: "lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters", Hint: lowerHint(name)}
	}
	return nil
}

// readFile reads a file of the fleet; data is nil when it does not exist.
func readFile(fsys fs.FS, file string) ([]byte, error) {
	data, err := fs.ReadFile(fsys, file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	return data, nil
}

// sortErrors orders problems by file and position, so output is stable.
func sortErrors(es decode.Errors) {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

func isYAML(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
