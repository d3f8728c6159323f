package fleet

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// TestDirFS: the loader's disk file system reads as os.DirFS does, the
// shipped fleet and files larger than its first read included, and fails
// as it does.
func TestDirFS(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "fleet"))); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("tags: {a: b}\n"), 1000) // 13,000 bytes
	if err := os.WriteFile(filepath.Join(dir, "big.yaml"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 4095, 4096, 4097, 8192, 8193, 16384} { // around the first read and each growth
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("size-%d.yaml", n)), bytes.Repeat([]byte("#"), n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fsys, want := DirFS(dir), os.DirFS(dir)
	if err := fstest.TestFS(fsys, "big.yaml", "size-0.yaml", "size-4096.yaml", "fleet.yaml", "clusters/prod-acme-fra.yaml"); err != nil {
		t.Fatal(err)
	}
	err := fs.WalkDir(want, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		got, gotErr := fs.ReadFile(fsys, p)
		exp, expErr := fs.ReadFile(want, p)
		if gotErr != nil || expErr != nil || !bytes.Equal(got, exp) {
			t.Errorf("%s: read %d bytes, %v; os.DirFS %d bytes, %v", p, len(got), gotErr, len(exp), expErr)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"missing.yaml", "clusters/missing.yaml", "clusters", "../fleet.yaml", "/fleet.yaml"} {
		_, gotErr := fs.ReadFile(fsys, name)
		_, expErr := fs.ReadFile(want, name)
		var pe *fs.PathError
		if gotErr == nil || !errors.As(gotErr, &pe) || errors.Is(gotErr, fs.ErrNotExist) != errors.Is(expErr, fs.ErrNotExist) ||
			errors.Is(gotErr, fs.ErrInvalid) != errors.Is(expErr, fs.ErrInvalid) {
			t.Errorf("%s: %v; os.DirFS: %v", name, gotErr, expErr)
		}
	}
	if _, err := fs.ReadFile(fsys, "clusters"); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("reading a directory: %v", err)
	}
}
