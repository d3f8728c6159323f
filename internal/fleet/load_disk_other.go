//go:build !unix

package fleet

import (
	"io/fs"
	"os"
)

// DirFS is os.DirFS(dir) for loading a fleet from disk (load_disk.go has
// a faster ReadFile on Unix).
func DirFS(dir string) fs.FS { return os.DirFS(dir) }
