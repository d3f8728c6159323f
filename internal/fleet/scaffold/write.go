package scaffold

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Change is one file to write or remove, by its path on disk.
type Change struct {
	File   string
	Data   []byte
	Remove bool
}

// Applied is what Apply did, so that it can be undone.
type Applied struct {
	// undo restores the disk, last change first.
	undo []func() error
}

// Apply writes and removes files. Each file is written to a temporary
// file beside it and renamed into place, so none is ever seen half
// written; missing directories are created. When a change fails, the
// ones before it are undone and the error returned.
func Apply(changes []Change) (*Applied, error) {
	a := &Applied{}
	for _, c := range changes {
		var err error
		if c.Remove {
			err = a.remove(c.File)
		} else {
			err = a.write(c.File, c.Data)
		}
		if err != nil {
			if uerr := a.Undo(); uerr != nil {
				return nil, fmt.Errorf("%w (and undoing the changes before it: %v)", err, uerr)
			}
			return nil, err
		}
	}
	return a, nil
}

// Undo puts back what Apply changed: files as they were, directories it
// created removed.
func (a *Applied) Undo() error {
	var errs []error
	for i := len(a.undo) - 1; i >= 0; i-- {
		errs = append(errs, a.undo[i]())
	}
	a.undo = nil
	return errors.Join(errs...)
}

func (a *Applied) write(file string, data []byte) error {
	dir := filepath.Dir(file)
	if err := a.mkdirs(dir); err != nil {
		return err
	}
	old, oldMode, existed, err := read(file)
	if err != nil {
		return err
	}
	mode := fs.FileMode(0o644)
	if existed {
		mode = oldMode
	}
	if err := WriteAtomic(file, data, mode); err != nil {
		return err
	}
	a.undo = append(a.undo, func() error {
		if !existed {
			return ignoreMissing(os.Remove(file))
		}
		return WriteAtomic(file, old, oldMode)
	})
	return nil
}

func (a *Applied) remove(file string) error {
	old, mode, existed, err := read(file)
	if err != nil || !existed {
		return err
	}
	if err := os.Remove(file); err != nil {
		return fmt.Errorf("remove %s: %w", file, err)
	}
	a.undo = append(a.undo, func() error { return WriteAtomic(file, old, mode) })
	return nil
}

// mkdirs creates dir and its missing parents, each undone by removing it.
func (a *Applied) mkdirs(dir string) error {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("create %s: %w", dir, err)
		}
		missing = append(missing, d)
		if d == filepath.Dir(d) {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		d := missing[i]
		if err := os.Mkdir(d, 0o755); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
		a.undo = append(a.undo, func() error { return ignoreMissing(os.Remove(d)) })
	}
	return nil
}

// read returns a file's content and mode; existed is false when it is
// not there.
func read(file string) (data []byte, mode fs.FileMode, existed bool, err error) {
	st, err := os.Stat(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, false, nil
	}
	if err != nil {
		return nil, 0, false, fmt.Errorf("read %s: %w", file, err)
	}
	if !st.Mode().IsRegular() {
		return nil, 0, false, fmt.Errorf("%s is not a regular file", file)
	}
	data, err = os.ReadFile(file)
	if err != nil {
		return nil, 0, false, fmt.Errorf("read %s: %w", file, err)
	}
	return data, st.Mode().Perm(), true, nil
}

// WriteAtomic writes file through a temporary file and a rename, so a
// killed run leaves the old content or the new, never half of it. The
// temporary files a killed run left beside file are removed.
func WriteAtomic(file string, data []byte, mode fs.FileMode) error {
	prefix := "." + filepath.Base(file) + ".fleetup-tmp-"
	tmp, err := os.CreateTemp(filepath.Dir(file), prefix+"*")
	if err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	name := tmp.Name()
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(mode)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, file)
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("write %s: %w", file, err)
	}
	if left, err := filepath.Glob(filepath.Join(filepath.Dir(file), globEscape(prefix)+"*")); err == nil {
		for _, l := range left {
			os.Remove(l)
		}
	}
	return nil
}

// globEscape quotes the characters filepath.Match reads as patterns.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteRune('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func ignoreMissing(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
